"""Which command a job runs: the request, hour-aligned windows and chunks, and the command line.

The flags, script paths and windows are prosper/scripts.py's and prosper/hours.py's.
Secrets stay out of argv: the sandbox gets the database as P202_SANDBOX_DB_URL and a remote run
gets `jobs.env` on its stdin, never on the ssh command line (visible in `ps`).
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from attribtui.infra import clock
from attribtui.infra.config import Profile
from attribtui.infra.redact import redact_text, redact_url
from attribtui.prosper import hours, scripts
from attribtui.sandbox import DB_URL_ENV
from attribtui.vocab import JsonDict, UsageError

MAX_CHUNK = hours.DAY  # upstream advises rebuild runs of at most 24 h
# Hostile sizes are refused when the request is made, before anything is enumerated or counted:
# a job covers at most a year and a day, in at most MAX_RUNS runs (366 daily chunks fit).
MAX_WINDOW = 366 * hours.DAY
MAX_RUNS = 1000
MAX_BATCH = 100_000  # backfill --batch-size: rows the script holds per batch (its default: 500)
MAX_USER = 4_294_967_295  # 202_users.user_id is an int unsigned


class RequestError(UsageError):
    """A job request that cannot run as given; one line naming the field and the fix."""


@dataclass(frozen=True)
class JobRequest:
    """One job's window and options; a request beyond the bounds above cannot be made."""

    kind: str  # "rebuild" | "backfill"
    start: int
    end: int
    user: int | None = None
    batch_size: int | None = None  # backfill only; the script's default is 500
    chunk: int | None = None  # seconds per run; None runs the window at once

    def __post_init__(self) -> None:
        problem = bounds_problem(self)
        if problem:
            raise RequestError(problem)

    def run_count(self) -> int:
        """How many runs windows() makes (at most one more than it does), by arithmetic."""
        size = self.chunk
        if not size or self.end - self.start < size:
            return 1
        step = max(hours.HOUR, size - size % hours.HOUR)
        return (self.end - hours.hour(self.start)) // step + 1

    def windows(self) -> list[tuple[int, int]]:
        """The (start, end) of each run: hour-aligned chunks of at most `chunk` seconds."""
        return hours.chunks(self.start, self.end, self.chunk)


def _days(seconds: int) -> str:
    return f"{seconds / hours.DAY:,.0f} d" if seconds >= hours.DAY else clock.ago(seconds)


def bounds_problem(req: JobRequest) -> str | None:
    """What makes a request too big to run, in one line stating the limit; None when it fits."""
    span = req.end - req.start
    if span > MAX_WINDOW:
        return (f"the window is {_days(span)} long; a job covers at most {_days(MAX_WINDOW)}: "
                "pick a shorter window (e.g. the last 30d) and run the rest as further jobs")
    if req.start < 0 or req.end < 0:
        return ("the window starts before 1970-01-01 (epoch 0); give a start and an end after "
                "it")
    if req.chunk is not None and not hours.HOUR <= req.chunk <= MAX_WINDOW:
        return (f"the chunk of {_days(req.chunk)} is out of bounds; give one between 1h and "
                f"{_days(MAX_WINDOW)} (runs are hour-aligned)")
    runs = req.run_count()
    if runs > MAX_RUNS:
        return (f"the window in chunks of {clock.ago(req.chunk or 0)} makes {runs:,} runs; at "
                f"most {MAX_RUNS:,} per job: use a larger chunk (e.g. 24h) or a shorter window")
    if req.batch_size is not None and req.batch_size > MAX_BATCH:
        return (f"batch size {req.batch_size:,} is above {MAX_BATCH:,} rows per batch; give a "
                "smaller one (the script's default is 500)")
    if req.user is not None and req.user > MAX_USER:
        return f"user {req.user} is not a user id (at most {MAX_USER}); give an existing user's id"
    return None


def last_hours(seconds: int, now: int | None = None) -> tuple[int, int]:
    """The last complete hours before now: --start=H0 --end=H1-1."""
    return hours.last_hours(seconds, clock.now() if now is None else now)


def parse_time(text: str, field_name: str, now: int | None = None) -> int:
    """An instant (epoch or ISO UTC), "now", or a duration ago ("24h", "-90m")."""
    try:
        return clock.parse_when(text, now)
    except ValueError as e:
        raise RequestError(f"{field_name}: {e}") from None


