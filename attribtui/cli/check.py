"""`attribtui check`: every check without a screen, as a table, JSON or Prometheus text.

Exit codes: 0 all ok or info, 1 warn or skipped, 2 fail, 3 could not tell, 64 usage.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from attribtui.cli.common import (
    EXIT_CODES_HELP,
    Sub,
    common_args,
    count_arg,
    duration_arg,
    err,
    print_json,
    profile_of,
)
from attribtui.infra import clock
from attribtui.infra.config import Profile
from attribtui.vocab import (
    FLEET_PARALLEL,
    FLEET_PARALLEL_MAX,
    ExitCode,
    JsonDict,
    Status,
    UsageError,
    label,
)

if TYPE_CHECKING:
    from attribtui.checks import CheckSpec
    from attribtui.services.fleet import ProfileRun

WINDOW_MAX_S = 90 * clock.DAY  # the integrity checks' look-back (id ranges, bounded reads)
DEADLINE_MAX_S = clock.HOUR
TABLE_WIDTH = 100  # a table printed into a pipe or a file


def register(sub: Sub) -> None:
    p = sub.add_parser("check", help="run the schema, cron and integrity checks",
                       description="Run the checks against the profile's database and print "
                       "the results. Each run is saved under the data dir.",
                       epilog=EXIT_CODES_HELP.replace("done / ", ""),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    common_args(p, fmt=False)
    p.add_argument("--format", choices=("table", "json", "jsonl", "prometheus"),
                   default="table",
                   help="table (default), json, jsonl (one line per profile as each finishes, "
                   "then the fleet summary: for streaming a fleet), or prometheus: the text "
                   "exposition format for node_exporter's textfile collector (one gauge per "
                   "check and status)")
    p.add_argument("--json", dest="format", action="store_const", const="json",
                   help="alias of --format json (JSON on stdout, messages on stderr)")
    p.add_argument("--window", default="48h", metavar="DURATION",
                   type=duration_arg(WINDOW_MAX_S),
                   help="how far back the integrity checks look, e.g. 6h, 48h, 7d (default 48h, "
                   f"at most {clock.format_duration(WINDOW_MAX_S)})")
    p.add_argument("--deadline", metavar="DURATION", type=duration_arg(DEADLINE_MAX_S),
                   help="stop the run after this long and report the checks left as skipped, "
                   "e.g. 20s, 2m (default: checks.deadline_s, 30 s; at most "
                   f"{clock.format_duration(DEADLINE_MAX_S)})")
    p.add_argument("--only", action="append", metavar="IDS_OR_GROUPS",
                   help="comma-separated check ids or groups (repeatable), e.g. "
                   "schema,cron.rebuild_guard")
    p.add_argument("--list", action="store_true", help="list the check ids and exit")
    p.add_argument("--no-save", action="store_true",
                   help="do not save this run under the data dir")
    fleet = p.add_argument_group(
        "fleet", "check several profiles at once, each under its own connect timeout and "
        "deadline (reads only); one row per profile, exit code the worst of them")
    which = fleet.add_mutually_exclusive_group()
    which.add_argument("--all-profiles", action="store_true",
                       help="every profile of the config file")
    which.add_argument("--profiles", metavar="A,B", type=_names_arg,
                       help="these profiles, comma-separated")
    which.add_argument("--group", metavar="NAME",
                       help="the profiles whose groups hold NAME (see `attribtui profiles`)")
    fleet.add_argument("--parallel", metavar="N", type=count_arg(1, FLEET_PARALLEL_MAX),
                       help=f"profiles checked at once (default {FLEET_PARALLEL}, at most "
                       f"{FLEET_PARALLEL_MAX})")
    p.set_defaults(func=cmd_check)


def _names_arg(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("expected profile names, comma-separated, e.g. eu1,eu2")
    return names


def _fleet_wanted(args: argparse.Namespace) -> bool:
    """Whether the command line asks for a fleet; mixed with --profile it is a usage error."""
    fleet = bool(args.all_profiles or args.profiles or args.group is not None)
    if fleet and getattr(args, "profile", None):
        raise UsageError("--profile checks one profile; --all-profiles, --profiles and --group "
                         "check several: pass one or the other")
    if args.parallel is not None and not fleet:
        raise UsageError("--parallel needs --all-profiles, --profiles A,B or --group NAME")
    return fleet


def cmd_check(args: argparse.Namespace) -> int:
    # Loaded here, not at the top: `attribtui --help` and the console's first paint stay fast.
    from attribtui.checks.catalog import all_checks, select
    from attribtui.checks.framework import CheckContext
    from attribtui.checks.prometheus import render
    from attribtui.checks.runner import run_checks_and_save
    from attribtui.infra.db import Database

    if args.list:
        for spec in all_checks().values():
            print(f"{spec.id:32} {spec.title}")
        return ExitCode.OK
    specs = select(args.only)
    if _fleet_wanted(args):
        return _cmd_fleet(args, specs)
    profile = profile_of(args)
    db = Database.from_profile(profile)
    ctx = CheckContext(db=db, now=clock.now(), profile=profile, window_s=args.window,
                       deadline_s=args.deadline)
    show = _progress_printer() if args.format == "table" and sys.stderr.isatty() else None
    try:
        run = run_checks_and_save(ctx, specs, save=not args.no_save, progress=show)
    finally:
        db.close()
    if run.save_error:
        err(f"warning: could not save this run ({run.save_error})")
    if run.deadline_s is not None:
        err(f"warning: the run reached its deadline of {run.deadline_s:g} s; the checks it did "
            "not finish are skipped (raise --deadline or checks.deadline_s)")
    if args.format == "json":
        print_json(run.report)
    elif args.format == "jsonl":
        print(json.dumps(run.report, separators=(",", ":")))
    elif args.format == "prometheus":
        sys.stdout.write(render(run.report))
    else:
        print(render_table(run.report, profile=profile, db_label=db.label))
        if run.saved:
            print(f"Saved: {run.saved}")
    return run.exit_code


def _cmd_fleet(args: argparse.Namespace, specs: Sequence[CheckSpec]) -> int:
    """`check --all-profiles | --profiles A,B | --group NAME`: one row per profile."""
    # Loaded here, as in cmd_check: `attribtui --help` stays fast.
    from attribtui.checks.prometheus import render_many
    from attribtui.services import fleet

    selected = fleet.select_profiles(all_profiles=args.all_profiles, names=args.profiles or (),
                                     group=args.group, config_path=getattr(args, "config", None))
    loaded = [p for p in selected if isinstance(p, Profile)]  # the others are error rows
    for p in loaded:
        for warning in p.warnings:
            err(f"warning: profile {p.name}: {warning}")
    # The implicit profile is made of the environment: its variables are its config.
    overridden = {o for p in loaded if not p.implicit for o in p.overrides}
    for o in sorted(overridden):
        err(f"warning: {o} applies to every profile of this fleet; unset it to check each "
            "profile as configured")
    shown = _fleet_progress(len(selected)) if args.format == "table" and sys.stderr.isatty() \
        else _print_line if args.format == "jsonl" else None
    t0 = time.monotonic()
    runs = fleet.check_fleet(selected, parallel=args.parallel or FLEET_PARALLEL,
                             window_s=args.window, deadline_s=args.deadline,
                             save=not args.no_save, specs=specs, on_result=shown)
    elapsed = time.monotonic() - t0
    for r in runs:
        if r.save_error:
            err(f"warning: could not save the run of profile {r.name} ({r.save_error})")
    code = fleet.fleet_exit_code(runs)
    if args.format == "json":
        print_json({"fleet": fleet.fleet_summary(runs, elapsed_s=elapsed),
                    "profiles": [r.to_json() for r in runs]})
    elif args.format == "jsonl":  # the profiles' lines went out as each finished
        print(json.dumps({"fleet": fleet.fleet_summary(runs, elapsed_s=elapsed)}))
    elif args.format == "prometheus":
        sys.stdout.write(render_many([r.report for r in runs if r.report is not None],
                                     exit_codes={r.name: int(r.exit_code) for r in runs},
                                     run_seconds={r.name: r.elapsed_s for r in runs}))
    else:
        print(render_fleet_table(runs, elapsed_s=elapsed))
    return code


def _print_line(run: ProfileRun) -> None:
    """`--format jsonl`: a profile's section on one line, the moment it is final."""
    print(json.dumps(run.to_json(), separators=(",", ":")), flush=True)


