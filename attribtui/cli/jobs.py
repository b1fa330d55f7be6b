"""`attribtui run rebuild|backfill ...` and `attribtui jobs [show ID | cancel ID]`.

`run` checks first (pre-flight), asks for confirmation (--yes / --confirm when stdin is not a
terminal), starts the job detached, streams its output (stdout to stdout, stderr to stderr) with
a progress line on stderr, and exits with the honest outcome: 0 succeeded, 1 skipped by the
guard or suspicious (or refused before starting), 2 failed or cancelled, 3 could not start,
64 usage. Ctrl-C detaches: the job goes on (`attribtui jobs show ID`, `attribtui jobs cancel ID`).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from attribtui.cli.common import (
    Sub,
    common_args,
    confirm,
    err,
    mutation_args,
    print_json,
    profile_of,
)
from attribtui.infra import actionlog, clock
from attribtui.infra.config import ConfigError, Profile, load_profile
from attribtui.prosper.credit import RUNNER_BATCH
from attribtui.vocab import AttribtuiError, ExitCode, JobOutcome, Refused, UsageError

if TYPE_CHECKING:  # loaded per command: --help stays fast
    from attribtui.services.jobs import store

RUN_EXIT_HELP = """exit codes:
  0   the job succeeded (output checked, not only the exit code)
  1   skipped by the duplicate-window guard, or suspicious (e.g. exit 0 with an HTML outage page,
      or its lock was lost after its last chunk), or refused by the pre-flight, by the lock held
      by another operator, or not confirmed (nothing started)
  2   the job failed (its lock lost before its last chunk, too) or was cancelled
  3   could not start: no database, runner missing, a missing privilege, the lock unreachable
  64  the command line could not be parsed, or a size is out of bounds (the limit is named)"""

NOISE_HELP = ("print connect.php's warnings about missing $_SERVER keys too (by default they are "
              "folded into one counted line; errors and the script's own lines never are)")

# Sizes of `jobs` options, bounded when parsed (docs/architecture.md, "Exit codes": 64).
MAX_LIMIT = 10_000  # jobs --limit
MAX_LINES = 100_000  # jobs show --lines
MAX_GRACE_S = 600.0  # jobs cancel --grace


class CannotStart(AttribtuiError):
    """The pre-flight found that the job cannot start here (no database, no runner, a privilege,
    the lock unreachable): exit 3."""

    prefix = "could not start: "


def register(sub: Sub) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser("run", help="run a rebuild or backfill job (checked, logged, detached)",
                       description="Pre-flight, confirm, start detached, stream the output and "
                       "exit with the honest outcome. The job survives the terminal: Ctrl-C only "
                       "stops following it.", epilog=RUN_EXIT_HELP, formatter_class=fmt)
    common_args(p)
    p.add_argument("kind", choices=("rebuild", "backfill"))
    p.add_argument("--start", metavar="TIME",
                   help="epoch seconds, ISO-8601 UTC, or an age like 24h")
    p.add_argument("--end", metavar="TIME", help="as --start (default: now)")
    p.add_argument("--last", metavar="DURATION",
                   help="instead of --start/--end: the last complete hours, e.g. 24h "
                   "(--start=H0 --end=H1-1)")
    p.add_argument("--user", type=int, metavar="ID", help="one user (default: all users)")
    p.add_argument("--batch-size", type=int, metavar="N", help="backfill batch size (default 500)")
    p.add_argument("--chunk", metavar="DURATION",
                   help="split into hour-aligned runs of at most this long (e.g. 24h)")
    p.add_argument("--align", action="store_true",
                   help="widen the window to whole hours (--start=H0 --end=H1-1)")
    p.add_argument("--detach", action="store_true", help="start and return at once (exit 0)")
    p.add_argument("--delete-guard", action="store_true",
                   help="rebuild: delete the guard row of the hour of --end first (confirmed, "
                   "logged) so the run is not skipped")
    p.add_argument("--show-noise", action="store_true", help=NOISE_HELP)
    mutation_args(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("jobs", help="job history: list, show, cancel",
                       description="Jobs started from any console or `attribtui run`, newest "
                       "first, with their honest outcome.", epilog=RUN_EXIT_HELP,
                       formatter_class=fmt)
    common_args(p)
    p.add_argument("--limit", type=int, default=50, help=f"jobs to list (1..{MAX_LIMIT})")
    p.set_defaults(func=cmd_jobs)
    jsub = p.add_subparsers(dest="jobs_command", metavar="ACTION")
    show = jsub.add_parser("show", help="one job: record and the end of its logs")
    common_args(show)
    show.add_argument("id")
    show.add_argument("--lines", type=int, default=40,
                      help=f"log lines to print (default 40, at most {MAX_LINES})")
    show.add_argument("--follow", action="store_true", help="follow it until it ends")
    show.add_argument("--show-noise", action="store_true", help=NOISE_HELP)
    show.set_defaults(func=cmd_show)
    cancel = jsub.add_parser("cancel", help="terminate a running job (SIGTERM, then SIGKILL)")
    common_args(cancel)
    cancel.add_argument("id")
    cancel.add_argument("--grace", type=float, default=5.0,
                        help=f"seconds before SIGKILL (0..{MAX_GRACE_S:g})")
    mutation_args(cancel)
    cancel.set_defaults(func=cmd_cancel)


def _request(args: argparse.Namespace) -> Any:
    """The job request of the command line; UsageError (exit 64) names the flag and the limit."""
    from attribtui.prosper.hours import aligned  # per command: --help stays fast
    from attribtui.services.jobs.command import JobRequest, last_hours, parse_time

    if args.last is not None and (args.start is not None or args.end is not None):
        given = " and ".join(f for f, v in (("--start", args.start), ("--end", args.end)) if v)
        raise UsageError(f"--last cannot be combined with {given}: --last sets both; give "
                         "either --last or --start/--end")
    if args.last is None and args.start is None:
        raise UsageError("--start or --last is required")
    try:
        if args.last is not None:
            start, end = last_hours(_duration("--last", args.last))
        else:
            start = parse_time(args.start, "--start")
            end = parse_time(args.end or "now", "--end")
        chunk = _duration("--chunk", args.chunk) if args.chunk else None
        if args.align:
            start, end = aligned(start, end)
        if args.kind == "rebuild" and args.batch_size is not None:
            raise UsageError("--batch-size is a backfill option; the rebuild always reads "
                             f"{RUNNER_BATCH} at a time")
        return JobRequest(args.kind, start, end, args.user, args.batch_size, chunk)
    except UsageError:
        raise  # already one line naming the flag (a RequestError states the limit)
    except (OverflowError, ValueError) as e:
        raise UsageError(str(e)) from None


def _duration(flag: str, text: str) -> int:
    try:
        return clock.parse_duration(text)
    except ValueError as e:
        raise UsageError(f"{flag}: {e}") from None


def cmd_run(args: argparse.Namespace) -> int:
    # Loaded per command: `attribtui --help` stays fast.
    from attribtui.services import actions
    from attribtui.services.jobs import guard, preflight, runner
    from attribtui.services.jobs.command import build_commands

    req = _request(args)
    profile = profile_of(args)
    pf = preflight.run(profile, req)
    blocking = [f for f in pf.findings if f.level == "error" and f.code != "guard"]
    if args.delete_guard and pf.guard_hours and not args.dry_run and not blocking:
        # Only when nothing else stops the run: a deleted guard with no run after it would let
        # that hour's scheduled cron run on top of whatever the operator meant to do.
        for hour in pf.guard_hours:
            confirm(profile, guard.guard_delete_plan(hour), yes=args.yes, typed=args.confirm)
            done = guard.delete_guard(profile, hour)
            note = f": {done.note}" if done.note else ""
            err(f"deleted the guard row ('attr', {hour}) ({clock.iso(hour)}){note}")
        pf = preflight.run(profile, req)
    for f in pf.findings:
        err(f"{f.level}: {f.text}")
    commands = build_commands(profile, req)
    plan = actions.ActionPlan(
        title=f"Run {req.kind} {clock.iso(req.start)} .. {clock.iso(req.end)}"
        + (f" for user {req.user}" if req.user is not None else " for all users")
        + (f" in {len(commands)} chunks" if len(commands) > 1 else ""),
        effects=_effects(req),
        request="\n".join(c.display for c in commands))
    if args.dry_run:
        for c in commands:
            print(c.display)
        return ExitCode.OK if pf.ok else ExitCode.WARN
    if not pf.ok:
        raise _refusal(pf.findings, preflight.CANNOT_START)
    confirm(profile, plan, yes=args.yes, typed=args.confirm)
    rec = runner.start(profile, req, total=pf.conversions, users_total=pf.users_total,
                       commands=commands)
    err(f"started job {rec.id} (pid {rec.pid}); logs in {rec.folder}")
    if args.detach:
        if args.format == "json":
            print_json(rec.to_json())
        return ExitCode.OK
    return _follow(rec, args.format == "json", show_noise=args.show_noise)


def _refusal(findings: list[Any], cannot_start: frozenset[str]) -> AttribtuiError:
    """One line naming the first blocking problem: could not start (exit 3), else refused (1)."""
    errors = [f for f in findings if f.level == "error"]
    hard = [f for f in errors if f.code in cannot_start]
    first = (hard or errors)[0]
    more = f" ({len(errors) - 1} more problem(s) above)" if len(errors) > 1 else ""
    error = CannotStart if hard else Refused
    return error(f"{first.text}; nothing was started{more}")


def _effects(req: Any) -> list[str]:
    if req.kind == "rebuild":
        return ["Deletes and rewrites the credits (202_attribution_touchpoints) of every active "
                "model in the window, updates the snapshot totals and adds snapshot_rebuild audit "
                "rows", "Writes the guard row ('attr', hour of --end) and the heartbeat "
                "(202_cronjob_logs id 2)"]
    return ["Rewrites the stored journeys (202_conversion_touchpoints) of the window's "
            "conversions, except those of scopes with multi-touch disabled"]


def _follow(rec: Any, as_json: bool, from_start: bool = True, show_noise: bool = False) -> int:
    from attribtui.services.jobs import parse, runner, store  # per command: --help stays fast

    tty = sys.stderr.isatty()
    state = {"last": 0.0, "shown": False}
    folded = [0]

    def on_batch(lines: list[parse.LineEvent], snap: runner.Snapshot) -> None:
        if not as_json:
            if state["shown"] and tty:
                sys.stderr.write("\r\033[K")
            for ev in lines:
                if not show_noise and parse.is_known_noise(ev.kind, ev.text):
                    folded[0] += 1
                    continue
                (sys.stdout if ev.stream == "stdout" else sys.stderr).write(ev.text + "\n")
            sys.stdout.flush()
        now = time.monotonic()
        if tty:
            sys.stderr.write(f"\r\033[K[{runner.describe_snapshot(snap)}]")
            state["shown"] = True
        elif now - state["last"] >= 5 or snap.finished:
            sys.stderr.write(f"[{runner.describe_snapshot(snap)}]\n")
            state["last"] = now
        sys.stderr.flush()

    follower = runner.Follower(rec, on_batch, from_start=from_start).start()
    try:
        follower.finished.wait()
    except KeyboardInterrupt:
        follower.stop()
        err(f"\nstopped following; job {rec.id} goes on. `attribtui jobs show {rec.id} "
            f"--follow` re-attaches, `attribtui jobs cancel {rec.id}` stops it")
        return ExitCode.OK
    if tty:
        sys.stderr.write("\n")
    if folded[0]:
        err(parse.fold_note(folded[0], "--show-noise"))
    final = store.load(rec.folder) or rec
    outcome = JobOutcome(final.outcome)
    err(f"{outcome.label}: {final.reason} (exit {int(final.exit_code)})")
    if as_json:
        print_json(final.to_json())
    return final.exit_code


def cmd_jobs(args: argparse.Namespace) -> int:
    from attribtui.services.jobs import store  # per command: --help stays fast

    _bounded("--limit", args.limit, 1, MAX_LIMIT)
    name = getattr(args, "profile", None)
    recs = store.history(args.limit, name, _database(args) if name else None)
    if args.format == "json":
        print_json([r.to_json() for r in recs])
        return ExitCode.OK
    if not recs:
        print("No jobs yet. `attribtui run rebuild --last=24h` starts one.")
        return ExitCode.OK
    for r in recs:
        w = r.meta.get("window") or {}
        print(f"{r.id:34} {JobOutcome(r.outcome).label:24} "
              f"{r.profile:10} {clock.iso(w.get('start'))}..{clock.iso(w.get('end'))}  "
              f"{r.reason[:70]}")
    return ExitCode.OK


def _database(args: argparse.Namespace) -> str | None:
    """The selected profile's database: its history includes jobs run there under any profile
    (the demo's console and a headless run with ATTRIBTUI_DB_URL share one)."""
    from attribtui.services.jobs import store  # per command: --help stays fast

    try:
        return store.database_id(profile_of(args).db.url)
    except ConfigError:
        return None  # a profile no longer configured: its jobs are still listed by name


def _find(job_id: str) -> Any:
    from attribtui.services.jobs import store  # per command: --help stays fast

    rec = store.load(job_id)
    if rec is None:
        matches = [r for r in store.history(1000) if r.id.startswith(job_id) or
                   r.id.endswith(job_id)]
        if len(matches) == 1:
            return matches[0]
        raise UsageError(f"no job {job_id!r}" + (" (ambiguous)" if matches else "")
                         + "; `attribtui jobs` lists them")
    return rec


def _job_fields(rec: store.JobRecord) -> list[tuple[str, str]]:
    """The job as an operator reads it: one labelled line per fact, no Python structures."""
    m, d = rec.meta, rec.to_json()
    window = m.get("window") or {}
    chunks = len(m.get("chunks") or [])
    span = ""
    if window:
        span = f"{window.get('start_iso')} → {window.get('end_iso')}"
        span += f" in {chunks} chunk(s)" if chunks > 1 else ""
    started = f"{d['started_at_iso'] or '–'} by {m.get('operator') or 'unknown'}@{m.get('host') or '?'}"
    codes = d["exit_codes"]
    fields = [
        ("job", f"{rec.id} ({rec.kind} on profile {rec.profile}, {m.get('environment') or '?'})"),
        ("outcome", f"{rec.outcome}: {rec.reason} (exit {int(rec.exit_code)})"),
        ("command", str(m.get("command") or "")),
        ("window", span),
        ("user", "all users" if m.get("user") is None else str(m.get("user"))),
        ("batch size", "" if m.get("batch_size") is None else str(m.get("batch_size"))),
        ("started", started),
        ("ended", d["ended_at_iso"] or ("still running" if rec.running else "–")),
        ("exit codes", ", ".join(map(str, codes)) if codes else ""),
        ("lock lost", str(d["lock_lost"] or "")),
        ("pid", "" if rec.pid is None else str(rec.pid)),
        ("folder", str(rec.folder)),
    ]
    return [(k, v) for k, v in fields if v]


def cmd_show(args: argparse.Namespace) -> int:
    from attribtui.services.jobs import parse, runner  # per command: --help stays fast

    _bounded("--lines", args.lines, 1, MAX_LINES)
    rec = _find(args.id)
    if args.follow and rec.running:
        return _follow(rec, args.format == "json", from_start=False, show_noise=args.show_noise)
    if args.format == "json":
        print_json(rec.to_json())
    else:
        for label, value in _job_fields(rec):
            print(f"{label:11} {value}")
        for name, path in (("stdout", rec.stdout_log), ("stderr", rec.stderr_log)):
            tail = runner.log_tail(path, args.lines)
            print(f"--- {name} (last {len(tail)} lines of {path})")
            folded = 0
            for line in tail:
                if not args.show_noise and parse.is_known_noise(parse.kind_of(name, line), line):
                    folded += 1
                else:
                    print(line)
            if folded:
                print(parse.fold_note(folded, "--show-noise"))
    return ExitCode.OK if rec.running else rec.exit_code


def cmd_cancel(args: argparse.Namespace) -> int:
    """A confirmed action under the rules of the profile that started the job; a read-only
    profile (the one selected, or the job's own) refuses."""
    from attribtui.services import actions  # per command: --help stays fast
    from attribtui.services.jobs import runner, store

    _bounded("--grace", args.grace, 0, MAX_GRACE_S)
    rec = _find(args.id)
    selected = getattr(args, "profile", None) or os.environ.get("ATTRIBTUI_PROFILE")
    acting = profile_of(args) if selected else None
    profile = _job_profile(args, rec, acting)
    for p in (acting, profile):
        if p is not None and p.read_only:
            raise runner.CancelRefused(
                f"profile '{p.name}' is read-only: job {rec.id} was not cancelled; use a profile "
                f"without read_only = true (the job was started on '{rec.profile}')")
    left = store.orphans(rec.pid, rec.id) if rec.lost else []
    if not rec.running and not left:
        raise Refused(f"job {rec.id} is not running ({rec.outcome}); nothing to cancel")
    plan = actions.ActionPlan(title=f"Cancel job {rec.id} ({rec.kind})",
                              effects=["SIGTERM to its process group, SIGKILL after "
                                       f"{args.grace:g} s; the work done so far stays"],
                              request=f"kill -TERM -{rec.pid}")
    if left:
        plan = actions.ActionPlan(
            title=f"Stop the orphaned script of job {rec.id} ({rec.kind}); its wrapper is gone",
            effects=[f"SIGTERM to pid {', '.join(map(str, left))}, SIGKILL after {args.grace:g} s; "
                     "the work done so far stays"],
            request=f"kill -TERM {' '.join(map(str, left))}")
    if args.dry_run:
        print(plan.request)
        return ExitCode.OK
    confirm(profile, plan, yes=args.yes, typed=args.confirm)
    by = actionlog.operator((acting or profile).operator)
    err(runner.cancel(rec, profile=profile, grace_s=args.grace, by=by))
    return ExitCode.OK if rec.folder.joinpath("exit.json").exists() else ExitCode.FAIL


def _bounded(flag: str, value: float, low: float, high: float) -> None:
    """Sizes are bounded when parsed: exit 64 with the limit (docs/architecture.md)."""
    if not (math.isfinite(value) and low <= value <= high):
        raise UsageError(f"{flag}={_num(value)} is out of bounds; give a number from "
                         f"{_num(low)} to {_num(high)}")


def _num(value: float) -> str:
    return str(int(value)) if math.isfinite(value) and float(value).is_integer() else f"{value:g}"


def _job_profile(args: argparse.Namespace, rec: Any, acting: Profile | None) -> Profile:
    """The profile that started the job (for its confirmation rules), else an env-only one
    with the job's environment, treated with its caution."""
    if acting is not None and acting.name == rec.profile:
        return acting
    try:
        return load_profile(rec.profile, config_path=getattr(args, "config", None))
    except ConfigError:
        env = rec.meta.get("environment") or "unknown"
        return Profile(name=rec.profile, environment=env)
