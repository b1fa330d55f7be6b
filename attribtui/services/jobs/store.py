"""Job folders under data_dir()/jobs/<job_id>/: the history that survives the console.

job.json   what was started (command without secrets, window, user, pid, start, log paths);
           written by the console before the wrapper starts, then completed with the pid
exit.json  how it ended (exit codes, end time, outcome, reason); written by the wrapper, or by a
           console that had to SIGKILL it. "job.json present and exit.json absent" means running
           (housekeeping.py and demo.py rely on that).
stdout.log / stderr.log  written by the child itself; cancel.json  a cancel request.
Files are 0600 and folders 0700. A pid plus its start time (from /proc) guard against pid reuse.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

from attribtui.infra import clock, paths
from attribtui.infra.actionlog import operator
from attribtui.infra.paths import read_json
from attribtui.infra.redact import describe_db_url
from attribtui.vocab import ExitCode, JobOutcome, JsonDict

JOB_FILE, EXIT_FILE, CANCEL_FILE = "job.json", "exit.json", "cancel.json"
STDOUT_LOG, STDERR_LOG = "stdout.log", "stderr.log"


def jobs_root() -> Path:
    return paths.folder("jobs")


def new_job_id(kind: str) -> str:
    """'20261126T123456Z-rebuild-1': sortable; the folder is reserved by create_folder()."""
    stamp = clock.iso(clock.now()).replace("-", "").replace(":", "")
    root = jobs_root()
    n = 1
    while (root / f"{stamp}-{kind}-{n}").exists():
        n += 1
    return f"{stamp}-{kind}-{n}"


def operator_and_host(configured: str | None = None) -> tuple[str, str]:
    return operator(configured), socket.gethostname()


def process_start(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (/proc), or None if it is gone.

    A zombie counts as gone: it has exited and only waits to be reaped.
    """
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    if fields[0] == "Z":
        return None
    return int(fields[19])


JOB_ENV = "ATTRIBTUI_JOB_ID"  # set in each chunk's environment by the wrapper


def orphans(pgid: int | None, job_id: str) -> list[int]:
    """The job's chunk processes still running after its wrapper died: same process group and
    the job's id in their environment (so a reused pid is never mistaken for the job's)."""
    if not pgid or not Path("/proc").is_dir():
        return []
    marker = f"{JOB_ENV}={job_id}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()
            if fields[0] == "Z" or int(fields[2]) != pgid:
                continue
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return found


