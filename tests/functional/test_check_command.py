"""`attribtui check` end to end: planted defects found exactly, exit codes, JSON shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from attribtui import checks
from attribtui.cli.main import main
from attribtui.infra.config import ChecksConfig, Profile
from attribtui.infra.db import Database
from attribtui.sandbox.defects import DEFECTS, demo_defects
from attribtui.sandbox.seed import seed
from attribtui.vocab import Status, worst
from tests.support import NOW

NOT_OK = {"warn", "fail", "error", "skipped"}


def run_checks(url: str) -> dict[str, checks.CheckResult]:
    db = Database(url)
    try:
        return {r.id: r for r in checks.run_checks(checks.CheckContext(db=db, now=NOW),
                                                   checks.select(None))}
    finally:
        db.close()


def assert_found_exactly(results: dict[str, checks.CheckResult], defects) -> None:
    expected = {}
    for d in defects:
        for f in d.findings:
            # Several findings may share a check: its status is the worst of them.
            expected[f.check_id] = worst([expected.get(f.check_id, "ok"), f.status])
    found = {cid: r.status for cid, r in results.items() if r.status in NOT_OK}
    # db.clock_skew compares with the real wall clock: never part of a planted defect.
    found.pop("db.clock_skew", None)
    assert found == expected
    for d in defects:
        for f in d.findings:
            text = json.dumps(results[f.check_id].evidence)
            assert f.match in text, f"{d.id}: {f.match!r} not in {f.check_id} evidence"


def test_demo_defects_are_found_exactly(seeded_url: str, frozen_clock: int) -> None:
    assert_found_exactly(run_checks(seeded_url), demo_defects())


def test_clean_database_has_no_findings(clean_url: str, frozen_clock: int) -> None:
    assert_found_exactly(run_checks(clean_url), [])


ISOLATED = sorted(d.id for d in DEFECTS.values() if d.where == "isolated")


@pytest.mark.parametrize("defect_id", ISOLATED)
def test_each_isolated_defect_is_found(defect_id: str, fresh_db, frozen_clock: int) -> None:
    url = fresh_db()
    seed(url, conversions=60, now=NOW, defects=[defect_id])
    assert_found_exactly(run_checks(url), [DEFECTS[defect_id]])


def cli(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "attribtui.cli", *argv], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=120)


def test_check_json_lists_the_demo_defects_with_exit_2(seeded_url: str) -> None:
    out = cli(["check", "--json"], {"ATTRIBTUI_DB_URL": seeded_url, "ATTRIBTUI_NOW": str(NOW)})
    assert out.returncode == 2, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) == {"profile", "generated_at", "generated_at_iso", "overrides", "summary",
                        "nothing_to_examine", "checks"}
    assert doc["profile"] == "env" and doc["generated_at"] == NOW
    assert doc["generated_at_iso"] == "2026-11-26T12:34:56Z"
    assert any("ATTRIBTUI_DB_URL" in o for o in doc["overrides"])
    first = doc["checks"][0]
    assert set(first) == {"id", "group", "title", "status", "details", "evidence", "remediation",
                          "duration_ms", "nothing_to_examine"}
    heartbeat = next(c for c in doc["checks"] if c["id"] == "cron.attribution_heartbeat")
    assert heartbeat["status"] == "fail" and heartbeat["remediation"]
    assert set(heartbeat["evidence"]) == {"columns", "rows", "truncated"}
    assert doc["summary"]["fail"] >= 1


def test_exit_codes(clean_url: str, capsys: pytest.CaptureFixture[str],
                    monkeypatch: pytest.MonkeyPatch, frozen_clock: int) -> None:
    monkeypatch.setenv("ATTRIBTUI_DB_URL", clean_url)
    assert main(["check", "--only", "schema", "--no-save"]) == 0
    assert main(["check", "--only", "cron.export_heartbeat", "--no-save"]) == 0
    assert main(["check", "--only", "nosuch.check"]) == 64
    assert "unknown check or group nosuch.check" in capsys.readouterr().err
    monkeypatch.setenv("ATTRIBTUI_DB_URL", "mysql+pymysql://root@127.0.0.1:1/x")
    assert main(["check", "--no-save"]) == 3
    monkeypatch.setenv("ATTRIBTUI_BOGUS", "1")
    assert main(["check"]) == 3
    assert "ATTRIBTUI_BOGUS" in capsys.readouterr().err


def test_unreachable_database_is_one_error_per_check_without_waiting_each_time(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ATTRIBTUI_DB_URL", "mysql+pymysql://root@127.0.0.1:1/x")
    assert main(["check", "--json", "--no-save"]) == 3
    doc = json.loads(capsys.readouterr().out)
    assert {c["status"] for c in doc["checks"]} == {"error"}
    assert all("cannot reach the database" in c["details"] for c in doc["checks"])


def test_usage_errors_exit_64() -> None:
    assert cli(["check", "--format", "yaml"], {}).returncode == 64
    assert cli(["nosuchcommand"], {}).returncode == 64


def test_each_run_is_saved(clean_url: str, monkeypatch: pytest.MonkeyPatch, frozen_clock: int) -> None:
    from attribtui.checks import store

    monkeypatch.setenv("ATTRIBTUI_DB_URL", clean_url)
    main(["check", "--only", "cron"])
    runs = store.load_runs("env")
    assert len(runs) == 1 and runs[0]["generated_at"] == NOW
    assert oct(os.stat(runs[0]["_path"]).st_mode & 0o777) == "0o600"


def test_sqlite_demo_runs_every_check_and_finds_the_demo_defects(tmp_path, frozen_clock: int) -> None:
    """The embedded demo (SQLite) gets the same checks and the same findings as MariaDB."""
    from attribtui.services import demo

    path = tmp_path / "demo.sqlite"
    seed(demo.url_for(path), conversions=300, now=NOW, defects="demo")
    results = run_checks(demo.url_for(path))
    assert set(results) == set(checks.load_checks())
    assert not [r for r in results.values() if r.status == "error"]
    sqlite_ok = [d for d in demo_defects() if d.sqlite]
    assert_found_exactly(results, sqlite_ok)


def test_a_broken_db_url_is_one_line_without_the_password(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ATTRIBTUI_DB_URL", "mysql+pymysql://u:s3cretpw@h:abc/db")
    assert main(["check", "--json", "--no-save"]) == 3
    err = capsys.readouterr().err
    assert "s3cretpw" not in err and "db.url" in err and len(err.strip().splitlines()) == 1


def test_a_run_past_its_deadline_skips_the_checks_left_saying_why(clean_url: str,
                                                                   frozen_clock: int) -> None:
    db = Database(clean_url)
    try:
        profile = Profile(name="p", environment="dev", checks=ChecksConfig(deadline_s=0.0))
        run = checks.run_checks_and_save(checks.CheckContext(db=db, now=NOW, profile=profile),
                                         checks.select(["schema"]), save=False)
    finally:
        db.close()
    assert run.deadline_s == 0.0 and run.exit_code == 1
    assert {(r.status, r.details) for r in run.results} == {
        ("skipped", "not run: the check run reached its deadline of 0 s (check --deadline, "
                    "checks.deadline_s)")}


def test_a_check_running_when_the_deadline_passes_stops_at_its_next_read(
        clean_url: str, frozen_clock: int) -> None:
    def reads_twice(ctx: checks.CheckContext) -> checks.Outcome:
        ctx.read("SELECT 1")
        ctx.deadline_at = time.monotonic() - 1  # the run's deadline passes while it works
        ctx.read("SELECT 2")
        return checks.Outcome(Status.OK, "unreachable")

    db = Database(clean_url)
    try:
        ctx = checks.CheckContext(db=db, now=NOW, deadline_s=12)
        res = checks.run_one(checks.CheckSpec("db.reads_twice", "reads twice", reads_twice), ctx)
    finally:
        db.close()
    assert (res.status, res.details) == (
        "skipped", "stopped: the check run reached its deadline of 12 s (check --deadline, "
                   "checks.deadline_s)")


def test_table_wraps_details_at_word_boundaries(seeded_url: str, frozen_clock: int) -> None:
    """`check` as a table: long details and fixes wrap under their column, never cut mid-word."""
    from attribtui.checks.runner import run_checks_and_save
    from attribtui.cli.check import render_table

    db = Database(seeded_url)
    try:
        run = run_checks_and_save(checks.CheckContext(db=db, now=NOW), checks.select(None),
                                  save=False)
    finally:
        db.close()
    profile = Profile(name="t", environment="dev")
    text = render_table(run.report, profile=profile, db_label="db", width=80)
    words = set(text.split())
    for c in run.report["checks"]:
        for word in c["details"].split():  # every word of every detail, whole
            assert word in words, f"{c['id']}: {word!r} was cut"
    long_lines = [ln for ln in text.splitlines()
                  if len(ln) > 80 and not ln.startswith(("Summary", "attribtui check"))]
    # only a word longer than the line (a path, a URL) may stick out, alone on its line
    assert all(len(ln.split()) <= 2 for ln in long_lines), long_lines
    heartbeat = next(i for i, ln in enumerate(text.splitlines())
                     if "cron.attribution_heartbeat" in ln)
    assert text.splitlines()[heartbeat + 1].startswith(" " * 40)  # continued under the details
