"""Stand-ins for Prosper202's cron scripts, on the sandbox database named by P202_SANDBOX_DB_URL.

    python -m attribtui.sandbox.cron rebuild  [--user=ID] [--start=TS] [--end=TS]
    python -m attribtui.sandbox.cron backfill [--user=ID] [--start=TS] [--end=TS] [--batch-size=N]

Same flags (PHP getopt `::`: only --opt=value works), output lines, exit codes and guard as
attribution-rebuild.php and backfill-conversion-journeys.php (docs/prosper202.md §Cron scripts),
doing the real work with the shared rules (prosper/journey.py, credit.py, settings.py), so the
demo's jobs really rebuild the demo data. Like a bare PHP CLI, they print connect.php's warnings
unless HTTP_HOST, SERVER_ADDR, SERVER_NAME and REMOTE_ADDR are set. "now" is clock.now()
(ATTRIBTUI_NOW in tests).

- php.py: what a bare PHP CLI run looks like (getopt, (int), warnings, outage page, date('c'));
- runner.py: AttributionJobRunner::runForUser;
- rebuild.py, backfill.py: the two scripts; __main__.py: the command line.
"""

from attribtui.sandbox.cron.php import getopt, opt_int

_int = opt_int  # the name the job-parsing unit tests import

__all__ = ["_int", "getopt", "opt_int"]
