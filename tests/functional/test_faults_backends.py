"""The fault suite, backends and jobs: memcached down or silent (journey lookup and
`journey --evict-cache` say it in one line, the rest works), a job whose detached wrapper is
SIGKILLed, and a terminal closed (SIGHUP) while `attribtui run` follows a job. All as real
subprocesses on a seeded MariaDB.

test_jobs_scripts.py already covers a wrapper killed with its whole process group and a console
that exits while its job runs; here: the wrapper alone, and the hangup of a headless follower.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymysql
import pytest

from tests.support import (
    MARIADB_HOST,
    MARIADB_PORT,
    MEMCACHE_HTTP_HOST,
    MEMCACHE_SERVER_ADDR,
    MEMCACHED,
    NOW,
    create_database,
    drop_database,
    wait_for,
)

pytestmark = pytest.mark.mariadb


@dataclass
class Seeded:
    name: str
    url: str
    convs: list[int]  # two live conversions with stored journeys


@pytest.fixture(scope="module")
def seeded() -> Iterator[Seeded]:
    from attribtui.sandbox.seed import seed

    name, url = create_database()
    try:
        seed(url, conversions=300, now=NOW, defects="none")
        with pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root",
                             database=name) as c, c.cursor() as cur:
            cur.execute("SELECT t.conv_id FROM 202_conversion_touchpoints t JOIN "
                        "202_conversion_logs l ON l.conv_id = t.conv_id WHERE l.deleted = 0 "
                        "GROUP BY t.conv_id ORDER BY t.conv_id DESC LIMIT 2")
            convs = [int(r[0]) for r in cur.fetchall()]
        yield Seeded(name, url, convs)
    finally:
        drop_database(name)


def cli(seeded: Seeded, *args: str, memcached: str = MEMCACHED
        ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "attribtui.cli", *args], env=env_of(seeded, memcached),
                          text=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=120)


def env_of(seeded: Seeded, memcached: str = MEMCACHED) -> dict[str, str]:
    env = dict(os.environ)  # isolated_env: this test's own data dir
    env.update(ATTRIBTUI_DB_URL=seeded.url, ATTRIBTUI_NOW=str(NOW),
               ATTRIBTUI_ENVIRONMENT="staging", ATTRIBTUI_JOBS_RUNNER="sandbox",
               ATTRIBTUI_MEMCACHE_SERVERS=json.dumps([memcached]),
               ATTRIBTUI_MEMCACHE_HTTP_HOST=MEMCACHE_HTTP_HOST,
               ATTRIBTUI_MEMCACHE_SERVER_ADDR=MEMCACHE_SERVER_ADDR)
    return env


# -- memcached -----------------------------------------------------------------------------------


@pytest.fixture
def closed() -> str:
    """A loopback port nothing listens on: memcached is down."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"127.0.0.1:{port}"


