"""The fleet: every deployment (profile) checked at once, one row each, reading only.

`select_profiles` turns `--all-profiles` / `--profiles a,b` / `--group NAME` into profiles;
`check_fleet` checks each in its own daemon thread and hands back one `ProfileRun` per profile
(streamed through `on_result` as each finishes); `check_profile` is the same for one;
`check_fleet_apart` runs `check --all-profiles --format jsonl` in a child process and streams
its rows (the Fleet screen's refresh: the runs' memory leaves with the child).

Bounds (docs/architecture.md, "Promise 11"): every profile connects at once under its own
connect timeout (connecting only waits, so a host that is down or hung takes no turn), then at
most `parallel` run their checks, each under its own whole-run deadline. The fleet stops
waiting for a profile at its deadline plus `GRACE_S`, connecting or running: a stalled
deployment becomes a could-not-tell row then, its slot goes to the next profile, and its thread
(a daemon, its checks cancelled) cannot delay the report or the process's exit. Its sockets
are released by the driver's own timeouts (the handshake's at the connect timeout, a query's at
the statement timeout plus slack, infra/engines.py). Threads within one command: a check run
is mostly waiting on MariaDB (0.1 s of CPU in a 0.25 s run on the bench's sandbox), and
bench/fleet_check.py meets its goals with them.

Nothing here writes to a deployment: the checks run in READ ONLY sessions, and the only thing
written is each profile's saved run under the local data dir, as `attribtui check` does.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from attribtui.checks import CheckContext, CheckSpec, run_checks_and_save, select, store
from attribtui.infra import clock
from attribtui.infra.config import ConfigError, Profile, profile_groups, profile_names
from attribtui.infra.db import Database, DbError, DbUnreachable
from attribtui.infra.redact import describe_db_url, redact_text, redact_urls_in
from attribtui.services.profiles import BrokenProfile, ConfigPath, Selected, load_selected
from attribtui.vocab import (
    FLEET_PARALLEL,
    FLEET_PARALLEL_MAX,
    ExitCode,
    JsonDict,
    Status,
    UsageError,
    worst,
)

# How long past its deadline the fleet still waits for a profile: the run stops between checks
# at its deadline, and this covers handing the report back (milliseconds). A query in flight at
# the deadline is cut by the statement timeout, but waiting for that is what a stalled host must
# not cost (issue "Fleet": a stalled profile adds nothing beyond its own deadline).
GRACE_S = 0.5
# A profile whose own deadline is unset (no checks.deadline_s): the fleet still stops waiting.
FALLBACK_DEADLINE_S = 30.0



@dataclass(frozen=True)
class ProfileRun:
    """One profile's check run as a fleet row: the screen and every output render it."""

    name: str
    environment: str
    groups: tuple[str, ...]
    read_only: bool
    status: Status  # the worst check's, or ERROR when it could not tell
    counts: dict[str, int]  # checks per status
    worst_check: str | None  # id of the first check with the worst status (None: no report)
    elapsed_s: float
    error: str | None  # why it could not tell: one redacted line that says what to fix
    report: JsonDict | None  # the check run (`attribtui check --json`), None when none ran
    exit_code: ExitCode
    saved: Path | None = None
    save_error: str | None = None

    def to_json(self) -> JsonDict:
        """The profile's section of `check --all-profiles --json`: its row and its run."""
        return {"profile": self.name, "environment": self.environment,
                "groups": list(self.groups), "read_only": self.read_only,
                "status": str(self.status), "exit_code": int(self.exit_code),
                "counts": dict(self.counts), "worst_check": self.worst_check,
                "elapsed_s": round(self.elapsed_s, 3), "error": self.error,
                "saved": str(self.saved) if self.saved else None, "report": self.report}

    @classmethod
    def from_json(cls, doc: JsonDict) -> ProfileRun:
        """A row read back from `to_json` (the console reads a child's `--format jsonl`)."""
        return cls(str(doc["profile"]), str(doc["environment"]), tuple(doc["groups"]),
                   bool(doc["read_only"]), Status(doc["status"]),
                   {str(k): int(v) for k, v in doc["counts"].items()}, doc["worst_check"],
                   float(doc["elapsed_s"]), doc["error"], doc["report"],
                   ExitCode(int(doc["exit_code"])),
                   Path(doc["saved"]) if doc.get("saved") else None)


# -- selecting -------------------------------------------------------------------------------------


