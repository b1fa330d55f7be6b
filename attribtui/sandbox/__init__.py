"""An executable model of Prosper202 for the demo, the tests and training.

- seed/: create and fill a sandbox database (safety checks, the simulated story, writing rows);
- defects/: the planted-defect registry and the functions that plant them;
- emulator/: the v2 attribution API over a sandbox database;
- cron/: stand-ins for the rebuild and backfill cron scripts (``python -m attribtui.sandbox.cron``);
- scale.py: a million-conversion sandbox for benchmarks; schema.py: the tables and the marker;
- registry_doc.py: the README's defect table, generated from the registry.
"""

# How a job hands the sandbox database to a cron stand-in: in the environment, never in argv.
DB_URL_ENV = "P202_SANDBOX_DB_URL"
