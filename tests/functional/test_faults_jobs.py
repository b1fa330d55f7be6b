"""Faults around jobs, against the real MariaDB (through FaultProxy where the network must fail)
and real subprocesses: the one-operator lock lost under a running job, a cut or stalled lock, a
missing privilege, the guard-row delete whose commit goes wrong, and hostile sizes.

Every scenario checks the exit code, the one line printed, and what the database or the job's
record says really happened.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from attribtui.infra import actionlog, clock, locks
from attribtui.infra.config import DbConfig, JobsConfig, Profile
from attribtui.sandbox.seed import seed
from attribtui.services.jobs import parse, preflight, runner, store
from attribtui.services.jobs.command import Command, JobRequest, last_hours
from tests.faults import COMMIT, FaultProxy, fault_proxy
from tests.support import MARIADB_HOST, MARIADB_PORT, NOW, scalar, wait_for

pytestmark = pytest.mark.mariadb

GATE = Path(__file__).parent / "jobscripts" / "gate.py"
H1 = NOW - NOW % 3600
DAY_START, DAY_END = last_hours(86400, NOW)
GUARD_HOUR = H1 - 3600  # the hour of --end of `--last=24h`


@pytest.fixture
def seeded(fresh_db, monkeypatch) -> Iterator[str]:
    url = fresh_db()
    seed(url, conversions=300, now=NOW, defects="none")
    monkeypatch.setenv("ATTRIBTUI_NOW", str(NOW))
    clock.freeze(NOW)
    yield url
    clock.freeze(None)


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    with fault_proxy() as p:
        yield p


def dbname(url: str) -> str:
    return url.rsplit("/", 1)[1]


def profile(url: str, **kw) -> Profile:
    return Profile(name=kw.pop("name", "fj"), environment=kw.pop("environment", "dev"),
                   db=DbConfig(url=url, connect_timeout_s=2.0), jobs=JobsConfig(runner="sandbox"),
                   **kw)


def cli_env(tmp_path: Path, url: str, *, runner_line: str = 'runner = "sandbox"') -> dict[str, str]:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[profiles.sb]\nenvironment = "dev"\n[profiles.sb.db]\nurl = "{url}"\n'
                   f"connect_timeout_s = 2.0\n[profiles.sb.jobs]\n{runner_line}\n")
    return {**os.environ, "ATTRIBTUI_CONFIG": str(cfg)}


def cli(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    exe = str(Path(sys.executable).parent / "attribtui")
    return subprocess.run([exe, *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=timeout)


def last_line(stderr: str) -> str:
    return [ln for ln in stderr.splitlines() if ln.strip()][-1]


def root() -> pymysql.connections.Connection:
    return pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", autocommit=True)



def guard_rows(url: str, hour: int = GUARD_HOUR) -> int:
    return int(scalar(url, "SELECT COUNT(*) FROM `202_cronjobs` WHERE cronjob_type = 'attr' AND "
                           f"cronjob_time = {hour}"))


class Tail:
    """Follow a job; wait (with a deadline) until a line holding some text has arrived."""

    def __init__(self, rec: store.JobRecord) -> None:
        self.lines: list[parse.LineEvent] = []
        self.snaps: list[runner.Snapshot] = []
        self._cv = threading.Condition()
        self.follower = runner.Follower(rec, self._on_batch).start()

    def _on_batch(self, batch: list[parse.LineEvent], snap: runner.Snapshot) -> None:
        with self._cv:
            self.lines.extend(batch)
            self.snaps.append(snap)
            self._cv.notify_all()

    def wait_for(self, needle: str, timeout: float = 30) -> parse.LineEvent:
        deadline = time.monotonic() + timeout
        with self._cv:
            while True:
                for ev in self.lines:
                    if needle in ev.text:
                        return ev
                left = deadline - time.monotonic()
                assert left > 0, f"no line with {needle!r} within {timeout} s"
                self._cv.wait(left)

    def end(self) -> store.JobRecord:
        assert self.follower.finished.wait(60)
        return store.load(self.follower.rec.folder)


def gated_job(prof: Profile, tmp_path: Path, chunks: int) -> tuple[store.JobRecord, list[Path]]:
    """A job of `chunks` runs of gate.py holding the lock; each run ends when its gate opens."""
    gates = []
    for i in range(chunks):
        g = tmp_path / f"gate{i}"
        os.mkfifo(g)
        gates.append(g)
    cmds = [Command([sys.executable, str(GATE), str(g)], display=f"gate {i}")
            for i, g in enumerate(gates)]
    req = JobRequest("script", H1 - chunks * 86400, H1 - 1, chunk=86400 if chunks > 1 else None)
    return runner.start(prof, req, commands=cmds, lock=True), gates


def open_gate(gate: Path) -> None:
    with open(gate, "w"):
        pass


def kill_lock_connection(url: str) -> int:
    held = locks.holder(url)
    assert held is not None and held.connection_id
    with root() as conn, conn.cursor() as cur:
        cur.execute(f"KILL {int(held.connection_id)}")
    return int(held.connection_id)


# -- a wrapper killed under its running chunk ------------------------------------------------------


def test_an_orphaned_chunk_is_named_and_can_be_cancelled(fresh_db, tmp_path) -> None:
    prof = profile(fresh_db())
    rec, gates = gated_job(prof, tmp_path, 1)
    tail = Tail(rec)
    tail.wait_for("waiting at")
    assert rec.pid is not None
    os.kill(rec.pid, signal.SIGKILL)  # the wrapper only: gate.py runs on, orphaned
    wait_for(lambda: store.load(rec.folder).lost, "the wrapper to be gone")
    orphaned = store.load(rec.folder)
    (pid,) = store.orphans(orphaned.pid, orphaned.id)
    assert orphaned.outcome == "suspicious" and orphaned.reason.endswith(
        f"its script is still running: `attribtui jobs cancel {rec.id}` stops it")
    said = runner.cancel(orphaned, profile=prof, grace_s=5, by="alice")
    assert said == f"job {rec.id} orphaned script stopped (pid {pid}; its wrapper was gone)"
    assert store.orphans(orphaned.pid, orphaned.id) == []
    final = store.load(rec.folder)
    assert final.outcome == "cancelled" and final.exit["cancelled_by"] == "alice"
    assert final.exit_code == 2


# -- the lock lost under a running job (issue 12, item 4) ------------------------------------------


def test_a_killed_lock_connection_stops_the_job_before_its_next_chunk(fresh_db, tmp_path) -> None:
    url = fresh_db()
    prof = profile(url)
    rec, gates = gated_job(prof, tmp_path, 3)
    tail = Tail(rec)
    tail.wait_for("waiting at")
    killed = kill_lock_connection(url)
    # the wrapper notices within a few seconds, says so loudly, and takes the lock back
    lost = tail.wait_for("LOCK LOST")
    assert lost.stream == "stderr" and lost.kind == parse.META
    assert lost.text.startswith(f"[attribtui] LOCK LOST during chunk 1/3: the "
                                f"attribtui:{dbname(url)} lock's connection {killed} is gone")
    assert "took it back on a new connection" in lost.text
    held = locks.holder(url)
    assert held is not None and held.job_id == rec.id and held.connection_id != killed
    # nothing new starts meanwhile: not a purge (the same rule every holder follows) ...
    with pytest.raises(locks.LockBusy, match="lost the server lock"):
        locks.acquire(url, "purge", operator="bob")
    # ... and the console following it says so until the job ends
    follow = subprocess.Popen([str(Path(sys.executable).parent / "attribtui"), "jobs", "show",
                               rec.id, "--follow"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, stdin=subprocess.DEVNULL)
    assert follow.stderr is not None
    progress = follow.stderr.readline()  # attached: its first progress line
    assert progress.startswith("[‼ LOCK LOST: nothing new starts until this job ends · chunk 1/3")
    open_gate(gates[0])  # chunk 1 ends; chunk 2 must not start
    out, err = follow.communicate(timeout=60)
    final = tail.end()
    assert final.outcome == "failed" and final.exit["exit_codes"] == [0]
    assert final.reason.startswith(f"the job's lock was lost: the attribtui:{dbname(url)} lock's "
                                   f"connection {killed} is gone")
    assert final.reason.endswith("stopped before chunk 2/3 so that no other job runs over it: "
                                 "chunks 2..3 not run; start them again as a new job")
    assert final.exit["lock_lost"] and final.exit_code == 2
    assert follow.returncode == 2
    assert last_line(err) == f"attribtui: ✖ FAILED: {final.reason} (exit 2)"
    assert "chunk 2/3" not in final.stdout_log.read_text()
    assert final.stderr_log.read_text().count("LOCK LOST") == 1
    # the lock and the local refusal end with the job
    assert locks.holder(url) is None
    locks.acquire(url, "purge").release()


def test_a_lock_taken_by_another_session_meanwhile_refuses_every_new_job(
        seeded: str, tmp_path: Path) -> None:
    prof = profile(seeded, name="sb")
    rec, gates = gated_job(prof, tmp_path, 1)
    tail = Tail(rec)
    tail.wait_for("waiting at")
    name = locks.lock_name(seeded)
    # another session queues for the lock, so it gets it the moment the connection dies
    other = root()
    with other.cursor() as cur:
        cur.execute("SELECT CONNECTION_ID()")
        (other_id,) = cur.fetchone()
    got: list[int] = []
    waiter = threading.Thread(target=lambda: got.append(_get_lock(other, name)), daemon=True)
    waiter.start()
    _wait_until_waiting(other_id)
    killed = kill_lock_connection(seeded)
    waiter.join(30)
    assert got == [1]
    lost = tail.wait_for("LOCK LOST")
    assert lost.text.startswith(f"[attribtui] LOCK LOST during the run: the {name} lock's "
                                f"connection {killed} is gone")
    assert "could not take it back (it is now held by db user root@" in lost.text
    assert "two operators may be writing this database now" in lost.text
    # the server lock belongs to the other session now; this machine still refuses new work
    env = cli_env(tmp_path, seeded)
    r = cli(["run", "rebuild", "--last=24h", "--yes"], env)
    assert r.returncode == 1, r.stderr
    line = last_line(r.stderr)
    assert line.startswith("attribtui: refused: another job holds the lock on this database: ")
    assert f"(script, job {rec.id})" in line and "it lost the server lock" in line
    assert line.endswith("runs on until it ends; wait for it to finish; nothing was started")
    with other.cursor() as cur:
        cur.execute("SELECT RELEASE_LOCK(%s)", (name,))
    other.close()
    with pytest.raises(locks.LockBusy, match=f"job {rec.id}"):
        locks.acquire(seeded, "purge")  # the server lock is free, the job still runs
    open_gate(gates[0])
    final = tail.end()
    assert final.outcome == "suspicious" and final.exit_code == 1
    assert final.reason.startswith(f"exit 0, but the job's lock was lost: the {name} lock's "
                                   f"connection {killed} is gone")
    assert guard_rows(seeded) == 0  # the refused rebuild wrote nothing
    r = cli(["jobs", "show", rec.id], env)
    assert r.returncode == 1 and final.reason in r.stdout
    locks.acquire(seeded, "purge").release()  # free again once the job ended


def _get_lock(conn: pymysql.connections.Connection, name: str) -> int:
    with conn.cursor() as cur:
        cur.execute("SELECT GET_LOCK(%s, 30)", (name,))
        (got,) = cur.fetchone()
    return int(got)


def _wait_until_waiting(conn_id: int, timeout: float = 10) -> None:
    """Until that session is queued in GET_LOCK (the server's process list says so)."""
    deadline = time.monotonic() + timeout
    with root() as conn, conn.cursor() as cur:
        while time.monotonic() < deadline:
            cur.execute("SELECT INFO FROM information_schema.PROCESSLIST WHERE ID = %s",
                        (conn_id,))
            row = cur.fetchone()
            if row and row[0] and "GET_LOCK" in row[0]:
                return
    raise AssertionError("the other session never queued for the lock")


# -- the lock cut or stalled, and a missing privilege (issue 12, item 5) ---------------------------


def test_a_cut_get_lock_inside_the_job_is_named_and_nothing_runs(
        seeded: str, proxy: FaultProxy, tmp_path: Path) -> None:
    name = dbname(seeded)
    env = cli_env(tmp_path, proxy.url(name))
    hb = scalar(seeded, "SELECT last_execution_time FROM `202_cronjob_logs` WHERE id = 2")
    fired = proxy.cut_on(b"GET_LOCK")
    r = cli(["run", "rebuild", "--last=24h", "--yes"], env)
    assert fired.is_set()
    assert r.returncode == 3, r.stderr
    assert last_line(r.stderr) == (
        f"attribtui: ‼ could not start: could not take the job lock: cannot take the "
        f"attribtui:{name} lock: lost the connection to the database at mysql "
        f"127.0.0.1:{proxy.port}/{name} (OperationalError 2013: Lost connection to MySQL server "
        "during query); check db.url and that the server is running (exit 3)")
    assert "internal error" not in r.stderr
    (rec,) = store.history()
    assert rec.outcome == "not-started" and rec.reason.startswith("could not take the job lock")
    assert not (rec.folder / "wrapper.log").read_text()  # named in the outcome, not only here
    assert guard_rows(seeded) == 0
    assert scalar(seeded, "SELECT last_execution_time FROM `202_cronjob_logs` WHERE id = 2") == hb


def test_a_stalled_lock_server_is_an_outage_not_a_suspicious_job(
        seeded: str, proxy: FaultProxy) -> None:
    prof = profile(proxy.url(dbname(seeded)))
    req = JobRequest("rebuild", DAY_START, DAY_END)
    pf = preflight.run(prof, req)
    assert pf.ok, pf.findings
    proxy.stall()
    try:
        rec = runner.run_attached(runner.start(prof, req), lambda b, s: None)
    finally:
        proxy.resume()
    assert rec.outcome == "not-started" and rec.exit_code == 3
    assert rec.reason.startswith(f"could not take the job lock: cannot use the attribtui:"
                                 f"{dbname(seeded)} lock: ")
    assert "timed out" in rec.reason and "check db.url" in rec.reason
    assert guard_rows(seeded) == 0


def test_a_cut_lock_probe_in_the_preflight_could_not_start(
        seeded: str, proxy: FaultProxy, tmp_path: Path) -> None:
    name = dbname(seeded)
    env = cli_env(tmp_path, proxy.url(name))
    proxy.cut_on(b"IS_USED_LOCK")
    r = cli(["run", "rebuild", "--last=24h", "--yes"], env)
    assert r.returncode == 3, r.stderr
    assert last_line(r.stderr) == (
        f"attribtui: could not start: cannot tell who holds the attribtui:{name} lock: lost the "
        f"connection to the database at mysql 127.0.0.1:{proxy.port}/{name} (OperationalError "
        "2013: Lost connection to MySQL server during query); check db.url and that the server "
        "is running; nothing was started")
    assert store.history() == [] and guard_rows(seeded) == 0


def test_a_database_down_before_the_launch_could_not_start(
        seeded: str, proxy: FaultProxy, tmp_path: Path) -> None:
    name = dbname(seeded)
    env = cli_env(tmp_path, proxy.url(name))
    proxy.cut()
    r = cli(["run", "backfill", "--last=24h", "--yes"], env)
    assert r.returncode == 3, r.stderr
    assert last_line(r.stderr) == (
        f"attribtui: could not start: lost the connection to the database at mysql "
        f"127.0.0.1:{proxy.port}/{name} (Lost connection to MySQL server during query); check "
        "db.url and that the server is running (connect timeout 2 s); nothing was started")
    assert store.history() == []


def test_a_lock_held_by_another_operator_is_a_refusal(seeded: str, tmp_path: Path) -> None:
    env = cli_env(tmp_path, seeded)
    with locks.acquire(seeded, "purge", operator="alice"):
        r = cli(["run", "rebuild", "--last=24h", "--yes"], env)
    assert r.returncode == 1, r.stderr  # the same rule as purge: refused, nothing changed
    line = last_line(r.stderr)
    assert line.startswith("attribtui: refused: another job holds the lock on this database: "
                           "alice@")
    assert line.endswith("wait for it to finish; nothing was started")
    assert store.history() == [] and guard_rows(seeded) == 0


@pytest.fixture
def select_only(seeded: str) -> Iterator[str]:
    """The seeded database through a user that may only SELECT."""
    name = dbname(seeded)
    user = f"ro_{os.getpid()}_{name[-6:]}"
    with root() as conn, conn.cursor() as cur:
        cur.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'")
        cur.execute(f"GRANT SELECT ON `{name}`.* TO '{user}'@'%'")
    yield f"mysql+pymysql://{user}:pw@{MARIADB_HOST}:{MARIADB_PORT}/{name}"
    with root() as conn, conn.cursor() as cur:
        cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")


def test_a_missing_privilege_is_found_before_the_launch(
        seeded: str, select_only: str, tmp_path: Path) -> None:
    env = cli_env(tmp_path, select_only)
    r = cli(["run", "rebuild", "--last=24h", "--yes"], env)
    assert r.returncode == 3, r.stderr
    user = select_only.split("//")[1].split(":")[0]
    assert last_line(r.stderr) == (
        "attribtui: could not start: the sandbox rebuild (it writes with db.url) needs INSERT on "
        "202_cronjobs, DELETE on 202_cronjobs, INSERT on 202_cronjob_logs, DELETE on "
        "202_cronjob_logs, DELETE on 202_attribution_touchpoints, INSERT on "
        "202_attribution_touchpoints, INSERT on 202_attribution_snapshots, UPDATE on "
        "202_attribution_snapshots, INSERT on "
        f"202_attribution_audit for database user {user} on mysql {MARIADB_HOST}:{MARIADB_PORT}/"
        f"{dbname(seeded)}; grant it (GRANT INSERT ON ...) or use a profile whose user has it. "
        "Nothing was written; nothing was started")
    assert "pw" not in r.stderr.replace("pwd", "")
    assert store.history() == [] and guard_rows(seeded) == 0
    r = cli(["run", "backfill", "--last=24h", "--yes"], env)
    assert r.returncode == 3 and "needs DELETE on 202_conversion_touchpoints, INSERT on " \
        "202_conversion_touchpoints for database user" in last_line(r.stderr)


def test_the_php_runner_says_whose_credentials_it_writes_with(seeded: str, tmp_path: Path) -> None:
    root_dir = tmp_path / "p202"
    (root_dir / "202-cronjobs").mkdir(parents=True)
    env = cli_env(tmp_path, seeded, runner_line=f'runner = "php"\nphp = "/bin/true"\n'
                                                 f'prosper_root = "{root_dir}"')
    r = cli(["run", "rebuild", "--last=24h", "--dry-run"], env)
    assert r.returncode == 0, r.stderr
    assert ("attribtui: info: the php runner writes with Prosper202's own credentials (its "
            "202-config.php), not with db.url: their privileges are not checked here"
            ) in r.stderr.splitlines()


# -- the guard-row delete around its commit (issue 12, item 2) -------------------------------------


def test_a_lost_commit_reply_on_the_guard_delete_is_read_back_as_deleted(
        seeded: str, proxy: FaultProxy, tmp_path: Path) -> None:
    name = dbname(seeded)
    env = cli_env(tmp_path, seeded)
    assert cli(["run", "rebuild", "--last=24h", "--yes"], env).returncode == 0
    assert guard_rows(seeded) == 1
    env = cli_env(tmp_path, proxy.url(name))
    fired = proxy.drop_commit_reply(1)
    r = cli(["run", "rebuild", "--last=24h", "--yes", "--delete-guard"], env)
    assert fired.is_set()
    assert r.returncode == 0, r.stderr
    deleted = next(ln for ln in r.stderr.splitlines() if "deleted the guard row" in ln)
    assert deleted == (
        f"attribtui: deleted the guard row ('attr', {GUARD_HOUR}) ({clock.iso(GUARD_HOUR)}): the "
        f"reply was lost (lost the connection to the database at mysql 127.0.0.1:{proxy.port}/"
        f"{name} (Lost connection to MySQL server during query); check db.url and that the "
        "server is running (connect timeout 2 s)); a re-read on a fresh connection finds the "
        "row gone")
    # the rebuild then ran instead of skipping, and wrote the hour's guard row again
    assert [j.outcome for j in store.history()] == ["succeeded", "succeeded"]
    assert guard_rows(seeded) == 1
    entry = [e for e in actionlog.entries() if e["action"] == "job.guard.delete"][-1]
    assert entry["result"].startswith("deleted: the reply was lost")


def test_a_commit_that_never_arrived_leaves_the_guard_row_and_says_so(
        seeded: str, proxy: FaultProxy, tmp_path: Path) -> None:
    _write_guard_row(seeded)
    name = dbname(seeded)
    env = cli_env(tmp_path, proxy.url(name))
    fired = proxy.cut_on(COMMIT)
    r = cli(["run", "rebuild", "--last=24h", "--yes", "--delete-guard"], env)
    assert fired.is_set()
    assert r.returncode == 3, r.stderr
    assert last_line(r.stderr) == (
        f"attribtui: the guard row ('attr', {GUARD_HOUR}) was not deleted: lost the connection "
        f"to the database at mysql 127.0.0.1:{proxy.port}/{name} (Lost connection to MySQL "
        "server during query); check db.url and that the server is running (connect timeout "
        "2 s); a re-read on a fresh connection still finds it: nothing changed")
    assert guard_rows(seeded) == 1 and store.history() == []
    entry = [e for e in actionlog.entries() if e["action"] == "job.guard.delete"][-1]
    assert entry["result"].startswith("not deleted: ") and "still finds 1 row(s)" in entry["result"]


def test_an_unreadable_outcome_of_the_guard_delete_names_the_read_that_settles_it(
        seeded: str, proxy: FaultProxy, tmp_path: Path) -> None:
    _write_guard_row(seeded)
    name = dbname(seeded)
    env = cli_env(tmp_path, proxy.url(name))
    proxy.drop_commit_reply(1)
    reread = proxy.cut_on(b"SELECT COUNT(*) FROM `202_cronjobs`", 2)  # 1: the count before
    r = cli(["run", "rebuild", "--last=24h", "--yes", "--delete-guard"], env)
    assert reread.is_set()
    assert r.returncode == 3, r.stderr
    line = last_line(r.stderr)
    settle = ("SELECT COUNT(*) FROM `202_cronjobs` WHERE cronjob_type = 'attr' AND cronjob_time "
              f"= {GUARD_HOUR}")
    assert line.startswith(f"attribtui: the guard row ('attr', {GUARD_HOUR}) may or may not be "
                           "deleted: lost the connection to the database at ")
    assert "re-reading it failed too (lost the connection" in line
    assert line.endswith(f"settle it with: {settle} (0: deleted, otherwise untouched)")
    assert guard_rows(seeded) == 0  # the truth the command above settles: it was deleted
    assert store.history() == []  # nothing ran on an unknown
    entry = [e for e in actionlog.entries() if e["action"] == "job.guard.delete"][-1]
    assert entry["result"].startswith("unknown: ") and settle in entry["result"]


def _write_guard_row(url: str) -> None:
    with root() as conn, conn.cursor() as cur:
        cur.execute(f"INSERT INTO `{dbname(url)}`.`202_cronjobs` (cronjob_type, cronjob_time) "
                    f"VALUES ('attr', {GUARD_HOUR})")


# -- hostile sizes (issue 12, items 7 and 10) --------------------------------------------------------


@pytest.mark.parametrize(("args", "line"), [
    (["run", "backfill", "--last=400d", "--dry-run"],
     "attribtui: error: the window is 400 d long; a job covers at most 366 d: pick a shorter "
     "window (e.g. the last 30d) and run the rest as further jobs"),
    (["run", "rebuild", "--last=100d", "--chunk=1h", "--yes"],
     "attribtui: error: the window in chunks of 1 h makes 2,400 runs; at most 1,000 per job: "
     "use a larger chunk (e.g. 24h) or a shorter window"),
    (["run", "rebuild", "--last=24h", "--chunk=30m", "--yes"],
     "attribtui: error: the chunk of 30 min is out of bounds; give one between 1h and 366 d "
     "(runs are hour-aligned)"),
    (["run", "backfill", "--last=24h", "--batch-size=1000000", "--yes"],
     "attribtui: error: batch size 1,000,000 is above 100,000 rows per batch; give a smaller "
     "one (the script's default is 500)"),
    (["run", "backfill", "--last=24h", "--user=99999999999", "--yes"],
     "attribtui: error: user 99999999999 is not a user id (at most 4294967295); give an "
     "existing user's id"),
    (["run", "rebuild", "--last=24h", "--start=48h", "--yes"],
     "attribtui: error: --last cannot be combined with --start: --last sets both; give either "
     "--last or --start/--end"),
    (["jobs", "--limit=0"],
     "attribtui: error: --limit=0 is out of bounds; give a number from 1 to 10000"),
    (["jobs", "show", "x", "--lines=10000000"],
     "attribtui: error: --lines=10000000 is out of bounds; give a number from 1 to 100000"),
    (["jobs", "cancel", "x", "--grace=inf", "--yes"],
     "attribtui: error: --grace=inf is out of bounds; give a number from 0 to 600"),
])
def test_hostile_sizes_are_one_line_at_parse_time(args: list[str], line: str, tmp_path: Path,
                                                  monkeypatch) -> None:
    monkeypatch.setenv("ATTRIBTUI_NOW", str(NOW))
    env = cli_env(tmp_path, "mysql+pymysql://root@127.0.0.1:1/nowhere")  # never reached
    r = cli(args, env, timeout=30)
    assert (r.returncode, r.stderr.splitlines()) == (64, [line])
    assert store.history() == []


@pytest.mark.parametrize("last", ["30000000d", "99999999999d"])
def test_absurd_windows_are_refused_at_once(last: str, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ATTRIBTUI_NOW", str(NOW))
    env = cli_env(tmp_path, "mysql+pymysql://root@127.0.0.1:1/nowhere")
    t0 = time.monotonic()
    r = cli(["run", "backfill", f"--last={last}", "--dry-run"], env, timeout=30)
    assert r.returncode == 64 and len(r.stderr.splitlines()) == 1
    assert r.stderr.startswith("attribtui: error: ") and "at most" in r.stderr
    assert time.monotonic() - t0 < 15  # parse-time, not after enumerating chunks
