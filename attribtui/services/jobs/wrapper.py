"""The detached job wrapper: `python -m attribtui.services.jobs.wrapper <job folder>`, payload on stdin.

Started in its own session by the runner, so an SSH hangup or a crashed console does not stop
it. It holds the named lock for the whole run (promise 8), starts each command (chunk) with its
stdout and stderr going straight into the job's log files (the kernel, not our threads, keeps
every line), and records the exit codes, end time and honest outcome in exit.json. The payload
(commands, environment, database URL for the lock) arrives on stdin, never on the command line
or on disk, because it can hold secrets.

While a chunk runs, the wrapper asks every few seconds whether the lock is still its own. A
script cannot be paused, so on a loss the chunk runs to its end while the wrapper says so loudly,
takes the lock back if it can, keeps every console on this machine from starting new work, and
starts no further chunk; the outcome names the cause.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from attribtui.infra import clock, locks, paths
from attribtui.infra.redact import redact_urls_in
from attribtui.services.jobs import parse, store
from attribtui.vocab import ExitCode, JobOutcome, JsonDict

_cancel = {"requested": False}


def _on_term(_sig: int, _frame: Any) -> None:
    # The whole process group gets SIGTERM on cancel; stay alive to record how it ended.
    _cancel["requested"] = True


def _open_log(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)


def _meta(fds: tuple[int, int], text: str, both: bool = True) -> None:
    line = (parse.META_PREFIX + text + "\n").encode()
    for fd in fds if both else fds[1:]:
        os.write(fd, line)


def progress_of(folder: Path, kind: str) -> parse.Progress:
    """Read both logs once and feed them to a Progress (stdout first, then stderr)."""
    prog = parse.Progress(kind)
    for stream, name in (("stdout", store.STDOUT_LOG), ("stderr", store.STDERR_LOG)):
        try:
            with open(folder / name, "rb") as fh:
                for raw in fh:
                    text = raw.rstrip(b"\r\n").decode("utf-8", "replace")
                    prog.feed(parse.LineEvent(stream, text, 0.0, parse.kind_of(stream, text)))
        except OSError:
            continue
    return prog


def finish(folder: Path, kind: str, codes: list[int | None], chunks: int, *,
           cancelled: bool = False, not_started: str | None = None, refused: bool = False,
           lock_lost: str | None = None, crashed: str | None = None) -> JsonDict:
    """Write exit.json with the verdict; also used by a console that had to SIGKILL the job.

    refused: not started because another operator holds the lock (a refusal, exit 1).
    crashed: the wrapper's own failure, named in the reason (not only in wrapper.log).
    """
    v = parse.verdict(kind, codes, progress_of(folder, kind), cancelled=cancelled,
                      not_started=not_started, chunks=chunks, lock_lost=lock_lost)
    reason = v.reason if crashed is None else (f"{crashed} (wrapper.log in the job folder); read "
                                                "the logs to see how far the job got")
    data = {"exit_codes": codes, "ended_at": clock.now(), "cancelled": cancelled,
            "outcome": v.outcome, "reason": reason, "chunks_run": len(codes), "chunks": chunks}
    if refused:
        data["refused"] = True
    if lock_lost:
        data["lock_lost"] = lock_lost
    cancel = paths.read_json(folder / store.CANCEL_FILE)
    if cancel:
        data["cancelled_by"] = cancel.get("by")
    paths.write_json(folder / store.EXIT_FILE, data)
    return data


@dataclass
class _Watch:
    """The held lock, asked every few seconds while a chunk runs."""

    lock: locks.Lock | None
    fds: tuple[int, int]
    lost: str | None = None

    def check(self, where: str) -> None:
        if self.lock is None or self.lost is not None:
            return
        cause = self.lock.check()
        if cause is None:
            return
        self.lost = self.lock.holder.lost = cause
        failed = self.lock.retake()
        self.lock.mark_lost(cause)
        after = ("took it back on a new connection; " if failed is None else
                 f"could not take it back ({failed}): two operators may be writing this "
                 "database now; ")
        text = (f"LOCK LOST {where}: {cause}. The script cannot be paused: it runs to its end "
                f"without the lock; {after}no further chunk starts, and no job or purge starts "
                "from this machine until this job ends")
        _meta(self.fds, text, both=False)

    def wait(self, child: subprocess.Popen[bytes], where: str) -> int:
        """The child's exit code, checking the lock every few seconds meanwhile."""
        while True:
            try:
                return child.wait(timeout=locks.CHECK_EVERY_S)
            except subprocess.TimeoutExpired:
                self.check(where)


