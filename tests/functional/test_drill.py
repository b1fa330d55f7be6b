"""The demo's drill (`attribtui demo --incident bad-default`) on the real MariaDB and on the
demo's SQLite, with the v2 emulator over loopback and real job subprocesses: the checks find the
incident, and the guided rollback takes it to a clean verify through the faults the drill plants
(a conversion the backfill fails once, a server that goes away under the rebuild, the guard skip
that follows)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from attribtui.checks.catalog import select
from attribtui.checks.framework import CheckContext
from attribtui.checks.runner import run_checks_and_save
from attribtui.infra import api, clock
from attribtui.infra.config import ApiConfig, DbConfig, JobsConfig, Profile
from attribtui.infra.db import Database
from attribtui.sandbox import emulator
from attribtui.sandbox.seed import read_marker, seed
from attribtui.services import rollback
from tests.support import NOW, scalar

pytestmark = pytest.mark.mariadb

KEY1 = hashlib.sha256(b"attribtui-sandbox-api-key-1").hexdigest()


@pytest.fixture(params=["mariadb", "sqlite"])
def drill(request, fresh_db, tmp_path, monkeypatch):
    """The drill as `attribtui demo --incident bad-default` seeds it, on both databases (the demo
    is SQLite; the stand-ins' SQL must hold on MariaDB)."""
    url = fresh_db() if request.param == "mariadb" else f"sqlite:///{tmp_path / 'drill.sqlite'}"
    seed(url, conversions=800, now=NOW, defects="none", drill="bad-default")
    monkeypatch.setenv("ATTRIBTUI_NOW", str(NOW))  # the job stand-ins' "now"
    clock.freeze(NOW)
    server, _ = emulator.serve(url)
    prof = Profile(name="drill", environment="dev", db=DbConfig(url=url),
                   api=ApiConfig(base_url=emulator.base_url(server), key=KEY1, user_id=1),
                   jobs=JobsConfig(runner="sandbox"))
    yield {"url": url, "profile": prof, "marker": read_marker(url)}
    server.shutdown()
    server.server_close()
    clock.freeze(None)



def log_text(step: rollback.Step) -> str:
    return Path(step.details["stdout_log"]).read_text() + Path(step.details["stderr_log"]).read_text()


def test_the_drill_is_found_and_rolled_back_to_a_clean_verify(drill) -> None:
    prof, url, marker = drill["profile"], drill["url"], drill["marker"]
    touched = marker["drill_affected"]
    polluted, (bad,) = touched["conv_ids"], touched["model_ids"]
    assert marker["drill"] == "bad-default" and len(polluted) >= 3
    assert scalar(url, "SELECT model_id FROM `202_attribution_models` WHERE user_id = 1 AND "
                       "is_default = 1") == bad

    # the finding: every polluted journey breaks the rule; the trail names the change
    db0 = Database(url)
    before = run_checks_and_save(CheckContext(db=db0, now=NOW, profile=prof), select(None))
    db0.close()
    sample = next(c for c in before.report["checks"] if c["id"] == "journeys.sample")
    assert sample["status"] == "fail"
    assert {int(r[0]) for r in sample["evidence"]["rows"]} <= set(polluted)
    assert scalar(url, "SELECT COUNT(*) FROM `202_attribution_audit` WHERE model_id = :m AND "
                       "action = 'model_update'", m=bad) == 1
    db0 = Database(url)
    suggested = rollback.suggest("drill", db0, 1)
    db0.close()
    assert suggested.conv_ids == polluted  # all, not the 20 rows shown
    assert (suggested.model_id, suggested.safe_model_id, suggested.since) == (
        bad, 1, touched["since"][0])
    assert "was made the default" in suggested.hints[1] and "oldest active" in suggested.hints[2]

    state = rollback.new(prof, rollback.Incident(
        user_id=1, model_id=bad, mitigation="deactivate", safe_model_id=1, conv_ids=polluted,
        note="drill"))
    db, client = rollback.open_backends(prof)
    try:
        for step_id in ("mitigate", "purge"):
            step = rollback.run(prof, state, rollback.plan(prof, state, step_id, db=db,
                                                            client=client), db=db, client=client)
            assert step.status == "done", step

        # backfill: the planted lock wait timeout fails one conversion, once
        rollback.run(prof, state, rollback.plan(prof, state, "backfill", db=db), db=db)
        step = rollback.wait_job(prof, state, "backfill")
        assert step.status == "failed", step
        assert (f"Conversion {polluted[-1]} failed: MySQL execute failed: Lock wait timeout "
                "exceeded; try restarting transaction") in log_text(step)
        assert scalar(url, "SELECT COUNT(*) FROM `202_conversion_touchpoints` WHERE conv_id = :c",
                      c=polluted[-1]) == 0
        rollback.run(prof, state, rollback.plan(prof, state, "backfill", db=db), db=db)
        step = rollback.wait_job(prof, state, "backfill")
        assert step.status == "done", step
        assert scalar(url, "SELECT COUNT(*) FROM `202_conversion_touchpoints` WHERE conv_id = :c",
                      c=polluted[-1]) > 0

        # rebuild: the server goes away after the guard row; no heartbeat; the re-run would skip
        heartbeat = scalar(url, "SELECT last_execution_time FROM `202_cronjob_logs` WHERE id = 2")
        rollback.run(prof, state, rollback.plan(prof, state, "rebuild", db=db), db=db)
        step = rollback.wait_job(prof, state, "rebuild")
        assert step.status == "failed", step
        assert ("User 1: Failed to prepare MySQL statement: MySQL server has gone away"
                in log_text(step))
        assert scalar(url, "SELECT last_execution_time FROM `202_cronjob_logs` WHERE id = 2") \
            == heartbeat
        p = rollback.plan(prof, state, "rebuild", db=db)
        assert p.refused and p.guard_hours, p.lines
        for hour in p.guard_hours:
            rollback.delete_guard(prof, state, hour, db)
        rollback.run(prof, state, rollback.plan(prof, state, "rebuild", db=db), db=db)
        step = rollback.wait_job(prof, state, "rebuild")
        assert step.status == "done", step

        # verify: clean journeys, nothing worse than before the walkthrough
        step = rollback.run(prof, state, rollback.plan(prof, state, "verify", db=db), db=db)
        assert step.status == "done", (step.result, step.details["journey_problems"])
        assert step.details["got_worse"] == [] and step.details["clean"]
        assert set(step.details["journey_status"]) <= {"ok", "warn"}

        # the report compares with the checks before the walkthrough; job tails without noise
        step_verify = step
        rollback.run(prof, state, rollback.plan(prof, state, "audit", db=db), db=db)
        step = rollback.run(prof, state, rollback.plan(prof, state, "report", db=db), db=db)
        doc = json.loads(Path(step.details["json"]).read_text())
        assert doc["checks"]["before"]["generated_at_iso"] == before.report["generated_at_iso"]
        assert doc["checks"]["after"]["path"] == step_verify.details["check_run"]
        tails = [ln for j in doc["jobs"] for ln in j["stdout_tail"] + j["stderr_tail"]]
        assert not any("Undefined array key" in ln for ln in tails)
        assert any("known PHP noise folded" in ln for ln in tails)
    finally:
        db.close()
        client.close()
    faults = read_marker(url)["faults"]
    assert faults and all(f["spent"] for f in faults)


def test_drill_model_is_what_the_api_reports(drill) -> None:
    """The drill's model rows and default are what the v2 API serves (same rules, same rows)."""
    bad = drill["marker"]["drill_affected"]["model_ids"][0]
    with api.V2Client(drill["profile"]) as c:
        models = {m["model_id"]: m for m in c.list_models()}
    assert models[bad]["is_default"] and models[bad]["slug"] == "time-decay-1h-test"
    assert not models[1]["is_default"]


def test_demo_stages_a_drill_afresh_and_the_plain_demo_replaces_it(tmp_path: Path) -> None:
    from attribtui.services import demo

    path = tmp_path / "demo.sqlite"
    demo.reseed(path, conversions=300, drill="bad-default")
    assert demo.briefing(path).startswith("Drill bad-default: A bad model was made default")
    assert demo.needs_seed(path, drill="bad-default") == "staging the drill bad-default"
    assert "holds the drill bad-default" in demo.needs_seed(path)
    demo.reseed(path, conversions=300)
    assert demo.briefing(path) is None and demo.needs_seed(path) is None


def test_demo_incident_names_its_drills_and_refuses_an_unknown_one() -> None:
    import os
    import subprocess
    import sys

    exe = str(Path(sys.executable).parent / "attribtui")
    listed = subprocess.run([exe, "demo", "--incident", "list"], capture_output=True, text=True,
                            env=os.environ, stdin=subprocess.DEVNULL, timeout=60)
    assert listed.returncode == 0 and listed.stdout.startswith("bad-default ")
    bad = subprocess.run([exe, "demo", "--incident", "nope"], capture_output=True, text=True,
                         env=os.environ, stdin=subprocess.DEVNULL, timeout=60)
    assert bad.returncode == 64
    assert bad.stderr.strip().splitlines() == [
        "attribtui: error: --incident: no drill named 'nope'; choose from bad-default "
        "(`attribtui demo --incident list`)"]


def test_a_manual_rebuild_for_one_user_does_not_read_as_a_failing_cron(fresh_db) -> None:
    """The rollback's `rebuild --user=1 --start=H0 --end=H1-1` writes the global heartbeat, as
    upstream does: users it was not asked to rebuild are waiting, not failing (INFO, not WARN)."""
    import os
    import subprocess
    import sys

    from attribtui.checks.runner import run_checks
    from attribtui.prosper import tables as pt
    from attribtui.sandbox import DB_URL_ENV

    url = fresh_db()
    seed(url, conversions=800, now=NOW, defects="none")
    run_at = NOW + 3 * 3600  # the heartbeat, after every row the seed's crons wrote
    eng = create_engine(url)
    with eng.begin() as conn:  # user 2 converted in the hour before it
        row = dict(conn.execute(pt.conversion_logs.select().where(
            pt.conversion_logs.c.user_id == 2).limit(1)).one()._mapping)
        top = conn.execute(text("SELECT MAX(conv_id) FROM `202_conversion_logs`")).scalar()
        conn.execute(pt.conversion_logs.insert(), {**row, "conv_id": top + 1, "deleted": 0,
                                                   "transaction_id": "TX-DRILL-LATE",
                                                   "conv_time": run_at - 600})
    eng.dispose()
    h1 = NOW - NOW % 3600  # the manual window: the last full hour with conversions
    done = subprocess.run(
        [sys.executable, "-m", "attribtui.sandbox.cron", "rebuild", "--user=1",
         f"--start={h1 - 3600}", f"--end={h1 - 1}"],
        env={**os.environ, DB_URL_ENV: url, "ATTRIBTUI_NOW": str(run_at)},
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    db = Database(url)
    try:
        (result,) = run_checks(CheckContext(db=db, now=run_at + 60),
                               select(["cron.rebuild_crosscheck"]))
    finally:
        db.close()
    assert result.status == "info", result.details
    assert "manual rebuild" in result.details and "user(s) 1:" in result.details
    assert [row[0] for row in result.evidence["rows"]] == [2]


def test_a_live_walkthrough_keeps_the_drill_and_says_how_to_resume_or_abandon(
        tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from attribtui.services import demo

    state = rollback.new(demo.profile(tmp_path / "demo.sqlite"),
                         rollback.Incident(user_id=1, model_id=7, safe_model_id=1, conv_ids=[1]))
    assert "abandon it: x on the Rollback screen" in demo.busy_reason()
    assert demo.needs_seed(demo.db_path(), drill="bad-default") in (None, "no demo database yet")
    exe = str(Path(sys.executable).parent / "attribtui")
    r = subprocess.run([exe, "demo", "--incident", "bad-default"], capture_output=True, text=True,
                       env=os.environ, stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode == 1
    assert r.stderr.strip() == (
        f"attribtui: refused: not reseeding the demo now: rollback walkthrough {state.id} is "
        "still active on the demo (finish it, or abandon it: x on the Rollback screen); "
        "`attribtui demo` reopens it as it is, to resume")
