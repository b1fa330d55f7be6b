"""An empty window is not "ok": checks with nothing to examine say `info` and what was empty, in
every output (the result, --json, --format prometheus, the table, Markdown, the saved run)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from attribtui import checks
from attribtui.checks import store
from attribtui.checks.markdown import to_markdown
from attribtui.checks.results import empty_text, mostly_empty
from attribtui.infra.db import Database
from attribtui.vocab import ExitCode
from tests.support import NOW

pytestmark = pytest.mark.mariadb

DAY = 24 * 3600

# On an installed but unused Prosper202 (the tables, no rows): what each check says.
EMPTY_SCHEMA = {
    "coverage.summary": ("info", "No live conversion in the last 2 d"),
    "db.connection": ("ok", None),
    "db.clock_skew": ("ok", None),
    "db.replica_lag": ("info", "No read replica configured: no lag to measure"),
    "schema.tables": ("ok", None),
    "schema.columns": ("ok", None),
    "schema.indexes": ("ok", None),
    "cron.attribution_heartbeat": ("warn", None),  # a rebuild that never ran is a finding
    "cron.export_heartbeat": ("info", "no heartbeat to examine"),
    "cron.rebuild_guard": ("info", "No guard row ('attr' in 202_cronjobs) to examine"),
    "cron.rebuild_crosscheck": ("info", "No rebuild heartbeat to cross-check"),
    "models.defaults": ("info", "No model row of a live user"),
    "models.default_active": ("info", "No model row of a live user"),
    "models.types": ("info", "No model row of a live user"),
    "models.weighting": ("info", "No model row of a live user"),
    "snapshots.duplicates": ("info", "No snapshots in the last 2 d to examine"),
    "snapshots.missing": ("info", "no snapshot was expected"),
    "snapshots.agreement": ("info", "No user has two or more active models"),
    "snapshots.freshness": ("info", "No active model"),
    "credits.conservation": ("info", "nothing has been credited to check"),
    "journeys.sample": ("info", "No live conversion in the last 2 d to sample"),
    "journeys.missing": ("info", "no journey was expected"),
    "settings.models": ("info", "No row in 202_attribution_settings"),
    "settings.duplicates": ("info", "No row in 202_attribution_settings"),
    "settings.disabled": ("info", "No row in 202_attribution_settings"),
    "exports.stuck": ("info", "No attribution export job exists"),
    "exports.failed": ("info", "No attribution export job exists"),
    "exports.pending": ("info", "No attribution export job exists"),
}


def run(url: str, *, now: int = NOW, window_s: int = 2 * DAY) -> list[checks.CheckResult]:
    db = Database(url)
    try:
        return checks.run_checks(checks.CheckContext(db=db, now=now, window_s=window_s),
                                 checks.select(None))
    finally:
        db.close()


def test_every_check_on_an_empty_install_says_what_it_had_nothing_of(empty_url: str,
                                                                    frozen_clock: int) -> None:
    results = {r.id: r for r in run(empty_url)}
    assert set(results) == set(EMPTY_SCHEMA)
    for cid, (status, says) in EMPTY_SCHEMA.items():
        r = results[cid]
        assert r.status == status, (cid, r.status, r.details)
        assert r.nothing_to_examine == (says is not None), cid
        if says is not None:
            assert says in r.details, (cid, r.details)
    report = checks.report(list(results.values()), profile="env", now=NOW)
    assert report["nothing_to_examine"] == [c for c, (_, s) in EMPTY_SCHEMA.items() if s]
    assert mostly_empty(report)
    n = sum(1 for _, s in EMPTY_SCHEMA.values() if s)
    assert empty_text(report) == f"{n} of {len(EMPTY_SCHEMA)} checks had nothing to examine"
    # info never changes the exit code: only the heartbeat's warning does
    assert checks.exit_code(results.values()) == ExitCode.WARN
    md = to_markdown(report)
    assert f"{n} of {len(EMPTY_SCHEMA)} checks had nothing to examine: an empty window" in md
    assert "| ℹ info (nothing to examine) | `credits.conservation` |" in md


def test_an_empty_window_of_a_busy_install_is_info_not_ok(clean_url: str) -> None:
    """Ten days after the last conversion, a 6 h window holds nothing: the window checks say so;
    the checks that do not look at the window (models, schema) still judge."""
    results = {r.id: r for r in run(clean_url, now=NOW + 10 * DAY, window_s=6 * 3600)}
    empty = {cid for cid, r in results.items() if r.nothing_to_examine}
    assert empty >= {"coverage.summary", "snapshots.duplicates", "snapshots.missing",
                     "snapshots.agreement", "snapshots.freshness", "credits.conservation",
                     "journeys.sample", "journeys.missing", "exports.failed"}
    assert all(results[cid].status == "info" for cid in empty)
    assert "No snapshots in the last 6 h to examine" in results["snapshots.duplicates"].details
    assert "No export job was queued in the last 6 h" in results["exports.failed"].details
    assert results["models.defaults"].status == "ok" and not results["models.defaults"].nothing_to_examine
    assert results["cron.attribution_heartbeat"].status == "fail"  # 10 days without a rebuild


def test_the_same_window_with_data_is_examined(clean_url: str, frozen_clock: int) -> None:
    results = {r.id: r for r in run(clean_url)}
    for cid in ("snapshots.duplicates", "snapshots.missing", "snapshots.agreement",
                "snapshots.freshness", "credits.conservation", "journeys.sample",
                "journeys.missing", "models.defaults", "settings.models"):
        assert results[cid].status == "ok" and not results[cid].nothing_to_examine, cid


def cli(argv: list[str], url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ATTRIBTUI_DB_URL": url, "ATTRIBTUI_NOW": str(NOW), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "attribtui.cli", *argv], capture_output=True,
                          text=True, env=env, timeout=120)


def test_every_output_says_nothing_was_examined(empty_url: str) -> None:
    table = cli(["check"], empty_url)
    assert table.returncode == 1, table.stderr  # the never-run rebuild warns; info does not
    lines = table.stdout.splitlines()
    # details wrap under their column: the check's line and the indented lines after it
    at = next(i for i, ln in enumerate(lines) if ln.startswith("ℹ info     credits.conservation"))
    block = [lines[at], *(ln for ln in lines[at + 1:at + 6] if ln.startswith(" " * 40))]
    assert "nothing has been credited" in " ".join(ln.strip() for ln in block), block
    n = sum(1 for _, s in EMPTY_SCHEMA.values() if s)
    summary = next(ln for ln in lines if ln.startswith("Summary: "))
    assert f"; {n} of {len(EMPTY_SCHEMA)} checks had nothing to examine (exit 1)" in summary
    assert any("an empty window is not proof of health" in ln for ln in lines)
    assert "\033[" not in table.stdout  # NO_COLOR: the symbol and word carry the status

    doc = json.loads(cli(["check", "--json", "--no-save"], empty_url).stdout)
    by_id = {c["id"]: c for c in doc["checks"]}
    assert by_id["snapshots.duplicates"]["status"] == "info"
    assert by_id["snapshots.duplicates"]["nothing_to_examine"] is True
    assert by_id["db.connection"]["nothing_to_examine"] is False
    assert len(doc["nothing_to_examine"]) == n

    prom = cli(["check", "--format", "prometheus", "--no-save"], empty_url).stdout.splitlines()
    assert ('attribtui_check_nothing_to_examine{profile="env",check="credits.conservation",'
            'group="credits"} 1') in prom
    assert ('attribtui_check_nothing_to_examine{profile="env",check="db.connection",'
            'group="db"} 0') in prom
    assert f'attribtui_checks_nothing_to_examine{{profile="env"}} {n}' in prom
    assert ('attribtui_check_status{profile="env",check="credits.conservation",group="credits",'
            'status="info"} 1') in prom

    [saved] = store.load_runs("env")  # the table run above was saved
    assert len(saved["nothing_to_examine"]) == n
    assert checks.CheckResult.from_json(
        next(c for c in saved["checks"] if c["id"] == "exports.stuck")).nothing_to_examine
