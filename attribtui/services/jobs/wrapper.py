"""The detached job wrapper: `python -m attribtui.services.jobs.wrapper <job folder>`, payload on stdin.

Started in its own session by the runner, so an SSH hangup or a crashed console does not stop
it. It holds the named lock for the whole run (promise 8), starts each command (chunk) with its
stdout and stderr going straight into the job's log files (the kernel, not our threads, keeps
every line), and records the exit codes, end time and honest outcome in exit.json. The payload
(commands, environment, database URL for the lock) arrives on stdin, never on the command line
or on disk, because it can hold secrets.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from attribtui.infra import clock, locks, paths
from attribtui.services.jobs import parse, store
from attribtui.vocab import JobOutcome, JsonDict

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
           cancelled: bool = False, not_started: str | None = None) -> JsonDict:
    """Write exit.json with the verdict; also used by a console that had to SIGKILL the job."""
    v = parse.verdict(kind, codes, progress_of(folder, kind), cancelled=cancelled,
                      not_started=not_started, chunks=chunks)
    data = {"exit_codes": codes, "ended_at": clock.now(), "cancelled": cancelled,
            "outcome": v.outcome, "reason": v.reason, "chunks_run": len(codes), "chunks": chunks}
    cancel = paths.read_json(folder / store.CANCEL_FILE)
    if cancel:
        data["cancelled_by"] = cancel.get("by")
    paths.write_json(folder / store.EXIT_FILE, data)
    return data


def run(folder: Path, payload: JsonDict) -> int:
    kind = payload.get("kind", "script")
    commands = payload["commands"]
    fds = (_open_log(folder / store.STDOUT_LOG), _open_log(folder / store.STDERR_LOG))
    lock = None
    if payload.get("lock_url"):
        try:
            lock = locks.acquire(payload["lock_url"], kind, operator=payload.get("operator"),
                                 job_id=folder.name)
        except (locks.LockBusy, locks.LockError) as e:
            _meta(fds, f"refused: {e}", both=False)
            finish(folder, kind, [], len(commands), not_started=f"refused: {e}")
            return 3
    codes: list[int | None] = []
    try:
        for i, cmd in enumerate(commands, start=1):
            if _cancel["requested"] or paths.read_json(folder / store.CANCEL_FILE):
                _cancel["requested"] = True
                break
            if len(commands) > 1:
                _meta(fds, f"chunk {i}/{len(commands)} {' '.join(cmd['argv'][-3:])}")
            env = {**os.environ, **cmd.get("env", {})}
            try:
                child = subprocess.Popen(
                    cmd["argv"], stdout=fds[0], stderr=fds[1], env=env, cwd=cmd.get("cwd"),
                    stdin=subprocess.PIPE if cmd.get("stdin") is not None else subprocess.DEVNULL)
            except OSError as e:
                why = f"could not start {cmd['argv'][0]}: {e.strerror or e}"
                _meta(fds, why, both=False)
                if not codes:
                    finish(folder, kind, [], len(commands), not_started=why)
                    return 3
                codes.append(127)
                break
            if cmd.get("stdin") is not None:
                assert child.stdin is not None  # opened with stdin=PIPE
                try:
                    child.stdin.write(cmd["stdin"].encode())
                    child.stdin.close()
                except OSError:
                    pass
            codes.append(child.wait())
            if codes[-1] != 0 or _cancel["requested"]:
                break
    finally:
        if lock is not None:
            lock.release()
    cancelled = _cancel["requested"]
    data = finish(folder, kind, codes, len(commands), cancelled=cancelled)
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
        with open(folder / "wrapper.log", "a") as fh:
            fh.write(f"{type(e).__name__}: {e}\n")
        if not (folder / store.EXIT_FILE).exists():
            finish(folder, payload.get("kind", "script"), [None], 1)
        return 3


if __name__ == "__main__":
    sys.exit(main())
