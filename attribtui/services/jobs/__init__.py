"""The job runner: rebuild and backfill jobs that outlive the console.

command.py   the request, hour-aligned windows and chunks, the command line per runner
store.py     job folders (job.json / exit.json / logs) and the history
runner.py    start detached, follow (tail + progress in batches), cancel, re-attach
parse.py     line kinds, progress and the honest outcome (docs/prosper202.md, "Cron scripts")
preflight.py checks before launching (window, count, guard, running jobs, lock)
The wrapper that runs in the job's own session is attribtui/jobwrap.py.
"""
