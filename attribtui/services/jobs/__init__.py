"""The job runner: rebuild and backfill jobs that outlive the console.

command.py   the request, hour-aligned windows and chunks, the command line per runner
store.py     job folders (job.json / exit.json / logs) and the history
runner.py    start detached, follow (tail + progress in batches), cancel, re-attach
parse.py     line kinds, progress and the honest outcome (docs/prosper202.md, "Cron scripts")
preflight.py checks before launching (window, count, guard, running jobs, privileges, lock)
guard.py     deleting the rebuild's guard row, and what really happened when its commit failed
wrapper.py   the detached process that holds the lock, runs each chunk and records the outcome
"""