def pid_alive(pid: int | None, started: int | None) -> bool:
    """Is this exact process still running (same pid AND same start time)?"""
    if not pid:
        return False
    if Path("/proc").is_dir():
        now_start = process_start(pid)
        return now_start is not None and (started is None or now_start == started)
    try:  # no /proc (macOS): best effort
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class JobRecord:
    """One job as the history shows it: job.json merged with exit.json (if any)."""

    id: str
    folder: Path
    meta: JsonDict
    exit: JsonDict | None = None
    extra: JsonDict = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return str(self.meta.get("kind", "?"))

    @property
    def profile(self) -> str:
        return str(self.meta.get("profile", "?"))

    @property
    def pid(self) -> int | None:
        pid = self.meta.get("pid")
        return int(pid) if pid is not None else None

    @property
    def stdout_log(self) -> Path:
        return self.folder / STDOUT_LOG

    @property
    def stderr_log(self) -> Path:
        return self.folder / STDERR_LOG

    @property
    def running(self) -> bool:
        return self.exit is None and pid_alive(self.pid, self.meta.get("pid_start"))

    @property
    def lost(self) -> bool:
        """No exit record and no process: the wrapper was killed (or the host rebooted)."""
        return self.exit is None and not self.running and self.meta.get("pid") is not None

    @property
    def outcome(self) -> str:
        if self.exit is not None:
            return str(self.exit.get("outcome", "suspicious"))
        if self.meta.get("pid") is None:
            return "not-started" if self.meta.get("spawn_error") else "running"
        return "running" if self.running else "suspicious"

    @property
    def reason(self) -> str:
        if self.exit is not None:
            return str(self.exit.get("reason", ""))
        if self.meta.get("spawn_error"):
            return str(self.meta["spawn_error"])
        if self.lost:
            if orphans(self.pid, self.id):
                return ("the job's wrapper is gone without recording an exit, but its script is "
                        f"still running: `attribtui jobs cancel {self.id}` stops it")
            return ("the job's wrapper is gone without recording an exit (killed, or the host "
                    "rebooted); read the log to see how far it got")
        return f"running since {clock.describe(self.meta.get('started_at'))}"

    @property
    def exit_code(self) -> ExitCode:
        """The outcome's exit code; a job refused by another operator's lock changed nothing: 1
        (docs/architecture.md, "Exit codes")."""
        if self.exit is not None and self.exit.get("refused"):
            return ExitCode.WARN
        return JobOutcome(self.outcome).exit_code

    @property
    def started_at(self) -> int | None:
        return self.meta.get("started_at")

    @property
    def ended_at(self) -> int | None:
        return (self.exit or {}).get("ended_at")

    def to_json(self) -> JsonDict:
        m = self.meta
        return {
            "id": self.id, "kind": self.kind, "profile": self.profile,
            "environment": m.get("environment"), "command": m.get("command"),
            "commands": m.get("commands"), "window": m.get("window"), "user": m.get("user"),
            "batch_size": m.get("batch_size"), "chunks": m.get("chunks"),
            "operator": m.get("operator"), "host": m.get("host"), "pid": self.pid,
            "started_at": self.started_at, "started_at_iso": clock.iso(self.started_at),
            "ended_at": self.ended_at, "ended_at_iso": clock.iso(self.ended_at),
            "exit_codes": (self.exit or {}).get("exit_codes"), "outcome": self.outcome,
            "reason": self.reason, "exit_code": int(self.exit_code),
            "lock_lost": (self.exit or {}).get("lock_lost"), "stdout_log": str(self.stdout_log),
            "stderr_log": str(self.stderr_log), "folder": str(self.folder),
        }


def load(job_id_or_folder: str | Path) -> JobRecord | None:
    folder = Path(job_id_or_folder)
    if not folder.is_absolute():
        folder = jobs_root() / str(job_id_or_folder)
    meta = read_json(folder / JOB_FILE)
    if meta is None:
        return None
    return JobRecord(folder.name, folder, meta, read_json(folder / EXIT_FILE))


def database_id(url: str | None) -> str | None:
    """The database a job runs on, without secrets ('sqlite /abs/demo.sqlite', 'mysql h:3306/db'):
    jobs of any profile on one database share one history (the demo's and a headless run's)."""
    if not url:
        return None
    described = describe_db_url(url)
    if described.startswith("sqlite ") and ":memory:" not in described:
        return "sqlite " + os.path.realpath(described.split(" ", 1)[1])
    return described


def history(limit: int = 200, profile: str | None = None,
            database: str | None = None) -> list[JobRecord]:
    """Newest first (ids start with the UTC start time); a job matches the profile by its name,
    or by its database (database_id) when one is given."""
    root = jobs_root()
    out = []
    folders = [p for p in root.iterdir() if p.is_dir()]
    folders.sort(key=lambda p: (p.name.split("-")[0], _seq(p.name)), reverse=True)
    for folder in folders:
        rec = load(folder)
        if rec is None or (profile is not None and rec.profile != profile and (
                database is None or rec.meta.get("database") != database)):
            continue
        out.append(rec)
        if len(out) >= limit:
            break
    return out


def _seq(name: str) -> int:
    tail = name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0


def running(profile: str | None = None, kind: str | None = None,
            database: str | None = None) -> list[JobRecord]:
    return [r for r in history(1000, profile, database)
            if r.running and (kind is None or r.kind == kind)]


def create_folder(kind: str) -> Path:
    """A new job folder (0700) with empty 0600 logs; mkdir is the reservation of the id."""
    while True:
        folder = jobs_root() / new_job_id(kind)
        try:
            folder.mkdir(mode=0o700)
            break
        except FileExistsError:
            continue  # another console took this id a moment ago
    for name in (STDOUT_LOG, STDERR_LOG):
        paths.touch_private(folder / name)
    return folder