def _fleet_progress(total: int) -> Callable[[ProfileRun], None]:
    seen = [0]

    def show(run: ProfileRun) -> None:
        seen[0] += 1
        print(f"[{seen[0]}/{total}] {run.name} {label(run.status)} {run.elapsed_s:.1f} s",
              file=sys.stderr, flush=True)

    return show


def _progress_printer() -> Callable[[int, int, Any], None]:
    def show(i: int, n: int, res: Any) -> None:
        print(f"\r\033[K[{i}/{n}] {res.id}", end="\n" if i == n else "", file=sys.stderr,
              flush=True)
        if i == n:
            print("\033[1A\r\033[K", end="", file=sys.stderr, flush=True)

    return show


COLOURS = {Status.OK: "32", Status.INFO: "36", Status.WARN: "33", Status.SKIPPED: "2",
           Status.FAIL: "1;31", Status.ERROR: "1;35"}


def _colour(status: str, text: str) -> str:
    if os.environ.get("NO_COLOR") or not sys.stdout.isatty():
        return text
    return f"\033[{COLOURS[Status(status)]}m{text}\033[0m"


def _width() -> int:
    """The terminal's width for a table on a terminal; 100 columns in a pipe or a file."""
    if sys.stdout.isatty():
        return max(60, shutil.get_terminal_size((TABLE_WIDTH, 24)).columns)
    return TABLE_WIDTH


