"""The guided rollback end to end against the real MariaDB, memcached, the v2 emulator over
loopback and real job subprocesses: a planted "bad model" incident (a time-decay model made the
default through the API, polluted journeys), walked through, closed in the middle and resumed
from disk, ending with clean journeys and a report that holds every action and no secret."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from attribtui.checks.catalog import select
from attribtui.checks.framework import CheckContext
from attribtui.checks.runner import run_checks_and_save
from attribtui.infra import actionlog, api, clock
from attribtui.infra.config import ApiConfig, DbConfig, JobsConfig, Profile
from attribtui.infra.db import Database
from attribtui.sandbox import emulator
from attribtui.services import rollback
from attribtui.vocab import StepStatus
from tests.support import NOW, memcache_config, scalar

pytestmark = pytest.mark.mariadb

KEY1 = hashlib.sha256(b"attribtui-sandbox-api-key-1").hexdigest()
H1 = NOW - NOW % 3600


@pytest.fixture
def incident(fresh_db, monkeypatch):
    """A clean seed, the emulator, and the planted incident: bad default model + polluted journeys."""
    from attribtui.sandbox.seed import seed

    url = fresh_db()
    seed(url, conversions=300, now=NOW, defects="none")
    monkeypatch.setenv("ATTRIBTUI_NOW", str(NOW))  # the job stand-ins' "now"
    clock.freeze(NOW)
    server, _ = emulator.serve(url)
    prof = Profile(name="incident", environment="staging", db=DbConfig(url=url),
                   api=ApiConfig(base_url=emulator.base_url(server), key=KEY1, user_id=1),
                   memcache=memcache_config(),
                   jobs=JobsConfig(runner="sandbox"))
    with api.V2Client(prof) as c:
        bad = c.create_model({"name": "Decay 1h (bad)", "type": "time_decay",
                              "weighting_config": {"half_life_hours": 1}, "is_default": True})
    eng = create_engine(url)
    with eng.begin() as conn:
        # three of user 1's conversions with a stored journey, two to five hours old
        rows = conn.execute(text(
            "SELECT c.conv_id FROM `202_conversion_logs` c WHERE c.user_id = 1 AND c.deleted = 0 "
            "AND c.conv_time BETWEEN :a AND :b AND EXISTS (SELECT 1 FROM "
            "`202_conversion_touchpoints` t WHERE t.conv_id = c.conv_id) ORDER BY c.conv_id "
            "LIMIT 3"), {"a": H1 - 5 * 3600, "b": H1 - 2 * 3600}).all()
        polluted = [int(r[0]) for r in rows]
        assert len(polluted) == 3
        for cid in polluted:  # an extra touch: a click stored twice, at a position gap
            conn.execute(text(
                "INSERT INTO `202_conversion_touchpoints` (conv_id, click_id, click_time, "
                "position, created_at) SELECT conv_id, click_id, click_time, position + 5, :now "
                "FROM `202_conversion_touchpoints` WHERE conv_id = :c ORDER BY position LIMIT 1"),
                {"c": cid, "now": NOW})
    eng.dispose()
    yield {"url": url, "profile": prof, "bad": bad, "polluted": polluted}
    server.shutdown()
    server.server_close()
    clock.freeze(None)



def journey_statuses(url: str, prof: Profile, ids: list[int]) -> dict[int, str]:
    from attribtui.services import journeys

    db = Database(url)
    try:
        out = {}
        for r in journeys.lookup(db, ids, primary=True):
            journeys.enrich(db, prof, r)
            out[r.conv_id] = r.status
        return out
    finally:
        db.close()


def test_walkthrough_end_to_end_resumed_from_disk(incident) -> None:
    prof, url, bad, polluted = (incident[k] for k in ("profile", "url", "bad", "polluted"))
    assert set(journey_statuses(url, prof, polluted).values()) == {"fail"}  # the incident is real

    db0 = Database(url)  # the checks as they stood before the walkthrough: verify compares
    run_checks_and_save(CheckContext(db=db0, now=NOW, profile=prof), select(None))
    db0.close()
    state = rollback.new(prof, rollback.Incident(
        user_id=1, model_id=bad["model_id"], mitigation="deactivate", safe_model_id=1,
        conv_ids=polluted, note="decay model made default by mistake"))
    rid = state.id
    path = rollback.rollbacks_dir() / f"{rid}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(rollback.RollbackError, match="still active"):
        rollback.new(prof, rollback.Incident(user_id=1, model_id=2, conv_ids=[1]))

    db, client = rollback.open_backends(prof)
    # 1. mitigate: the bad model is the default, so the planner promotes the safe one first
    p = rollback.plan(prof, state, "mitigate", db=db, client=client)
    assert p.action is not None and not p.refused
    assert [s.body for s in p.change.requests] == [{"is_default": True}, {"is_active": False}]
    with pytest.raises(rollback.RollbackError, match="mitigate comes first"):
        rollback.run(prof, state, rollback.plan(prof, state, "verify", db=db), db=db)
    step = rollback.run(prof, state, p, db=db, client=client)
    assert step.status == "done", step
    assert scalar(url, "SELECT is_active FROM `202_attribution_models` WHERE model_id = :m",
                  m=bad["model_id"]) == 0
    assert scalar(url, "SELECT model_id FROM `202_attribution_models` WHERE user_id = 1 AND "
                       "is_default = 1") == 1

    # 2a. purge with backup
    p = rollback.plan(prof, state, "purge", db=db)
    rows_before = scalar(url, "SELECT COUNT(*) FROM `202_conversion_touchpoints` WHERE conv_id "
                              f"IN ({','.join(map(str, polluted))})")
    assert p.purge_plan.touchpoint_rows == rows_before and p.action.destructive
    step = rollback.run(prof, state, p, db=db)
    assert step.status == "done" and step.details["deleted_rows"] == rows_before
    assert Path(step.details["backup"]).exists()
    assert scalar(url, "SELECT COUNT(*) FROM `202_conversion_touchpoints` WHERE conv_id "
                       f"IN ({','.join(map(str, polluted))})") == 0

    # 2b. backfill starts a real job ... and the console "closes" while it runs
    p = rollback.plan(prof, state, "backfill", db=db)
    assert not p.refused, p.lines
    req = p.job.request
    assert req.user == 1 and req.start <= req.end
    step = rollback.run(prof, state, p, db=db)
    assert step.status == "running" and step.details["job_id"]
    db.close()
    client.close()
    del state, p, step, db, client

    state = rollback.load_state(rid)
    assert rollback.latest_active("incident").id == rid
    notes = rollback.resume(prof, state)
    assert notes and "backfill" in notes[0]
    step = state.step("backfill")
    if step.status == "running":  # re-attached, never started again
        step = rollback.wait_job(prof, state, "backfill")
    assert step.status == "done", step
    jobs = [e for e in actionlog.entries() if e["action"] == "job.start.backfill"]
    assert len(jobs) == 1
    assert set(journey_statuses(url, prof, polluted).values()) <= {"ok", "warn"}

    # 3. rebuild the affected hours; a guard row for its --end hour is found before launch
    db, client = rollback.open_backends(prof)
    win = rollback.rebuild_window(state, db)
    assert win.start % 3600 == 0 and (win.end + 1) % 3600 == 0 and win.end < H1
    guard = win.end - win.end % 3600
    with create_engine(url).begin() as conn:
        conn.execute(text("INSERT INTO `202_cronjobs` VALUES ('attr', :h)"), {"h": guard})
    p = rollback.plan(prof, state, "rebuild", db=db)
    assert p.refused and p.guard_hours == [guard] and "already has ('attr'" in p.refused
    assert any("cannot bring back" in ln for ln in p.lines)
    assert rollback.delete_guard(prof, state, guard, db) == 1
    p = rollback.plan(prof, state, "rebuild", db=db)
    assert not p.refused, p.lines
    rollback.run(prof, state, p, db=db)
    step = rollback.wait_job(prof, state, "rebuild")
    assert step.status == "done", step
    assert step.details["outcome"] == "succeeded"
    assert scalar(url, "SELECT COUNT(*) FROM `202_attribution_audit` WHERE action = "
                       "'snapshot_rebuild' AND created_at = :n AND model_id = :m",
                  n=NOW, m=bad["model_id"]) == 0  # the deactivated model is not rebuilt

    # 4. verify: a saved check run. The rebuild stand-in reproduces upstream's finalise
    # reference bug (docs/prosper202.md §Rebuild runner, "The finalise reference bug"): with
    # several active models the oldest takes over the previous model's snapshots, so a real
    # rebuild leaves duplicated and missing snapshots and double credits behind; verify reports
    # exactly those, nothing else.
    # Those checks were ok before the walkthrough: verify compares per check and is not done
    # while any got worse, until the operator accepts the difference with a reason.
    p = rollback.plan(prof, state, "verify", db=db)
    assert any("Compares each check with the run before the walkthrough" in ln for ln in p.lines)
    step = rollback.run(prof, state, p, db=db)
    finalise_bug = ("snapshots.duplicates", "snapshots.missing", "credits.conservation")
    assert all(c.split()[0] in finalise_bug for c in step.details["checks_not_ok"]
               if " fail:" in c or " error:" in c), step.details["checks_not_ok"]
    assert all("credits_sum" in problem for problem in step.details.get("journey_problems", []))
    assert Path(step.details["check_run"]).exists()
    worse = step.details["got_worse"]
    assert step.status == "failed" and worse, step
    # the snapshots the bug duplicates or loses no longer agree across models either (a warn)
    assert {w.split(":")[0] for w in worse} <= {*finalise_bug, "snapshots.agreement"}
    assert all(w.split(": ")[1].startswith("ok → ") for w in worse)
    assert "got worse" in step.result and state.current is step
    with pytest.raises(rollback.RollbackError, match="reason"):
        rollback.accept(prof, state, "verify", " ")
    step = rollback.accept(prof, state, "verify", "upstream finalise bug, ticket P202-88")
    assert step.status == "done" and "upstream finalise bug" in step.reason
    assert step.details["accepted"]["reason"] == "upstream finalise bug, ticket P202-88"

    # 5. audit, 6. report
    step = rollback.run(prof, state, rollback.plan(prof, state, "audit", db=db), db=db)
    assert any("model_update" in a for a in step.details["audit"])
    step = rollback.run(prof, state, rollback.plan(prof, state, "report", db=db), db=db)
    assert step.status == "done"
    md = Path(step.details["markdown"])
    state = rollback.load_state(rid)
    assert state.status == "done" and state.ended_at == NOW
    assert rollback.latest_active("incident") is None
    db.close()
    client.close()

    report = md.read_text()
    for needle in ("models.deactivate", "purge", "difference accepted by", "job.start.backfill", "job.start.rebuild",
                   "job.guard.delete", "backfill → succeeded", "rebuild → succeeded",
                   f"Rollback walkthrough {rid}",
                   "rollback.mitigate", state.step("purge").details["backup"]):
        assert needle in report, needle
    doc = json.loads(Path(step.details["json"]).read_text())
    assert {j["kind"] for j in doc["jobs"]} == {"backfill", "rebuild"}
    for f in (md, Path(step.details["json"]), actionlog.log_path(),
              rollback.rollbacks_dir() / f"{rid}.json"):
        assert KEY1 not in f.read_text()


def test_interrupted_step_is_never_redone_and_skip_needs_a_reason(incident) -> None:
    prof, polluted = incident["profile"], incident["polluted"]
    state = rollback.new(prof, rollback.Incident(user_id=1, model_id=incident["bad"]["model_id"],
                                                 safe_model_id=1, conv_ids=polluted))
    # a console that died during the purge: the step was marked running and nothing else
    step = state.step("mitigate")
    with pytest.raises(rollback.RollbackError, match="reason"):
        rollback.skip(prof, state, "mitigate", "  ")
    rollback.skip(prof, state, "mitigate", "done by hand in the Prosper202 UI")
    step = state.step("purge")
    step.status = StepStatus.RUNNING
    rollback.save(state)
    state = rollback.load_state(state.id)
    assert rollback.resume(prof, state) == ["step purge: interrupted"]
    step = state.step("purge")
    assert step.status == "interrupted" and "before running it again" in step.reason
    assert rollback.load_state(state.id).steps[1].status == "interrupted"
    skipped = [e for e in actionlog.entries() if e["action"] == "rollback.mitigate"]
    assert skipped[0]["result"]["reason"] == "done by hand in the Prosper202 UI"


def test_read_only_profile_can_view_but_not_run_mutating_steps(incident) -> None:
    from dataclasses import replace

    prof = replace(incident["profile"], read_only=True)
    state = rollback.new(prof, rollback.Incident(user_id=1, model_id=incident["bad"]["model_id"],
                                                 safe_model_id=1, conv_ids=incident["polluted"]))
    db, client = rollback.open_backends(prof)
    try:
        for sid in ("mitigate", "purge"):
            p = rollback.plan(prof, state, sid, db=db, client=client)
            assert p.refused and "read-only" in p.refused
            with pytest.raises(rollback.RollbackError, match="read-only"):
                rollback.run(prof, state, p, db=db, client=client)
        assert state.step("mitigate").status == "pending"
    finally:
        db.close()
        client.close()


def test_bad_incidents_are_refused_with_the_fix() -> None:
    cases = [
        (rollback.Incident(user_id=0, model_id=2, conv_ids=[1]), "user"),
        (rollback.Incident(user_id=1, model_id=None, conv_ids=[1]), "model"),
        (rollback.Incident(user_id=1, model_id=2), "conv_ids, or a window"),
        (rollback.Incident(user_id=1, model_id=2, start=NOW, end=NOW - 1), "before end"),
        (rollback.Incident(user_id=1, model_id=2, mitigation="set-default"), "safe model"),
        (rollback.Incident(user_id=1, model_id=2, mitigation="nuke", conv_ids=[1]), "mitigation"),
    ]
    for inc, needle in cases:
        with pytest.raises(rollback.RollbackError, match=needle):
            inc.check()
    with pytest.raises(rollback.RollbackError, match="no walkthrough"):
        rollback.load_state("rb-nope")
    with pytest.raises(rollback.RollbackError, match="not a walkthrough id"):
        rollback.load_state("../etc/passwd")


def test_headless_list_and_show(incident, tmp_path: Path) -> None:
    prof = incident["profile"]
    state = rollback.new(prof, rollback.Incident(user_id=1, model_id=incident["bad"]["model_id"],
                                                 safe_model_id=1, conv_ids=incident["polluted"]))
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[profiles.incident]\nenvironment = "staging"\n'
                   f'db = {{ url = "{incident["url"]}" }}\n')
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("ATTRIBTUI_") or k == "ATTRIBTUI_DATA_DIR"}
    env.update(ATTRIBTUI_CONFIG=str(cfg), ATTRIBTUI_NOW=str(NOW))

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "attribtui.cli", *args], capture_output=True,
                              text=True, env=env, timeout=60, stdin=subprocess.DEVNULL)

    out = cli("rollback", "list", "--json")
    assert out.returncode == 0, out.stderr
    assert [s["id"] for s in json.loads(out.stdout)] == [state.id]
    out = cli("rollback", "show", state.id, "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["incident"]["conv_ids"] == incident["polluted"]
    out = cli("rollback", "show", state.id)
    assert "1   mitigate" in out.stdout and "pending" in out.stdout
    out = cli("rollback", "show", "rb-missing")
    assert out.returncode == 1 and "no walkthrough" in out.stderr


def test_rebuild_window_ends_at_the_last_full_hour_never_now(incident) -> None:
    """An incident reaching into the current hour: the rebuild ends at the last full hour (a run
    ending now would write this hour's guard row, and the :15 cron would skip it)."""
    prof = incident["profile"]
    state = rollback.new(prof, rollback.Incident(user_id=1, mitigation="none",
                                                 start=H1 - 3 * 3600, end=NOW))
    win = rollback.rebuild_window(state, None)
    assert win is not None and (win.start, win.end) == (H1 - 3 * 3600, H1 - 1)
    assert any("last full hour" in w for w in win.why)
    only_now = rollback.new  # an incident inside the current hour leaves the cron to it
    rollback.abandon(prof, state, "test")
    state = only_now(prof, rollback.Incident(user_id=1, mitigation="none", start=H1, end=NOW))
    db = Database(incident["url"])
    try:
        p = rollback.plan(prof, state, "rebuild", db=db)
    finally:
        db.close()
    assert p.noop and "current hour" in p.noop and p.job is None