def select_profiles(*, all_profiles: bool = False, names: Sequence[str] = (),
                    group: str | None = None, config_path: ConfigPath = None) -> list[Selected]:
    """The profiles a fleet command names, in config order (names: in the order given).

    Exactly one of all_profiles, names or group. An unknown name or an empty group is a
    UsageError naming what exists; a profile that cannot load is a `BrokenProfile` (its row
    says why); a config file that cannot be read at all is a ConfigError (nothing to list).
    """
    if sum((bool(all_profiles), bool(names), group is not None)) != 1:
        raise UsageError("name the fleet once: --all-profiles, --profiles A,B or --group NAME")
    if names:
        wanted = list(dict.fromkeys(n.strip() for n in names if n.strip()))
        try:
            known = profile_names(config_path)
        except ConfigError as e:
            return [BrokenProfile(n, str(e)) for n in wanted]
        unknown = [n for n in wanted if n not in known]
        if unknown:
            raise UsageError(f"unknown profile {', '.join(unknown)}; known profiles: "
                             f"{', '.join(known)} (see `attribtui profiles`)")
        return [load_selected(n, config_path) for n in wanted]
    if all_profiles:
        return [load_selected(n, config_path) for n in profile_names(config_path)]
    groups = profile_groups(config_path)
    members = [n for n, gs in groups.items() if group in gs]
    if not members:
        every = sorted({g for gs in groups.values() for g in gs})
        raise UsageError(f"no profile is in group {group!r}; groups: "
                         f"{', '.join(every) or 'none (add groups = [...] to a profile)'}")
    return [load_selected(n, config_path) for n in members]


# -- one profile -----------------------------------------------------------------------------------


def _identity(p: Selected) -> tuple[str, str, tuple[str, ...], bool]:
    if isinstance(p, BrokenProfile):
        return p.name, "?", (), False
    return p.name, p.environment, tuple(p.groups), p.read_only


def _one_line(text: str, profile: Selected) -> str:
    secrets = profile.secrets() if isinstance(profile, Profile) else []
    first = " ".join(text.split())
    return redact_urls_in(redact_text(first, secrets))[:400]


def _no_report(profile: Selected, error: str, elapsed_s: float, *,
               status: Status = Status.ERROR) -> ProfileRun:
    name, env, groups, read_only = _identity(profile)
    return ProfileRun(name, env, groups, read_only, status, {str(s): 0 for s in Status}, None,
                      elapsed_s, _one_line(error, profile), None, ExitCode.of([status]))


def _limit_s(profile: Selected, deadline_s: float | None) -> float:
    """The deadline the profile's run gets (the flag, else its checks.deadline_s)."""
    if deadline_s is not None:
        return deadline_s
    if isinstance(profile, Profile):
        return profile.checks.deadline_s
    return FALLBACK_DEADLINE_S


@dataclass
class _Job:
    """One profile in the fleet: its thread's signals and the coordinator's view of it."""

    index: int
    profile: Selected
    limit_s: float  # its run's deadline
    started: float  # time.monotonic() when its thread started
    due: float  # when the fleet stops waiting for its current phase
    state: str = "connecting"  # connecting -> ready -> running -> reported
    go: threading.Event = field(default_factory=threading.Event)  # a slot is its to run in
    cancel: threading.Event = field(default_factory=threading.Event)


def _connect(job: _Job) -> tuple[Database | None, ProfileRun | None, str | None]:
    """Open the profile's database (outside the pool: connecting only waits): the Database, or
    the row when there is nothing to run, and why it is unreachable (None when it answered)."""
    profile = job.profile
    if isinstance(profile, BrokenProfile):
        return None, _no_report(profile, profile.error, 0.0), None
    try:
        db = Database.from_profile(profile)
    except DbError as e:
        return None, _no_report(profile, str(e), time.monotonic() - job.started), None
    try:
        db.ping()  # the pool keeps the connection for the run
    except DbUnreachable as e:
        return db, None, str(e)
    except DbError:
        pass  # answered, but not this probe: the checks will say what is wrong
    return db, None, None


def _checks(job: _Job, db: Database, unreachable: str | None, specs: Sequence[CheckSpec],
            window_s: int) -> ProfileRun:
    """The checks of one profile, unsaved (the fleet saves only the runs it reports)."""
    profile = job.profile
    assert isinstance(profile, Profile)
    t0 = time.monotonic()
    ctx = CheckContext(db=db, now=clock.now(), profile=profile, window_s=window_s,
                       deadline_s=job.limit_s, cancel_event=job.cancel)
    if unreachable is not None:  # every check says so at once, as `check` does after a timeout
        ctx.cache["unreachable"] = unreachable
    run = run_checks_and_save(ctx, specs, save=False)
    error = _one_line(run.unreachable, profile) if run.unreachable else None
    return row_of(profile, run.report, elapsed_s=time.monotonic() - t0, error=error)


