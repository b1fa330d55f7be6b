"""The job runner with the sandbox stand-ins against the real MariaDB, as real subprocesses:
progress, honest outcomes, the guard, chunking, history, the named lock, the headless command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from attribtui.infra import actionlog, clock, locks
from attribtui.infra.config import DbConfig, JobsConfig, Profile
from attribtui.services.jobs import parse, preflight, runner, store
from attribtui.services.jobs.command import Command, JobRequest, build_commands, last_hours
from attribtui.vocab import JobOutcome
from tests.support import NOW, scalar

pytestmark = pytest.mark.mariadb

H1 = NOW - NOW % 3600
DAY_START, DAY_END = last_hours(86400, NOW)


@pytest.fixture
def url(fresh_db, monkeypatch) -> str:
    from attribtui.sandbox.seed import seed

    u = fresh_db()
    seed(u, conversions=300, now=NOW, defects="none")
    monkeypatch.setenv("ATTRIBTUI_NOW", str(NOW))  # the stand-ins' "now"
    clock.freeze(NOW)
    yield u
    clock.freeze(None)


def profile(url: str, **kw) -> Profile:
    return Profile(name=kw.pop("name", "fn"), environment="dev", db=DbConfig(url=url),
                   jobs=JobsConfig(runner="sandbox"), **kw)


def run(prof: Profile, req: JobRequest, **kw) -> tuple[store.JobRecord, list[runner.Snapshot],
                                                       list[parse.LineEvent]]:
    snaps: list[runner.Snapshot] = []
    lines: list[parse.LineEvent] = []

    def on_batch(batch, snap) -> None:
        lines.extend(batch)
        snaps.append(snap)

    rec = runner.start(prof, req, **kw)
    final = runner.run_attached(rec, on_batch)
    return final, snaps, lines



def test_backfill_then_rebuild_for_the_last_24h(url: str) -> None:
    prof = profile(url)
    req = JobRequest("backfill", DAY_START, DAY_END, batch_size=20)
    pf = preflight.run(prof, req)
    assert pf.ok, pf.findings
    assert pf.conversions == 53  # the seeded window, counted inside a conv_id range
    rec, snaps, lines = run(prof, req, total=pf.conversions)
    assert (rec.outcome, rec.exit["exit_codes"]) == ("succeeded", [0])
    processed = [int(e.text.split()[1]) for e in lines if e.kind == parse.PROGRESS]
    assert processed == sorted(processed) and processed[-1] == 51  # 2 are multi-touch disabled
    assert snaps[-1].finished and snaps[-1].done == 51 and snaps[-1].total == 53
    assert 0 < snaps[-1].fraction <= 1
    assert any(e.kind == parse.NOISE for e in lines)  # the PHP-style warnings, shown dimmed
    # the job folder: private, complete, and its command without secrets
    assert oct(rec.folder.stat().st_mode & 0o777) == "0o700"
    assert oct(rec.stdout_log.stat().st_mode & 0o777) == "0o600"
    assert rec.stdout_log.read_text().count("\n") == sum(e.stream == "stdout" for e in lines)

    req = JobRequest("rebuild", DAY_START, DAY_END)
    pf = preflight.run(prof, req)
    assert pf.ok and pf.users_total == 2 and pf.guard_hours == []
    before_hb = scalar(url, "SELECT last_execution_time FROM `202_cronjob_logs` WHERE id = 2")
    rec, snaps, lines = run(prof, req, total=pf.conversions, users_total=pf.users_total)
    assert rec.outcome == "succeeded" and "2 user(s)" in rec.reason
    assert snaps[-1].done == 2 and snaps[-1].fraction == 1.0
    effect = preflight.rebuild_effect(prof, rec)
    assert effect.heartbeat == NOW and effect.heartbeat != before_hb
    newest = [n for _, n, _ in effect.models]
    # Upstream's finalise reference bug (docs/prosper202.md §Rebuild runner): per user with
    # several models, the oldest model takes over the previous model's snapshots, which then has
    # none; the stand-in reproduces it.
    assert newest.count(None) <= pf.users_total
    assert max(n for n in newest if n is not None) == DAY_END - DAY_END % 3600
    assert sum(n for _, _, n in effect.models) > 0
    audits = scalar(url, "SELECT COUNT(*) FROM `202_attribution_audit` WHERE action = "
                         f"'snapshot_rebuild' AND created_at = {NOW}")
    assert audits == 5  # one per active model of the two users

    # the same hour again: flagged before it is wasted ...
    pf = preflight.run(prof, req)
    assert not pf.ok and pf.guard_hours == [H1 - 3600]
    assert "already has ('attr'" in next(f.text for f in pf.findings if f.code == "guard")
    # ... and if run anyway, honestly "skipped" (exit 0 from the script, 1 from us)
    rec, _, _ = run(prof, req)
    assert (rec.outcome, rec.exit["exit_codes"]) == ("skipped", [0])
    assert JobOutcome(rec.outcome).exit_code == 1
    # the facts' second choice: delete the guard row, confirmed and logged
    assert preflight.delete_guard_row(prof, H1 - 3600) == 1
    assert preflight.run(prof, req).ok
    assert [e["action"] for e in actionlog.entries()][-1] == "job.guard.delete"
    hist = store.history(profile="fn")
    assert [r.outcome for r in hist] == ["skipped", "succeeded", "succeeded"]


def test_chunked_rebuild_runs_hour_aligned_chunks_in_order(url: str) -> None:
    prof = profile(url)
    req = JobRequest("rebuild", H1 - 3 * 86400, H1 - 1, user=1, chunk=86400)
    cmds = build_commands(prof, req)
    assert [c.argv[-2:] for c in cmds] == [
        [f"--start={H1 - 3 * 86400}", f"--end={H1 - 2 * 86400 - 1}"],
        [f"--start={H1 - 2 * 86400}", f"--end={H1 - 86400 - 1}"],
        [f"--start={H1 - 86400}", f"--end={H1 - 1}"]]
    assert all("--user=1" in c.argv for c in cmds)
    rec, snaps, lines = run(prof, req, users_total=1)
    assert rec.outcome == "succeeded" and rec.exit["exit_codes"] == [0, 0, 0]
    assert rec.reason == "all 3 chunks succeeded"
    assert max(s.chunk for s in snaps) == 3 and snaps[-1].fraction == 1.0
    done = [e.text for e in lines if e.kind == parse.DONE]
    assert len(done) == 3
    # each chunk wrote its guard row and deleted older ones: the last chunk's hour is left,
    # next to the seeded scheduled run's (newer) row
    rows = scalar(url, "SELECT GROUP_CONCAT(cronjob_time ORDER BY cronjob_time) FROM `202_cronjobs`")
    assert rows == f"{H1 - 3600},{H1}"


def test_a_second_operator_is_refused_by_the_lock_and_sees_the_holder(url: str) -> None:
    prof = profile(url)
    req = JobRequest("rebuild", DAY_START, DAY_END)
    with locks.acquire(url, "purge", operator="alice"):
        held = locks.holder(url)
        assert held is not None and held.operator == "alice" and held.action == "purge"
        pf = preflight.run(prof, req)
        assert not pf.ok and "alice@" in next(f.text for f in pf.findings if f.code == "lock")
        rec, _, lines = run(prof, req)
        assert rec.outcome == "not-started" and "alice@" in rec.reason
        assert JobOutcome(rec.outcome).exit_code == 3
        # a held lock is a refusal and nothing changed: exit 1, as from purge (issue 12, item 10)
        assert rec.exit_code == 1 and rec.exit["refused"] is True
        assert any("refused" in e.text for e in lines if e.kind == parse.META)
    assert locks.holder(url) is None
    # nothing ran: no guard row written for the hour
    assert preflight.guard_rows(__import__("attribtui.infra.db", fromlist=["Database"]).Database(url),
                                [H1 - 3600]) == []


def test_the_wrapper_holds_the_lock_while_the_job_runs(url: str, tmp_path: Path) -> None:
    prof = profile(url)
    script = Path(__file__).parent / "jobscripts" / "hang.py"
    from attribtui.services.jobs.command import Command

    rec = runner.start(prof, JobRequest("rebuild", DAY_START, DAY_END),
                       commands=[Command([sys.executable, str(script)], display="hang")])
    started = threading.Event()
    f = runner.Follower(rec, lambda b, s: b and started.set()).start()
    try:
        assert started.wait(30)  # the child prints only after the wrapper took the lock
        with pytest.raises(locks.LockBusy, match="rebuild"):
            locks.acquire(url, "purge")
        held = locks.holder(url)
        assert held is not None and held.job_id == rec.id and held.action == "rebuild"
    finally:
        runner.cancel(rec, grace_s=5)
        f.finished.wait(30)
    assert locks.holder(url) is None and store.load(rec.id).outcome == "cancelled"


def test_db_outage_is_suspicious_not_success(url: str) -> None:
    prof = profile("mysql+pymysql://root@127.0.0.1:1/nowhere")
    rec, _, lines = run(prof, JobRequest("rebuild", DAY_START, DAY_END), lock=False)
    assert rec.exit["exit_codes"] == [0]
    assert rec.outcome == "suspicious" and "HTML" in rec.reason
    assert any(e.kind == parse.HTML for e in lines)


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    exe = str(Path(sys.executable).parent / "attribtui")
    return subprocess.run([exe, *args], capture_output=True,
                          text=True, env=env, stdin=subprocess.DEVNULL, timeout=120)


def test_headless_run_and_jobs(url: str, tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[profiles.sb]\nenvironment = "dev"\n[profiles.sb.db]\nurl = "{url}"\n'
                   '[profiles.sb.jobs]\nrunner = "sandbox"\n')
    env = {**os.environ, "ATTRIBTUI_CONFIG": str(cfg)}
    r = _cli(["run", "rebuild", "--last=24h"], env)
    assert r.returncode == 1 and "--yes" in r.stderr  # stdin is not a terminal
    r = _cli(["run", "rebuild", "--last=24h", "--dry-run"], env)
    assert r.returncode == 0 and f"--start={DAY_START} --end={DAY_END}" in r.stdout
    r = _cli(["run", "rebuild", "--last=24h", "--yes"], env)
    assert r.returncode == 0, r.stderr
    assert "Attribution recalculation complete for 2 user(s)" in r.stdout
    assert "[Prosper202][attribution_job]" in r.stderr and "succeeded" in r.stderr
    r = _cli(["run", "rebuild", "--last=24h", "--yes"], env)
    assert r.returncode == 1 and "already has ('attr'" in r.stderr
    r = _cli(["run", "rebuild", "--last=24h", "--yes", "--delete-guard"], env)
    assert r.returncode == 0 and "deleted the guard row" in r.stderr
    r = _cli(["run", "backfill", "--start=10", "--end=5", "--yes"], env)
    assert r.returncode == 1 and "is not before end" in r.stderr
    r = _cli(["run", "backfill", "--start=yesterday", "--yes"], env)
    assert r.returncode == 64 and "--start" in r.stderr
    r = _cli(["run", "backfill", "--last=24h", "--batch-size=0", "--yes"], env)
    assert r.returncode == 1 and "batch size 0" in r.stderr
    r = _cli(["jobs", "--json"], env)
    jobs = json.loads(r.stdout)
    assert [j["outcome"] for j in jobs] == ["succeeded", "succeeded"]
    assert all("P202_SANDBOX_DB_URL" in j["command"] for j in jobs)
    r = _cli(["jobs", "show", jobs[0]["id"]], env)
    assert r.returncode == 0 and "--- stdout" in r.stdout
    head = r.stdout.split("--- stdout")[0]
    assert "{" not in head and "[" not in head  # text, not Python structures (--json has data)
    fields = dict(line.split(None, 1) for line in head.splitlines() if line.strip())
    assert fields["job"].startswith(f"{jobs[0]['id']} (rebuild on profile ")
    assert fields["outcome"].startswith("succeeded: ") and fields["outcome"].endswith("(exit 0)")
    window = jobs[0]["window"]
    assert fields["window"] == f"{window['start_iso']} → {window['end_iso']}"


def test_secrets_stay_out_of_commands_and_history(tmp_path: Path) -> None:
    secret = "s3cr3t-pw"
    prof = Profile(name="p", environment="dev",
                   db=DbConfig(url=f"mysql+pymysql://app:{secret}@db.internal/p202"),
                   jobs=JobsConfig(runner="php", prosper_root=Path("/var/www/p202"),
                                   command_prefix=["ssh", "app1"],
                                   env={"P202_DB_PASS": secret}))
    cmds = build_commands(prof, JobRequest("backfill", DAY_START, DAY_END, batch_size=100))
    shown = cmds[0].display
    assert secret not in shown and secret not in " ".join(cmds[0].argv)
    assert "nohup setsid" in cmds[0].argv[-1] and "--batch-size=100" in cmds[0].argv[-1]
    assert secret in (cmds[0].stdin or "")  # shipped on stdin, never on the ssh command line
    sandbox = profile(f"mysql+pymysql://root:{secret}@127.0.0.1/x")
    c = build_commands(sandbox, JobRequest("rebuild", DAY_START, DAY_END))[0]
    assert secret not in c.display and c.env["P202_SANDBOX_DB_URL"].endswith("/x")


def test_chunk_markers_are_printed_once_while_following(url: str, tmp_path: Path) -> None:
    env = _config(tmp_path, url)
    r = _cli(["run", "rebuild", f"--start={H1 - 2 * 86400}", f"--end={H1 - 1}", "--chunk=24h",
              "--user=1", "--yes"], env)
    assert r.returncode == 0, r.stderr
    both = r.stdout + r.stderr
    assert both.count("[attribtui] chunk 1/2 ") == 1 and both.count("[attribtui] chunk 2/2 ") == 1
    (rec,) = store.history()
    # the logs keep a marker per stream: each stream's lines know their chunk
    assert "[attribtui] chunk 2/2" in rec.stderr_log.read_text()


def _config(tmp_path: Path, url: str, *, environment: str = "dev", read_only: bool = False,
            operator: str | None = None) -> dict[str, str]:
    cfg = tmp_path / "config.toml"
    top = f'operator = "{operator}"\n' if operator else ""
    cfg.write_text(f'{top}default_profile = "sb"\n[profiles.sb]\nenvironment = "{environment}"\n'
                   f'[profiles.sb.db]\nurl = "{url}"\n[profiles.sb.jobs]\nrunner = "sandbox"\n'
                   f'[profiles.ro]\nenvironment = "dev"\nread_only = true\n'
                   f'[profiles.ro.db]\nurl = "{url}"\n')
    env = {k: v for k, v in os.environ.items() if k not in ("USER", "SUDO_USER")}
    return {**env, "ATTRIBTUI_CONFIG": str(cfg)}


def _hanging_job(url: str, name: str, environment: str) -> store.JobRecord:
    script = Path(__file__).parent / "jobscripts" / "hang.py"
    prof = Profile(name=name, environment=environment, db=DbConfig(url=url),
                   jobs=JobsConfig(runner="sandbox"))
    rec = runner.start(prof, JobRequest("rebuild", DAY_START, DAY_END), lock=False,
                       commands=[Command([sys.executable, str(script)], display="hang")])
    seen = threading.Event()
    f = runner.Follower(rec, lambda b, s: b and seen.set()).start()
    assert seen.wait(30)
    f.stop()
    return rec


def test_cancel_is_confirmed_under_the_rules_of_the_job_s_profile(url: str, tmp_path: Path) -> None:
    env = _config(tmp_path, url, environment="production", operator="jane.doe")
    rec = _hanging_job(url, "sb", "production")
    try:
        # a read-only profile may look, never cancel (issue 12, item 3)
        r = _cli(["jobs", "cancel", rec.id, "--profile", "ro", "--yes"], env)
        assert r.returncode == 1 and r.stderr.splitlines() == [
            f"attribtui: refused: profile 'ro' is read-only: job {rec.id} was not cancelled; "
            "use a profile without read_only = true (the job was started on 'sb')"]
        r = _cli(["jobs", "cancel", rec.id, "--yes"], {**env, "ATTRIBTUI_READ_ONLY": "1"})
        assert r.returncode == 1 and "profile 'sb' is read-only" in r.stderr
        # the job's profile is production: --yes alone is not enough, as for any write
        r = _cli(["jobs", "cancel", rec.id, "--yes"], env)
        assert r.returncode == 1 and r.stderr.splitlines()[-1] == (
            f"attribtui: refused: Cancel job {rec.id} (rebuild): on profile 'sb' (production) "
            "also pass --confirm=sb")
        r = _cli(["jobs", "cancel", rec.id], env)
        assert r.returncode == 1 and "pass --yes" in r.stderr
        assert store.load(rec.id).running
        r = _cli(["jobs", "cancel", rec.id, "--yes", "--confirm=sb", "--grace=5"], env)
        assert r.returncode == 0, r.stderr
        assert r.stderr.splitlines()[-1] == f"attribtui: job {rec.id} terminated (SIGTERM)"
    finally:
        if store.load(rec.id).running:
            runner.cancel(rec, grace_s=1)
    final = store.load(rec.id)
    assert final.outcome == "cancelled" and final.exit["cancelled_by"] == "jane.doe"
    entry = [e for e in actionlog.entries() if e["action"] == "job.cancel.rebuild"][-1]
    assert (entry["operator"], entry["profile"], entry["target"]) == ("jane.doe", "sb", rec.id)


def test_cancel_refuses_read_only_in_the_core(url: str) -> None:
    rec = _hanging_job(url, "fn", "dev")
    try:
        ro = profile(url, read_only=True)
        with pytest.raises(runner.CancelRefused, match="read-only: job .* was not cancelled"):
            runner.cancel(rec, profile=ro)
        assert store.load(rec.id).running
    finally:
        runner.cancel(rec, grace_s=1)


def test_known_php_noise_is_folded_into_one_counted_line(url: str, tmp_path: Path) -> None:
    """The real stand-ins' output: connect.php's $_SERVER warnings (two per persisted journey)
    fold into one counted line; the script's own lines and errors stay; --show-noise shows all."""
    env = {k: v for k, v in _config(tmp_path, url).items()
           if k not in ("HTTP_HOST", "SERVER_ADDR", "SERVER_NAME", "REMOTE_ADDR")}
    r = _cli(["run", "backfill", "--last=24h", "--user=1", "--yes"], env)
    assert r.returncode == 0, r.stderr
    both = r.stdout + r.stderr
    assert "Undefined array key" not in both
    assert "Journey backfill complete." in r.stdout and "Processed " in r.stdout
    (rec,) = store.history()
    logged = rec.stdout_log.read_text() + rec.stderr_log.read_text()
    noise = [line for stream, log in (("stdout", rec.stdout_log), ("stderr", rec.stderr_log))
             for line in log.read_text().splitlines()
             if parse.is_known_noise(parse.kind_of(stream, line), line)]
    assert logged.count('Undefined array key "HTTP_HOST"') > 20  # one per journey, both streams
    assert all("Undefined array key" in line or not line.strip() for line in noise)
    assert f"… {len(noise):,} lines of known PHP noise folded" in r.stderr
    assert "--show-noise shows them" in r.stderr
    shown = _cli(["jobs", "show", rec.id, "--lines=100000", "--show-noise"], env).stdout
    folded = _cli(["jobs", "show", rec.id, "--lines=100000"], env).stdout
    assert 'PHP Warning:  Undefined array key "SERVER_NAME"' in shown
    assert "Undefined array key" not in folded and "lines of known PHP noise folded" in folded
    again = _cli(["run", "backfill", "--last=24h", "--user=1", "--yes", "--show-noise"], env)
    assert 'Undefined array key "REMOTE_ADDR"' in again.stdout + again.stderr
    assert "noise folded" not in again.stderr