@dataclass
class Command:
    """One process to start: argv, extra environment, working dir, text for its stdin."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    stdin: str | None = None
    display: str = ""  # redacted, for the screen, the history and --dry-run

    def payload(self) -> JsonDict:
        return {"argv": self.argv, "env": self.env, "cwd": self.cwd, "stdin": self.stdin}


def build_commands(profile: Profile, req: JobRequest) -> list[Command]:
    """The command of each chunk for this profile's runner (jobs.runner)."""
    jobs = profile.jobs
    out = []
    for start, end in req.windows():
        args = scripts.flags(req.kind, start=start, end=end, user=req.user,
                             batch_size=req.batch_size)
        if jobs.runner == "sandbox":
            argv = [sys.executable, "-m", "attribtui.sandbox.cron", req.kind, *args]
            env = {DB_URL_ENV: profile.db.url or "", **jobs.env}
            shown = (f"{DB_URL_ENV}={redact_url(profile.db.url)} "
                     + shlex.join(argv))
            out.append(Command(argv, env, None, None, redact_text(shown, profile.secrets())))
            continue
        root = str(jobs.prosper_root or "")
        script = scripts.script_path(scripts.SCRIPTS[req.kind], root or None)
        web = {}
        if profile.memcache.http_host:
            # The web server's values: silences connect.php's warnings and makes systemHash()
            # (and so the journey cache keys the backfill purges) equal to the web server's.
            web = {"HTTP_HOST": profile.memcache.http_host,
                   "SERVER_ADDR": profile.memcache.server_addr}
        php = [jobs.php, script, *args]
        if jobs.command_prefix:
            env_lines = "".join(f"{k}={shlex.quote(v)}\n" for k, v in {**web, **jobs.env}.items())
            remote = (f"set -a; eval \"$(cat)\"; set +a; cd {shlex.quote(root or '.')} && "
                      f"exec nohup setsid {shlex.join(php)}")
            argv = [*jobs.command_prefix, remote]
            names = " ".join(f"{k}=***" if v else f"{k}=" for k, v in {**web, **jobs.env}.items())
            shown = shlex.join(argv) + (f"   (remote env on stdin: {names})" if names else "")
            out.append(Command(argv, {}, None, env_lines, redact_text(shown, profile.secrets())))
        else:
            env = {**web, **jobs.env}
            names = " ".join(f"{k}=***" for k in jobs.env)
            shown = (f"cd {shlex.quote(root)} && " if root else "") + shlex.join(php)
            shown = (names + " " if names else "") + shown
            out.append(Command(php, env, root or None, None, redact_text(shown, profile.secrets())))
    return out


def local_problems(profile: Profile) -> list[str]:
    """Why the php runner cannot start here (missing binary or checkout), checked before launch."""
    jobs = profile.jobs
    if jobs.runner != "php" or jobs.command_prefix:
        return []
    problems = []
    php = jobs.php
    found = (os.access(php, os.X_OK) if os.sep in php else
             any(os.access(os.path.join(d, php), os.X_OK)
                 for d in os.environ.get("PATH", "").split(os.pathsep) if d))
    if not found:
        problems.append(f"jobs.php: '{php}' is not an executable on this host; install PHP or set "
                        "jobs.php to its path")
    root = jobs.prosper_root
    if root is None:
        problems.append("jobs.prosper_root is not set; set it to the Prosper202 checkout "
                        "(the folder holding 202-cronjobs/)")
    elif not (Path(root) / "202-cronjobs").is_dir():
        problems.append(f"jobs.prosper_root: {root} has no 202-cronjobs/ folder; point it at the "
                        "Prosper202 checkout")
    return problems


def remote_note(profile: Profile) -> str | None:
    """What cancel and re-attach can and cannot reach when jobs run over a command prefix."""
    if not profile.jobs.command_prefix:
        return None
    prefix = " ".join(profile.jobs.command_prefix)
    return (f"Runs remotely through `{prefix}` under nohup setsid: a dropped connection does not "
            "stop the remote script, but its output after the drop never reaches these logs and "
            "its exit code is lost (the outcome then shows the ssh error). Cancel ends the local "
            "ssh; the remote PHP then stops at its next write (SIGPIPE) at the latest. Re-attach "
            "follows the local logs only.")