def row_of(profile: Selected, report: JsonDict, *, elapsed_s: float = 0.0,
           error: str | None = None) -> ProfileRun:
    """A check run's report as the profile's fleet row."""
    statuses = [Status(c["status"]) for c in report["checks"]]
    status = worst(statuses) if statuses else Status.OK
    worst_check = next((c["id"] for c in report["checks"] if c["status"] == status), None)
    name, env, groups, read_only = _identity(profile)
    counts = {k: int(v) for k, v in report["summary"].items()}
    return ProfileRun(name, env, groups, read_only, status, counts, worst_check, elapsed_s, error,
                      report, ExitCode.of(statuses))


def last_saved(profile: Selected) -> ProfileRun | None:
    """The profile's newest saved run as its row (None: none, or unreadable): the fleet screen
    paints these at once, marked with their age, while the fleet is checked again."""
    try:
        runs = store.load_runs(profile.name, newest=1)
        return row_of(profile, runs[-1]) if runs else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _work(job: _Job, specs: Sequence[CheckSpec], window_s: int,
          out: queue.Queue[tuple[str, int, ProfileRun | None]]) -> None:
    """A profile's thread: connect, say it is ready, run its checks when given a slot."""
    db = None
    try:
        db, row, unreachable = _connect(job)
        if row is None and db is not None and unreachable is None:
            out.put(("ready", job.index, None))
            job.go.wait()
            if job.cancel.is_set():  # given up on, or cancelled before it ran
                return
        if row is None and db is not None and not job.cancel.is_set():
            connect_s = time.monotonic() - job.started
            row = _checks(job, db, unreachable, specs, window_s)
            row = replace(row, elapsed_s=row.elapsed_s + connect_s)
    except BaseException as e:  # noqa: BLE001 - the coordinator must always hear back
        row = _no_report(job.profile, f"internal error: {type(e).__name__}: {e}",
                         time.monotonic() - job.started)
    finally:
        if db is not None:
            db.close()
    if row is not None:
        out.put(("done", job.index, row))


def _saved(run: ProfileRun) -> ProfileRun:
    """The run with where it was saved (a failed save is said, never raised)."""
    if run.report is None:
        return run
    try:
        return replace(run, saved=store.save(run.report))
    except OSError as e:
        return replace(run, save_error=str(e))


def check_profile(profile: Selected, *, window_s: int = 48 * clock.HOUR,
                  deadline_s: float | None = None, save: bool = True,
                  specs: Sequence[CheckSpec] | None = None,
                  cancel: threading.Event | None = None) -> ProfileRun:
    """One profile's row, under the same bounds as in a fleet (see check_fleet)."""
    return check_fleet([profile], parallel=1, window_s=window_s, deadline_s=deadline_s,
                       save=save, specs=specs, cancel=cancel)[0]


def _abandoned(job: _Job) -> ProfileRun:
    waited = job.limit_s + GRACE_S
    where = "its database"
    if isinstance(job.profile, Profile) and job.profile.db.url:
        where = describe_db_url(job.profile.db.url)
    phase = "did not finish connecting" if job.state == "connecting" else "stalled"
    return _no_report(
        job.profile,
        f"no answer within {waited:g} s: {where} {phase} within the run's deadline of "
        f"{job.limit_s:g} s; check that the server is up and answering (or raise --deadline)",
        time.monotonic() - job.started)