def test_other_warnings_and_errors_are_never_folded() -> None:
    kept = [("stderr", "PHP Warning:  mysqli::query(): MySQL server has gone away in x.php"),
            ("stderr", "PHP Fatal error:  Uncaught Exception: boom in x.php:3"),
            ("stdout", "Processed 10 conversions..."),
            ("stderr", "Conversion 7 failed: MySQL execute failed: Duplicate entry")]
    for stream, line in kept:
        assert not parse.is_known_noise(parse.kind_of(stream, line), line), line
    assert parse.is_known_noise(parse.NOISE, "")
    assert parse.is_known_noise(parse.NOISE, 'Warning: Undefined array key 2 in /x/connect.php '
                                              "on line 401")


def test_pace_slows_the_stand_ins_and_a_bad_pace_is_one_line(url: str) -> None:
    env = {**os.environ, "P202_SANDBOX_DB_URL": url}
    env.pop("P202_SANDBOX_PACE", None)
    cmd = [sys.executable, "-m", "attribtui.sandbox.cron", "backfill", f"--start={DAY_START}",
           f"--end={DAY_END}", "--user=1", "--batch-size=10"]
    bad = subprocess.run([*cmd, "--pace=soon"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert bad.returncode == 64
    assert bad.stderr.strip() == ("--pace=soon is not a number of seconds from 0 to 60; "
                                  "e.g. --pace=2")
    t0 = time.monotonic()
    ok = subprocess.run([*cmd, "--pace=0.2"], capture_output=True, text=True, env=env,
                        timeout=120)
    took = time.monotonic() - t0
    assert ok.returncode == 0, ok.stderr
    batches = ok.stdout.count("Processed ")
    assert batches >= 3 and "Journey backfill complete." in ok.stdout
    assert took >= 0.2 * batches  # it waited after every batch


def test_profile_demo_works_headless_and_shares_the_console_history(tmp_path: Path) -> None:
    from attribtui.services import demo

    env = {k: v for k, v in os.environ.items() if k not in ("ATTRIBTUI_CONFIG", "ATTRIBTUI_DB_URL")}
    r = _cli(["check", "--profile", "demo"], env)
    assert r.returncode == 3
    assert r.stderr.strip().endswith("run `attribtui demo` once to seed it")
    assert len(r.stderr.strip().splitlines()) == 1
    demo.reseed(demo.db_path(), conversions=200)
    r = _cli(["run", "backfill", "--profile", "demo", "--last=7d", "--user=1", "--yes"], env)
    assert "started job" in r.stderr, r.stderr
    assert "the demo console is not open" not in r.stderr  # only API commands need it
    r = _cli(["models", "list", "--profile", "demo"], env)
    assert r.returncode == 3 and r.stderr.strip().endswith(
        "the demo console is not open, so its v2 API emulator is not running: open "
        "`attribtui demo` in another terminal first"), r.stderr
    # The same database through ATTRIBTUI_DB_URL (the implicit profile 'env', production care).
    url = demo.url_for(demo.db_path())
    r = _cli(["run", "backfill", "--last=7d", "--user=1", "--yes", "--confirm=env"],
             {**env, "ATTRIBTUI_DB_URL": url, "ATTRIBTUI_JOBS_RUNNER": "sandbox"})
    assert "started job" in r.stderr, r.stderr
    shared = store.history(200, demo.PROFILE_NAME, store.database_id(url))
    assert sorted(j.profile for j in shared) == ["demo", "env"]
    assert [j.profile for j in store.history(200, demo.PROFILE_NAME)] == ["demo"]
    listed = json.loads(_cli(["jobs", "--profile", "demo", "--json"], env).stdout)
    assert sorted(j["profile"] for j in listed) == ["demo", "env"]
    # A config file's own 'demo' profile wins over the embedded one.
    cfg = tmp_path / "c.toml"
    cfg.write_text('[profiles.demo]\nenvironment = "staging"\n')
    r = _cli(["config", "show", "--profile", "demo"], {**env, "ATTRIBTUI_CONFIG": str(cfg)})
    assert "staging" in r.stdout, r.stderr


def test_demo_pace_reaches_the_jobs_and_is_bounded() -> None:
    from attribtui.services import demo

    assert demo.profile(pace=2).jobs.env == {"P202_SANDBOX_PACE": "2"}
    assert demo.profile().jobs.env == {}
    r = _cli(["demo", "--pace=90"], dict(os.environ))
    assert r.returncode == 64 and "90 is not a number of seconds from 0 to 60" in r.stderr
