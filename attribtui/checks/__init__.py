"""The checks: schema, cron, integrity and database health, each a `CheckResult`.

framework.py  the result shape, the context checks read through, the registry
catalog.py    every check in run order (importing the group modules registers them)
runner.py     run, summarise, exit code, save (`run_checks_and_save`)
bounded.py    guards that keep a check's reads bounded (a missing index skips the check)
introspect.py the live tables and indexes, read once per run
recent.py     the reads the integrity checks share: the window's conversions, models, rebuilds
remedies.py   the commands a remediation tells the operator to run
credit_causes.py  why credits are off (duplicated or missing 202_clicks rows, ...) and its remedy
store.py, prometheus.py, markdown.py  saved runs and the run as Prometheus text and Markdown
"""

from attribtui.checks.catalog import all_checks, select
from attribtui.checks.framework import (
    GROUPS,
    MAX_EVIDENCE_ROWS,
    CheckContext,
    CheckResult,
    CheckSpec,
    Evidence,
    Outcome,
    check,
)
from attribtui.checks.runner import (
    Run,
    exit_code,
    report,
    run_checks,
    run_checks_and_save,
    run_one,
    summary,
)

load_checks = all_checks

__all__ = ["GROUPS", "MAX_EVIDENCE_ROWS", "CheckContext", "CheckResult", "CheckSpec", "Evidence",
           "Outcome", "Run", "all_checks", "check", "exit_code", "load_checks", "report",
           "run_checks", "run_checks_and_save", "run_one", "select", "summary"]
