"""The runner with small real scripts: noise, a 100k-line flood, a hang, a failure, and a console
that dies while its job runs. No database: these jobs take no lock."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import tracemalloc
from pathlib import Path

import pytest

from attribtui.infra.config import DbConfig, JobsConfig, Profile
from attribtui.services.jobs import parse, runner, store
from attribtui.services.jobs.command import Command, JobRequest
from attribtui.vocab import JobOutcome

SCRIPTS = Path(__file__).parent / "jobscripts"
PROFILE = Profile(name="scripts", environment="dev", db=DbConfig(url=None),
                  jobs=JobsConfig(runner="sandbox"))


def start(script: str, *args: str, kind: str = "script") -> store.JobRecord:
    cmd = Command([sys.executable, str(SCRIPTS / script), *args], display=f"{script} {args}")
    return runner.start(PROFILE, JobRequest(kind, 0, 1), commands=[cmd], lock=False)


def follow(rec: store.JobRecord) -> tuple[store.JobRecord, list[parse.LineEvent],
                                          list[runner.Snapshot]]:
    lines: list[parse.LineEvent] = []
    snaps: list[runner.Snapshot] = []
    final = runner.run_attached(rec, lambda b, s: (lines.extend(b), snaps.append(s)))
    return final, lines, snaps


def test_noise_is_dimmed_and_never_a_failure() -> None:
    rec, lines, snaps = follow(start("noise.py", kind="backfill"))
    assert rec.outcome == "succeeded" and rec.reason == "30 conversions processed"
    kinds = [e.kind for e in lines]
    assert kinds.count(parse.NOISE) == 9  # 3 blank + 3 Warning: + 3 PHP Warning:
    assert kinds.count(parse.PROGRESS) == 3 and kinds.count(parse.DONE) == 1
    assert {e.stream for e in lines if e.kind == parse.NOISE} == {"stdout", "stderr"}
    assert snaps[-1].done == 30


def test_a_flood_of_100k_lines_is_complete_in_the_files_and_bounded_in_memory() -> None:
    n = 100_000
    rec = start("flood.py", str(n))
    count = [0]
    batches = [0]
    biggest = [0]

    def on_batch(batch, snap) -> None:  # like the screen: look, keep nothing
        count[0] += len(batch)
        batches[0] += 1
        biggest[0] = max(biggest[0], len(batch))

    tracemalloc.start()
    f = runner.Follower(rec, on_batch).start()
    assert f.finished.wait(120)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    final = store.load(rec.id)
    assert final.outcome == "succeeded" and final.exit["exit_codes"] == [0]
    # every line is in the files (written by the child itself) and reached the follower
    out = rec.stdout_log.read_text().splitlines()
    err = rec.stderr_log.read_text().splitlines()
    assert len(out) + len(err) == n and len(err) == n // 10
    assert out[0].startswith("line 0 of") and err[-1].startswith(f"line {n - 1} of")
    assert count[0] == n and f.progress.lines == n
    # delivered in batches, not line by line, and without holding the output in memory
    assert batches[0] < n / 100 and biggest[0] <= runner.MAX_BATCH_LINES
    assert peak < 40 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB while following"


def test_catching_up_on_a_long_log_hands_over_every_line() -> None:
    """Re-reading a finished flood never waits for the batch interval (10 s here): a batch is
    handed over once it holds MAX_BATCH_LINES, none trimmed."""
    n = 3 * runner.MAX_BATCH_LINES + 7
    rec = runner.run_attached(start("flood.py", str(n)), lambda b, s: None)
    sizes: list[int] = []
    f = runner.Follower(store.load(rec.id), lambda b, s: sizes.append(len(b)), batch_s=10)
    assert f.start().finished.wait(60)
    assert sum(sizes) == n and max(sizes) == runner.MAX_BATCH_LINES
    assert f.progress.lines == n


def test_a_failing_job_says_why() -> None:
    rec, lines, _ = follow(start("fail.py", kind="backfill"))
    assert rec.outcome == "failed" and rec.exit["exit_codes"] == [1]
    assert "2 conversion(s) failed, e.g. Conversion 7 failed: Deadlock" in rec.reason
    assert JobOutcome(rec.outcome).exit_code == 2


def test_cancel_terminates_a_hanging_job() -> None:
    rec = start("hang.py")
    seen = threading.Event()
    f = runner.Follower(rec, lambda b, s: b and seen.set()).start()
    assert seen.wait(30) and store.load(rec.id).running
    msg = runner.cancel(rec, profile=PROFILE, grace_s=5)
    assert "terminated (SIGTERM)" in msg
    assert f.finished.wait(30)
    final = store.load(rec.id)
    assert final.outcome == "cancelled" and final.exit["exit_codes"] == [-15]
    assert not final.running and final.exit["cancelled_by"]


def test_cancel_kills_a_job_that_ignores_sigterm() -> None:
    rec = start("hang.py", "--ignore-term")
    seen = threading.Event()
    f = runner.Follower(rec, lambda b, s: b and seen.set()).start()
    assert seen.wait(30)
    msg = runner.cancel(rec, grace_s=0.5)
    assert "killed (SIGKILL after 0.5 s)" in msg
    assert f.finished.wait(30)
    final = store.load(rec.id)
    assert final.outcome == "cancelled" and not final.running
    assert not store.pid_alive(rec.pid, rec.meta["pid_start"])


def test_a_job_survives_its_console_and_is_reattached(tmp_path: Path) -> None:
    # A "console" process starts a job, then dies abruptly.
    root = str(Path(__file__).resolve().parents[2])
    code = (
        f"import sys, os; sys.path.insert(0, {root!r})\n"
        "from tests.functional.test_jobs_scripts import start\n"
        "rec = start('slow.py', '0.02')\n"
        "print(rec.id, flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=os.environ, timeout=60, check=True)
    job_id = out.stdout.strip()
    # A new console: the job shows as running and can be followed and cancelled.
    live = store.running("scripts")
    assert [r.id for r in live] == [job_id]
    rec = live[0]
    got = threading.Event()
    ticks: list[str] = []

    def on_batch(batch, snap) -> None:
        ticks.extend(e.text for e in batch)
        if len(ticks) >= 5:
            got.set()

    before = len(rec.stdout_log.read_text().splitlines())
    f = runner.Follower(rec, on_batch, from_start=False).start()
    assert got.wait(30)  # new lines keep arriving: the job went on without its console
    first = int(ticks[0].split()[1])
    assert first >= before  # re-attached at the end of the log, not from its start
    runner.cancel(rec, grace_s=5)
    assert f.finished.wait(30)
    lines = rec.stdout_log.read_text().splitlines()
    assert lines[:3] == ["tick 0", "tick 1", "tick 2"]  # nothing lost while nobody followed
    assert store.load(job_id).outcome == "cancelled"


def test_a_vanished_wrapper_is_reported_not_left_running() -> None:
    rec = start("hang.py", "--ignore-term")
    seen = threading.Event()
    f = runner.Follower(rec, lambda b, s: b and seen.set()).start()
    assert seen.wait(30)
    os.killpg(rec.pid, 9)  # the host "reboots": no exit record is written
    assert f.finished.wait(30)
    final = store.load(rec.id)
    assert final.exit is None and final.lost and final.outcome == "suspicious"
    assert "without recording an exit" in final.reason


def test_a_missing_program_could_not_start() -> None:
    cmd = Command(["/nonexistent/php", "x.php"], display="php x.php")
    rec = runner.start(PROFILE, JobRequest("rebuild", 0, 1), commands=[cmd], lock=False)
    final, lines, _ = follow(rec)
    assert final.outcome == "not-started" and "could not start /nonexistent/php" in final.reason
    assert JobOutcome(final.outcome).exit_code == 3


def test_read_only_profiles_cannot_launch() -> None:
    ro = Profile(name="ro", environment="production", read_only=True)
    with pytest.raises(runner.StartError, match="read-only"):
        runner.start(ro, JobRequest("rebuild", 0, 1), commands=[Command(["true"])])


def test_prune_removes_old_finished_jobs_but_never_a_running_one() -> None:
    import time

    from attribtui.services.housekeeping import prunable, prune

    done, _, _ = follow(start("noise.py", kind="backfill"))
    rec = start("hang.py")
    try:
        later = time.time() + 40 * 86400  # as if 40 days had passed
        found = [p for p, _ in prunable(30 * 86400, now=later)]
        assert done.folder in found and rec.folder not in found
        prune([(p, 0) for p in found if p.parent.name == "jobs"])
        assert not done.folder.exists() and rec.folder.exists()
        assert [r.id for r in store.history()] == [rec.id]
    finally:
        runner.cancel(rec, grace_s=2)