def _wrapped(text: str, first: str, indent: str, width: int) -> list[str]:
    """text after `first`, wrapped at word boundaries, the lines after it indented: a long
    detail is never cut mid-word (a word longer than the line, like a path, stays whole)."""
    return textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=indent,
                         break_long_words=False, break_on_hyphens=False) or [first.rstrip()]


def _check_lines(r: JsonDict, width: int, indent: str = "") -> list[str]:
    """One check of a run: status, id and details, then its evidence and fix when not ok."""
    hang = indent + " " * 13  # under the details: evidence and fix lines
    sym = f"{label(r['status']):10}"
    head = f"{indent}{sym} {r['id']:28} "
    rows = _wrapped(str(r["details"]), head, " " * len(head), width)
    lines = [indent + _colour(r["status"], sym) + rows[0][len(indent) + len(sym):], *rows[1:]]
    if r["status"] in (Status.WARN, Status.FAIL, Status.ERROR) and r.get("evidence"):
        ev = r["evidence"]
        for row in ev["rows"][:5]:
            cells = " | ".join("" if v is None else str(v) for v in row)
            lines += _wrapped(cells, f"{hang}· ", f"{hang}  ", width)
        if len(ev["rows"]) > 5 or ev["truncated"]:
            lines.append(f"{hang}· … more in --json")
    if r["status"] in (Status.WARN, Status.FAIL) and r.get("remediation"):
        lines += _wrapped(str(r["remediation"]), f"{hang}fix: ", f"{hang}     ", width)
    return lines


def render_table(report: JsonDict, *, profile: Profile, db_label: str,
                 width: int | None = None) -> str:
    # Loaded here, as in cmd_check: importing the checks registers them all (slow for --help).
    from attribtui.checks.results import empty_text, mostly_empty

    width = width or _width()
    lines = [f"attribtui check · profile {profile.name} ({profile.environment}) · {db_label} · "
             f"{report['generated_at_iso']}"]
    lines += [f"override: {o}" for o in report.get("overrides", [])]
    lines.append("")
    for r in report["checks"]:
        lines += _check_lines(r, width)
    parts = ", ".join(f"{n} {k}" for k, n in report["summary"].items() if n)
    code = ExitCode.of(r["status"] for r in report["checks"])
    empty = empty_text(report)
    lines += ["", f"Summary: {parts}" + (f"; {empty}" if empty else "") + f" (exit {int(code)})"]
    if mostly_empty(report):
        lines.append(f"{label(Status.INFO)}: {empty}: an empty window is not proof of health; "
                     "widen it with --window.")
    return "\n".join(lines)


NOT_OK = (Status.FAIL, Status.ERROR, Status.WARN, Status.SKIPPED)


def render_fleet_table(runs: Sequence[ProfileRun], *, elapsed_s: float,
                       width: int | None = None) -> str:
    """The fleet: one row per profile (checks per status, the worst check, run time, why it
    could not tell), then each profile's checks that are not ok, worst profile first."""
    width = width or _width()
    rows = [("profile", "env", "status", "ok/info/warn/skip/fail/err", "worst check", "time")]
    for r in runs:
        c = r.counts
        counts = "/".join(str(c.get(s, 0)) for s in ("ok", "info", "warn", "skipped", "fail",
                                                       "error"))
        rows.append((r.name, r.environment, label(r.status), counts if r.report else "-",
                     r.worst_check or "-", f"{r.elapsed_s:.1f} s"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    noun = "profile" if len(runs) == 1 else "profiles"
    lines = [f"attribtui check · fleet of {len(runs)} {noun} · {elapsed_s:.1f} s", ""]
    for i, row in enumerate(rows):
        text = "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        run = runs[i - 1] if i > 0 else None
        if run is not None:
            text = text.replace(row[2], _colour(run.status, row[2]), 1)
        lines.append(text)
        if run is not None and run.error:
            lines += _wrapped(run.error, "    error: ", "           ", width)
    order = sorted(runs, key=lambda r: NOT_OK.index(r.status) if r.status in NOT_OK else 4)
    for r in order:
        bad = [c for c in (r.report or {}).get("checks", []) if c["status"] in NOT_OK
               and not (r.error and c["status"] == Status.ERROR)]  # its row says it once
        if not bad:
            continue
        lines += ["", f"{r.name} ({r.environment}): {len(bad)} not ok"]
        for check in sorted(bad, key=lambda c: NOT_OK.index(c["status"])):
            lines += _check_lines(check, width, indent="  ")
    code = ExitCode.worst(r.exit_code for r in runs)
    per = {s: sum(1 for r in runs if r.status == s) for s in Status}
    parts = ", ".join(f"{n} {s}" for s, n in per.items() if n)
    saved = sum(1 for r in runs if r.saved)
    lines += ["", f"Fleet: {parts} (exit {int(code)})" + (f"; {saved} runs saved" if saved else "")]
    return "\n".join(lines)
