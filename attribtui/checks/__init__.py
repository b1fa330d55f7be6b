"""The checks: schema, cron, integrity and database health, each a `CheckResult`.

results.py    the result shape, summary, exit code and report (no database layer: light)
framework.py  the context checks read through, the registry
catalog.py    every check in run order (importing the group modules registers them)
runner.py     run, summarise, exit code, save (`run_checks_and_save`)
bounded.py    guards that keep a check's reads bounded (a missing index skips the check)
introspect.py the live tables and indexes, read once per run
recent.py     the reads the integrity checks share: the window's conversions, models, rebuilds
remedies.py   the commands a remediation tells the operator to run
credit_causes.py  why credits are off (duplicated or missing 202_clicks rows, ...) and its remedy
store.py, prometheus.py, markdown.py  saved runs and the run as Prometheus text and Markdown

The names below are loaded on first use (PEP 562), not when the package is imported: the health
screen paints a saved run from results.py before the checks and SQLAlchemy have loaded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from attribtui.checks.catalog import all_checks, select
    from attribtui.checks.framework import CheckContext, CheckSpec, Outcome, check
    from attribtui.checks.results import (
        GROUPS,
        MAX_EVIDENCE_ROWS,
        CheckResult,
        Evidence,
        exit_code,
        report,
        summary,
    )
    from attribtui.checks.runner import Run, run_checks, run_checks_and_save, run_one

    load_checks = all_checks

_HOME = {
    "all_checks": "catalog", "load_checks": "catalog", "select": "catalog",
    "CheckContext": "framework", "CheckSpec": "framework", "Outcome": "framework",
    "check": "framework",
    "GROUPS": "results", "MAX_EVIDENCE_ROWS": "results", "CheckResult": "results",
    "Evidence": "results", "exit_code": "results", "report": "results", "summary": "results",
    "Run": "runner", "run_checks": "runner", "run_checks_and_save": "runner", "run_one": "runner",
}

__all__ = ["GROUPS", "MAX_EVIDENCE_ROWS", "CheckContext", "CheckResult", "CheckSpec", "Evidence",
           "Outcome", "Run", "all_checks", "check", "exit_code", "load_checks", "report",
           "run_checks", "run_checks_and_save", "run_one", "select", "summary"]


def __getattr__(name: str) -> object:
    if name not in _HOME:
        raise AttributeError(f"module 'attribtui.checks' has no attribute {name!r}")
    module = importlib.import_module(f"attribtui.checks.{_HOME[name]}")
    return getattr(module, "all_checks" if name == "load_checks" else name)