@pytest.fixture
def silent() -> Iterator[str]:
    """A port that accepts connections into its backlog and never answers: memcached hangs."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    yield f"127.0.0.1:{s.getsockname()[1]}"
    s.close()


def cache_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.startswith("  cache: ")]


def without_cache(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if not line.startswith("  cache: ")]


@pytest.mark.parametrize("fault", ["closed", "silent"])
def test_journey_lookup_with_memcached_down_says_one_line_per_conversion(
        seeded: Seeded, fault: str, request: pytest.FixtureRequest) -> None:
    server = request.getfixturevalue(fault)
    healthy = cli(seeded, "journey", *map(str, seeded.convs))
    r = cli(seeded, "journey", *map(str, seeded.convs), memcached=server)
    assert r.returncode == healthy.returncode == 0, r.stderr
    reason = "Connection refused" if fault == "closed" else "timed out"
    line = f"  cache: cache unavailable: memcached {server} did not answer ({reason})"
    assert cache_lines(r.stdout) == [line, line] and r.stderr == ""
    assert without_cache(r.stdout) == without_cache(healthy.stdout)  # the rest works


def test_evict_with_memcached_down_says_one_line_and_records_the_failure(
        seeded: Seeded, closed: str) -> None:
    from attribtui.infra import actionlog

    conv = seeded.convs[0]
    r = cli(seeded, "journey", str(conv), "--evict-cache", "--yes", memcached=closed)
    reason = f"cache unavailable: memcached {closed} did not answer (Connection refused)"
    assert r.stderr.splitlines() == [f"attribtui: conv {conv}: {reason}"]
    assert cache_lines(r.stdout) == [f"  cache: {reason}"]
    assert "Summary: 1 ok" in r.stdout  # the lookup itself worked
    (entry,) = list(actionlog.entries())
    assert entry["action"] == "journey.cache_evict" and entry["result"] == f"failed: {reason}"


def test_evict_with_memcached_down_exits_3(seeded: Seeded, closed: str) -> None:
    r = cli(seeded, "journey", str(seeded.convs[0]), "--evict-cache", "--yes", memcached=closed)
    assert r.returncode == 3


# -- jobs -----------------------------------------------------------------------------------------


def job_of(seeded: Seeded, job_id: str) -> dict[str, object]:
    r = cli(seeded, "jobs", "--json")
    assert r.returncode == 0, r.stderr
    (job,) = [j for j in json.loads(r.stdout) if j["id"] == job_id]
    return job


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_killed_wrapper_leaves_an_honest_history_and_the_log(seeded: Seeded) -> None:
    r = cli(seeded, "run", "rebuild", "--last=24h", "--chunk=1h", "--yes", "--detach", "--json")
    assert r.returncode == 0, r.stderr
    started = json.loads(r.stdout)
    pid, folder = int(started["pid"]), Path(started["folder"])
    out = folder / "stdout.log"
    wait_for(lambda: "chunk 3/24" in out.read_text(), "the third chunk to start")
    os.kill(pid, signal.SIGKILL)  # the wrapper only: its running chunk goes on, orphaned
    wait_for(lambda: group_gone(pid), "the orphaned chunk to end")
    job = job_of(seeded, started["id"])
    assert job["outcome"] == "suspicious" and job["exit_codes"] is None
    assert "wrapper is gone without recording an exit" in str(job["reason"])
    assert not (folder / "exit.json").exists() and (folder / "job.json").exists()
    log = out.read_text()
    assert "chunk 3/24" in log and "chunk 24/24" not in log  # kept, and as far as it got
    assert "Attribution recalculation complete" in log
    shown = cli(seeded, "jobs", "show", started["id"])
    assert shown.returncode == 1 and "succeeded" not in shown.stdout
    assert "--- stdout" in shown.stdout and "chunk 3/24" in shown.stdout


def test_a_terminal_closed_while_following_leaves_the_job_running_to_its_honest_end(
        seeded: Seeded, tmp_path: Path) -> None:
    out, err = tmp_path / "follower.out", tmp_path / "follower.err"
    with out.open("w") as o, err.open("w") as e:
        follower = subprocess.Popen(
            [sys.executable, "-m", "attribtui.cli", "run", "backfill", "--last=6h", "--chunk=1h",
             "--yes"], env=env_of(seeded), stdin=subprocess.DEVNULL, stdout=o, stderr=e,
            start_new_session=True)  # the "terminal" session whose hangup kills the follower
    try:
        wait_for(lambda: "started job " in err.read_text(), "the job to start")
        job_id = err.read_text().split("started job ", 1)[1].split()[0]
        wait_for(lambda: "chunk 2/6" in out.read_text(), "the follower to stream the job")
        os.killpg(follower.pid, signal.SIGHUP)
        assert follower.wait(30) == -signal.SIGHUP
    finally:
        if follower.poll() is None:
            follower.kill()
    folder = Path(job_of(seeded, job_id)["folder"])  # type: ignore[arg-type]
    wait_for(lambda: (folder / "exit.json").exists(), "the job to end", timeout_s=120)
    job = job_of(seeded, job_id)
    assert job["outcome"] == "succeeded" and job["exit_codes"] == [0] * 6  # not cancelled
    log = (folder / "stdout.log").read_text()
    assert log.count("Journey backfill complete.") == 6  # nothing lost after the hangup
    assert "chunk 6/6" not in out.read_text()  # the follower really was gone by then