def _take_lock(folder: Path, payload: JsonDict, fds: tuple[int, int], kind: str,
               n: int) -> tuple[locks.Lock | None, int | None]:
    """(the lock, None), or (None, exit code) once exit.json says why the job did not start."""
    if not payload.get("lock_url"):
        return None, None
    try:
        return locks.acquire(payload["lock_url"], kind, operator=payload.get("operator"),
                             job_id=folder.name), None
    except locks.LockBusy as e:
        why, refused, code = f"refused: {e}", True, ExitCode.WARN
    except locks.LockError as e:
        why, refused, code = f"could not take the job lock: {e}", False, ExitCode.UNKNOWN
    _meta(fds, why, both=False)
    finish(folder, kind, [], n, not_started=why, refused=refused)
    return None, int(code)


def run(folder: Path, payload: JsonDict) -> int:
    kind = payload.get("kind", "script")
    commands = payload["commands"]
    n = len(commands)
    fds = (_open_log(folder / store.STDOUT_LOG), _open_log(folder / store.STDERR_LOG))
    lock, code = _take_lock(folder, payload, fds, kind, n)
    if code is not None:
        return code
    watch = _Watch(lock, fds)
    codes: list[int | None] = []
    try:
        for i, cmd in enumerate(commands, start=1):
            if _cancel["requested"] or paths.read_json(folder / store.CANCEL_FILE):
                _cancel["requested"] = True
                break
            if i == 1:
                watch.check("before chunk 1" if n > 1 else "before the run")
                if watch.lost:
                    break
            if n > 1:
                _meta(fds, f"chunk {i}/{n} {' '.join(cmd['argv'][-3:])}")
            # The job id marks the child, so an orphan outliving a killed wrapper can be found
            # (store.orphans) and cancelled.
            env = {**os.environ, **cmd.get("env", {}), store.JOB_ENV: folder.name}
            try:
                child = subprocess.Popen(
                    cmd["argv"], stdout=fds[0], stderr=fds[1], env=env, cwd=cmd.get("cwd"),
                    stdin=subprocess.PIPE if cmd.get("stdin") is not None else subprocess.DEVNULL)
            except OSError as e:
                why = f"could not start {cmd['argv'][0]}: {e.strerror or e}"
                _meta(fds, why, both=False)
                if not codes:
                    finish(folder, kind, [], n, not_started=why)
                    return ExitCode.UNKNOWN
                codes.append(127)
                break
            if cmd.get("stdin") is not None:
                assert child.stdin is not None  # opened with stdin=PIPE
                try:
                    child.stdin.write(cmd["stdin"].encode())
                    child.stdin.close()
                except OSError:
                    pass
            during = f"during chunk {i}/{n}" if n > 1 else "during the run"
            codes.append(watch.wait(child, during))
            watch.check(during)  # also a loss in its last seconds: no next chunk, honest outcome
            if codes[-1] != 0 or _cancel["requested"] or watch.lost:
                break
    finally:
        if lock is not None:
            lock.release()
    data = finish(folder, kind, codes, n, cancelled=_cancel["requested"], lock_lost=watch.lost)
    return int(JobOutcome(data["outcome"]).exit_code)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    folder = Path(argv[0])
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    payload = json.loads(sys.stdin.read())
    sys.stdin.close()
    try:
        return run(folder, payload)
    except Exception as e:  # noqa: BLE001 - recorded, never lost
        first = redact_urls_in(str(e).splitlines()[0] if str(e) else "")[:300]
        why = f"the job wrapper failed: {type(e).__name__}: {first}"
        with open(folder / "wrapper.log", "a") as fh:
            fh.write(why + "\n")
        if not (folder / store.EXIT_FILE).exists():
            finish(folder, payload.get("kind", "script"), [None],
                   len(payload.get("commands") or [1]), crashed=why)
        return ExitCode.UNKNOWN


if __name__ == "__main__":
    sys.exit(main())
