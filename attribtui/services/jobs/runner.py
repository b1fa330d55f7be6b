"""Start, follow, cancel and re-attach jobs. No Textual: the screen and `attribtui run` share it.

A job runs as `python -m attribtui.services.jobs.wrapper <folder>` in a session of its own (start_new_session),
so it outlives the console. A `Follower` thread tails the two log files, classifies every line,
keeps the progress, and hands the lines over in batches (about 20 a second), so a job printing
100k lines a second costs the UI twenty updates, and memory holds one batch, not the output.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from attribtui.infra import actionlog, clock, paths
from attribtui.infra.config import Profile
from attribtui.infra.paths import touch_private
from attribtui.services.jobs import parse, store
from attribtui.services.jobs.command import Command, JobRequest, build_commands
from attribtui.services.jobs.wrapper import finish
from attribtui.vocab import AttribtuiError, Refused

GRACE_S = 5.0
KILL_WAIT_S = 5.0  # how long a SIGKILLed job may take to vanish before its end is recorded
BATCH_S = 0.05
READ_BYTES = 1 << 16
MAX_BATCH_LINES = 20_000


class StartError(AttribtuiError):
    """The job could not be started; one line."""


class CancelRefused(Refused):
    """The cancel was refused (a read-only profile); the job goes on, nothing changed."""


def start(profile: Profile, req: JobRequest, *, total: int | None = None,
          users_total: int | None = None, commands: list[Command] | None = None,
          lock: bool | None = None) -> store.JobRecord:
    """Launch the job detached and return its record (job.json written, pid recorded).

    lock: hold the named lock on the profile's database for the run (default: rebuild/backfill
    with a database configured).
    """
    commands = commands if commands is not None else build_commands(profile, req)
    if profile.read_only:
        raise StartError(f"profile '{profile.name}' is read-only: jobs cannot be launched")
    op, host = store.operator_and_host(getattr(profile, "operator", None))
    folder = store.create_folder(req.kind)
    job_id = folder.name
    windows = req.windows()
    meta = {
        "id": job_id, "kind": req.kind, "profile": profile.name,
        "environment": profile.environment, "runner": profile.jobs.runner,
        "command": commands[0].display if len(commands) == 1 else
        f"{len(commands)} chunks; first: {commands[0].display}",
        "commands": [c.display for c in commands],
        "window": {"start": req.start, "end": req.end, "start_iso": clock.iso(req.start),
                   "end_iso": clock.iso(req.end)},
        "chunks": [[s, e] for s, e in windows], "user": req.user, "batch_size": req.batch_size,
        "total": total, "users_total": users_total, "operator": op, "host": host,
        "started_at": clock.now(), "pid": None, "pid_start": None,
        "stdout_log": str(folder / store.STDOUT_LOG), "stderr_log": str(folder / store.STDERR_LOG),
        "remote": bool(profile.jobs.command_prefix),
        "database": store.database_id(profile.db.url),
    }
    paths.write_json(folder / store.JOB_FILE, meta)
    use_lock = lock if lock is not None else (req.kind in ("rebuild", "backfill")
                                               and bool(profile.db.url))
    payload = {"kind": req.kind, "commands": [c.payload() for c in commands],
               "lock_url": profile.db.url if use_lock else None, "operator": op}
    touch_private(folder / "wrapper.log")  # the wrapper's own errors, if any (0600 like the rest)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "attribtui.services.jobs.wrapper", str(folder)], stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL, stderr=open(folder / "wrapper.log", "ab"),  # noqa: SIM115
            start_new_session=True, close_fds=True, cwd=str(folder))
    except OSError as e:
        meta["spawn_error"] = f"could not start the job wrapper: {e}"
        paths.write_json(folder / store.JOB_FILE, meta)
        raise StartError(meta["spawn_error"]) from None
    meta["pid"], meta["pid_start"] = proc.pid, store.process_start(proc.pid)
    paths.write_json(folder / store.JOB_FILE, meta)
    assert proc.stdin is not None  # opened with stdin=PIPE
    proc.stdin.write(json.dumps(payload).encode())
    proc.stdin.close()
    # Reap it when it ends, so a finished job never lingers as a zombie of this console.
    threading.Thread(target=proc.wait, name=f"reap {job_id}", daemon=True).start()
    actionlog.record(f"job.start.{req.kind}", profile=profile, target=job_id,
                     params={"command": meta["command"], "window": meta["window"],
                             "user": req.user, "batch_size": req.batch_size,
                             "chunks": len(windows)},
                     result="started")
    return store.load(folder)  # type: ignore[return-value]


def cancel(rec: store.JobRecord, *, profile: Profile | None = None, grace_s: float = GRACE_S,
           by: str | None = None) -> str:
    """SIGTERM to the job's process group, SIGKILL after the grace period; returns what happened.

    profile: the profile the cancel is made under (confirmed by the caller under the rules of
    the profile that started the job); a read-only one is refused here, in the core (promise 3).
    """
    if profile is not None and profile.read_only:
        raise CancelRefused(f"profile '{profile.name}' is read-only: job {rec.id} was not "
                            "cancelled; use a profile without read_only = true (the one that "
                            "started it)")
    rec = store.load(rec.folder) or rec  # the caller's copy may predate the job's exit record
    if not rec.running:
        left = store.orphans(rec.pid, rec.id) if rec.lost else []
        if not left:
            return f"job {rec.id} already ended: {rec.outcome}"
        who = by or store.operator_and_host(profile.operator if profile is not None else None)[0]
        paths.write_json(rec.folder / store.CANCEL_FILE, {"by": who, "at": clock.now()})
        return _cancel_orphans(rec, left, profile, grace_s)
    who = by or store.operator_and_host(profile.operator if profile is not None else None)[0]
    paths.write_json(rec.folder / store.CANCEL_FILE, {"by": who, "at": clock.now()})
    pid = rec.pid
    assert pid is not None
    with _suppress_gone():
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and not (rec.folder / store.EXIT_FILE).exists():
        time.sleep(0.05)
    how = "terminated (SIGTERM)"
    if not (rec.folder / store.EXIT_FILE).exists():
        if store.pid_alive(pid, rec.meta.get("pid_start")):
            with _suppress_gone():
                os.killpg(pid, signal.SIGKILL)
            how = f"killed (SIGKILL after {grace_s:g} s)"
            # SIGKILL is delivered asynchronously: record the end only once the process is gone.
            gone_by = time.monotonic() + KILL_WAIT_S
            while store.pid_alive(pid, rec.meta.get("pid_start")) and time.monotonic() < gone_by:
                time.sleep(0.01)
        if not (rec.folder / store.EXIT_FILE).exists():
            finish(rec.folder, rec.kind, [-signal.SIGKILL], len(rec.meta.get("chunks") or [1]),
                   cancelled=True)
    if profile is not None:
        actionlog.record(f"job.cancel.{rec.kind}", profile=profile, target=rec.id, result=how)
    return f"job {rec.id} {how}"


def _cancel_orphans(rec: store.JobRecord, pids: list[int], profile: Profile | None,
                    grace_s: float) -> str:
    """The wrapper is gone but its chunk runs on: stop those processes (found by the job id in
    their environment), then record the end the wrapper could not."""
    for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, KILL_WAIT_S)):
        for pid in pids:
            with _suppress_gone():
                os.kill(pid, sig)
        deadline = time.monotonic() + wait_s
        while store.orphans(rec.pid, rec.id) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not store.orphans(rec.pid, rec.id):
            break
    how = f"orphaned script stopped (pid {', '.join(map(str, pids))}; its wrapper was gone)"
    finish(rec.folder, rec.kind, [-signal.SIGTERM], len(rec.meta.get("chunks") or [1]),
           cancelled=True)
    if profile is not None:
        actionlog.record(f"job.cancel.{rec.kind}", profile=profile, target=rec.id, result=how)
    return f"job {rec.id} {how}"


class _suppress_gone:
    def __enter__(self) -> None:
        return None

    def __exit__(self, et: type | None, ev: BaseException | None, tb: object) -> bool:
        return et is not None and issubclass(et, ProcessLookupError | PermissionError)


@dataclass(frozen=True)
class Snapshot:
    """The numbers a progress line shows, copied out of the follower thread."""

    lines: int
    done: int
    total: int | None
    fraction: float | None
    elapsed_s: float
    rate: float  # units (conversions or users) per second, or lines/s when no unit is known
    rate_unit: str
    eta_s: float | None
    chunk: int
    chunks: int
    finished: bool
    alert: str | None = None  # the wrapper's LOCK LOST line: shown loudly until the job ends


Batch = Callable[[list[parse.LineEvent], Snapshot], None]


class Follower:
    """Tail a job's two logs in a thread; `on_batch(lines, snapshot)` about 20 times a second.

    It stops on its own once the job has ended and both logs are read to the end, or on stop().
    from_start=False skips what is already in the logs (progress is still computed from it).
    """

    def __init__(self, rec: store.JobRecord, on_batch: Batch, *, batch_s: float = BATCH_S,
                 from_start: bool = True) -> None:
        self.rec = rec
        self.on_batch = on_batch
        self.batch_s = batch_s
        self.from_start = from_start
        meta = rec.meta
        total = meta.get("total") if rec.kind == "backfill" else meta.get("users_total")
        self.progress = parse.Progress(rec.kind, chunks=len(meta.get("chunks") or [1]),
                                       total=total)
        self._stop = threading.Event()
        self.finished = threading.Event()
        self._t0 = time.monotonic()
        self._started_wall = meta.get("started_at") or clock.now()
        self.thread = threading.Thread(target=self._run, name=f"follow {rec.id}", daemon=True)

    def start(self) -> Follower:
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)

    def snapshot(self, finished: bool = False) -> Snapshot:
        p = self.progress
        elapsed = time.monotonic() - self._t0
        if self.rec.exit is None and not self.from_start:
            elapsed = max(elapsed, clock.now() - self._started_wall)
        done = p.done_units
        unit = "conv/s" if p.kind == "backfill" else "users/s"
        if p.kind not in ("backfill", "rebuild") or (p.kind == "rebuild" and not done):
            done_rate, unit = p.lines, "lines/s"
        else:
            done_rate = done
        rate = done_rate / elapsed if elapsed > 0 else 0.0
        frac = p.fraction()
        eta = None
        if frac is not None and 0 < frac < 1 and elapsed > 0:
            eta = elapsed * (1 - frac) / frac
        total = p.total if p.kind == "backfill" else (p.total * p.chunks if p.total else None)
        return Snapshot(p.lines, done, total, frac, elapsed, rate, unit, eta,
                        p.chunk_index + 1, p.chunks, finished, p.alert)

    def _ended(self) -> bool:
        if (self.rec.folder / store.EXIT_FILE).exists():
            return True
        return not store.pid_alive(self.rec.pid, self.rec.meta.get("pid_start"))

    def _run(self) -> None:
        files = []
        for stream, path in (("stdout", self.rec.stdout_log), ("stderr", self.rec.stderr_log)):
            try:
                files.append((stream, open(path, "rb")))  # noqa: SIM115
            except OSError:
                continue
        partial = {s: b"" for s, _ in files}
        batch: list[parse.LineEvent] = []
        skip = not self.from_start
        last_flush = time.monotonic()
        feed, kind_of, LineEvent = self.progress.feed, parse.kind_of, parse.LineEvent
        try:
            while True:
                ended = self._ended()  # before reading: what follows an "ended" is all there is
                got = False
                for stream, fh in files:
                    data = fh.read(READ_BYTES)
                    if not data:
                        continue
                    got = True
                    now = time.time()
                    chunks = (partial[stream] + data).split(b"\n")
                    partial[stream] = chunks.pop()
                    for raw in chunks:
                        text = raw.rstrip(b"\r").decode("utf-8", "replace")
                        ev = LineEvent(stream, text, now, kind_of(stream, text))
                        feed(ev)
                        if not skip and not (ev.kind == parse.META and parse.is_chunk_echo(ev)):
                            batch.append(ev)
                    while len(batch) >= MAX_BATCH_LINES:
                        # Catching up on a flood: hand full batches over now rather than
                        # trimming them (every line read is delivered and counted).
                        self.on_batch(batch[:MAX_BATCH_LINES], self.snapshot())
                        del batch[:MAX_BATCH_LINES]
                        last_flush = time.monotonic()
                if skip and not got:
                    skip = False  # caught up with what was written before we attached
                if self._stop.is_set():
                    return
                if not got and ended:
                    for stream, rest in partial.items():
                        if rest:
                            text = rest.rstrip(b"\r").decode("utf-8", "replace")
                            ev = LineEvent(stream, text, time.time(), kind_of(stream, text))
                            feed(ev)
                            batch.append(ev)
                    self.rec = store.load(self.rec.folder) or self.rec
                    self.on_batch(batch, self.snapshot(finished=True))
                    return
                now_m = time.monotonic()
                if batch and (now_m - last_flush >= self.batch_s or not got):
                    self.on_batch(batch, self.snapshot())
                    batch = []
                    last_flush = now_m
                elif not got:
                    if now_m - last_flush >= 0.5:  # keep elapsed/ETA moving on a quiet job
                        self.on_batch([], self.snapshot())
                        last_flush = now_m
                    self._stop.wait(self.batch_s)
        finally:
            for _, fh in files:
                fh.close()
            self.finished.set()


def run_attached(rec: store.JobRecord, on_batch: Batch) -> store.JobRecord:
    """Follow a job until it ends (headless); returns the final record."""
    f = Follower(rec, on_batch).start()
    f.finished.wait()
    return store.load(rec.folder) or rec


def describe_snapshot(s: Snapshot) -> str:
    """'1,200/2,000 conversions (60%) · 400 conv/s · ETA 2 s · 3.0 s' for a progress line."""
    parts = []
    if s.alert and not s.finished:
        parts.append("‼ LOCK LOST: nothing new starts until this job ends")
    if s.chunks > 1:
        parts.append(f"chunk {s.chunk}/{s.chunks}")
    if s.total:
        pct = f" ({s.fraction:.0%})" if s.fraction is not None else ""
        parts.append(f"{s.done:,}/{s.total:,}{pct}")
    elif s.done:
        parts.append(f"{s.done:,} done")
    parts.append(f"{s.lines:,} lines")
    parts.append(f"{s.rate:,.0f} {s.rate_unit}" if s.rate >= 10 else f"{s.rate:.1f} {s.rate_unit}")
    if s.eta_s is not None and not s.finished:
        parts.append(f"ETA {clock.ago(s.eta_s)}")
    parts.append(f"elapsed {clock.ago(s.elapsed_s)}")
    return " · ".join(parts)


def log_tail(path: Path, max_lines: int = 2000) -> list[str]:
    """The last lines of a (possibly huge) log, reading only its end."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - max_lines * 400))
            data = fh.read()
    except OSError:
        return []
    lines = data.decode("utf-8", "replace").splitlines()
    if size > max_lines * 400 and lines:
        lines = lines[1:]  # probably cut in the middle
    return lines[-max_lines:]