def check_fleet(profiles: Sequence[Selected], *, parallel: int = FLEET_PARALLEL,
                window_s: int = 48 * clock.HOUR, deadline_s: float | None = None,
                save: bool = True, specs: Sequence[CheckSpec] | None = None,
                on_result: Callable[[ProfileRun], None] | None = None,
                cancel: threading.Event | None = None) -> list[ProfileRun]:
    """Check every profile and return their rows in the given order.

    Every profile connects at once, each in a daemon thread under its own connect timeout
    (connecting only waits, so a host that is down or hung holds no slot); then `parallel` of
    them at a time run their checks, each under its own deadline (`deadline_s`, else its
    checks.deadline_s). The fleet stops waiting for a profile's connect, and for its run, at
    that deadline plus GRACE_S: it becomes a could-not-tell row and its slot goes to the next.
    `on_result` is called in this thread as each row is final (finish order). `cancel` stops
    starting runs (those left are `skipped` rows) and cancels the running ones' checks. Runs
    are saved when `save`.
    """
    parallel = max(1, min(parallel, FLEET_PARALLEL_MAX))
    specs = list(specs) if specs is not None else select(None)
    cancel = cancel or threading.Event()
    events: queue.Queue[tuple[str, int, ProfileRun | None]] = queue.Queue()
    results: list[ProfileRun | None] = [None] * len(profiles)
    jobs: list[_Job] = []
    for index, profile in enumerate(profiles):
        limit = _limit_s(profile, deadline_s)
        now = time.monotonic()
        job = _Job(index, profile, limit, now, now + limit + GRACE_S)
        jobs.append(job)
        threading.Thread(target=_work, args=(job, specs, window_s, events), daemon=True,
                         name=f"fleet-{_identity(profile)[0]}").start()
    ready: list[_Job] = []

    def finish(job: _Job, run: ProfileRun) -> None:
        job.state = "reported"
        job.cancel.set()
        job.go.set()  # a thread still waiting for a slot leaves
        run = _saved(run) if save else run
        results[job.index] = run
        if on_result is not None:
            on_result(run)

    while any(j.state != "reported" for j in jobs):
        if cancel.is_set():  # the running ones stop between checks; the rest never run
            for job in jobs:
                job.cancel.set()
                if job.state in ("connecting", "ready"):
                    finish(job, _no_report(job.profile, "cancelled by the operator before it "
                                           "ran", 0.0, status=Status.SKIPPED))
            ready = []
        running = sum(1 for j in jobs if j.state == "running")
        while ready and running < parallel:
            job = ready.pop(0)
            job.state, job.due = "running", time.monotonic() + job.limit_s + GRACE_S
            job.go.set()
            running += 1
        waiting = [j for j in jobs if j.state in ("connecting", "running")]
        timeout = min((j.due for j in waiting), default=time.monotonic() + 0.25)
        try:
            kind, index, run = events.get(timeout=min(max(0.0, timeout - time.monotonic()),
                                                      0.25))
        except queue.Empty:
            now = time.monotonic()
            for job in [j for j in waiting if j.due <= now]:
                finish(job, _abandoned(job))
            continue
        job = jobs[index]
        if job.state == "reported":
            continue  # already reported as could-not-tell: its late answer is stale
        if kind == "ready":
            job.state = "ready"
            ready.append(job)
        elif run is not None:
            finish(job, run)
    return [r for r in results if r is not None]


def check_fleet_apart(config_path: str | os.PathLike[str], *,
                      on_result: Callable[[ProfileRun], None],
                      cancel: threading.Event) -> str | None:
    """`check_fleet` over every profile of the config, in a child process
    (`attribtui check --all-profiles --format jsonl --no-save`), its rows handed to on_result
    as each arrives; returns why it failed (None when it did not).

    For a console refreshing the fleet for days: twenty concurrent runs leave their memory
    (thread stacks, allocator pages) in the process that ran them, and the child takes it
    away when it exits (bench/fleet_console.py). `cancel` kills the child.
    """
    argv = [sys.executable, "-m", "attribtui.cli", "check", "--all-profiles", "--format",
            "jsonl", "--no-save", "--config", os.fspath(config_path)]
    with tempfile.TemporaryFile("w+") as errors, subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL,
            text=True) as child:
        threading.Thread(target=_kill_on, args=(cancel, child), daemon=True).start()
        assert child.stdout is not None
        doc: JsonDict = {}
        for line in child.stdout:
            try:
                doc = json.loads(line)
            except ValueError:  # not ours: the child writes its messages to stderr
                continue
            if "profile" in doc:
                on_result(ProfileRun.from_json(doc))
        code = child.wait()
        if cancel.is_set() or code in (0, 1, 2, 3) and "fleet" in doc:
            return None
        errors.seek(0)
        lines = [ln.strip() for ln in errors.read().splitlines() if ln.strip()]
        return lines[-1] if lines else f"the fleet check exited {code}"


def _kill_on(cancel: threading.Event, child: subprocess.Popen[str]) -> None:
    while not cancel.wait(0.2):
        if child.poll() is not None:
            return
    child.kill()


def fleet_exit_code(runs: Sequence[ProfileRun]) -> ExitCode:
    """The worst over profiles by the usual precedence: 2, then 3, then 1, then 0."""
    return ExitCode.worst(r.exit_code for r in runs)


def fleet_summary(runs: Sequence[ProfileRun], *, elapsed_s: float | None = None) -> JsonDict:
    """The fleet's own section of `check --json`: profiles per status, who could not tell."""
    by_status = {str(s): 0 for s in Status}
    for r in runs:
        by_status[str(r.status)] += 1
    now = clock.now()
    return {"generated_at": now, "generated_at_iso": clock.iso(now), "profiles": len(runs),
            "status": str(worst(r.status for r in runs)) if runs else str(Status.OK),
            "exit_code": int(fleet_exit_code(runs)), "by_status": by_status,
            "could_not_tell": [r.name for r in runs if r.error and r.status == Status.ERROR],
            "elapsed_s": None if elapsed_s is None else round(elapsed_s, 3)}
