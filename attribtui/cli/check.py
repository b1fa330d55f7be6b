"""`attribtui check`: every check without a screen, as a table, JSON or Prometheus text.

Exit codes: 0 all ok or info, 1 warn or skipped, 2 fail, 3 could not tell, 64 usage.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import textwrap
from collections.abc import Callable
from typing import Any

from attribtui.cli.common import (
    EXIT_CODES_HELP,
    Sub,
    common_args,
    duration_arg,
    err,
    print_json,
    profile_of,
)
from attribtui.infra import clock
from attribtui.infra.config import Profile
from attribtui.vocab import ExitCode, JsonDict, Status, label

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
    p.add_argument("--format", choices=("table", "json", "prometheus"), default="table",
                   help="table (default), json, or prometheus: the text exposition format for "
                   "node_exporter's textfile collector (one gauge per check and status)")
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
    p.set_defaults(func=cmd_check)


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
    elif args.format == "prometheus":
        sys.stdout.write(render(run.report))
    else:
        print(render_table(run.report, profile=profile, db_label=db.label))
        if run.saved:
            print(f"Saved: {run.saved}")
    return run.exit_code


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


def render_table(report: JsonDict, *, profile: Profile, db_label: str,
                 width: int | None = None) -> str:
    # Loaded here, as in cmd_check: importing the checks registers them all (slow for --help).
    from attribtui.checks.results import empty_text, mostly_empty

    width = width or _width()
    lines = [f"attribtui check · profile {profile.name} ({profile.environment}) · {db_label} · "
             f"{report['generated_at_iso']}"]
    lines += [f"override: {o}" for o in report.get("overrides", [])]
    lines.append("")
    hang = " " * 13  # under the details: evidence and fix lines
    for r in report["checks"]:
        sym = f"{label(r['status']):10}"
        head = f"{sym} {r['id']:28} "
        rows = _wrapped(str(r["details"]), head, " " * len(head), width)
        lines.append(_colour(r["status"], sym) + rows[0][len(sym):])
        lines += rows[1:]
        if r["status"] in (Status.WARN, Status.FAIL, Status.ERROR) and r.get("evidence"):
            ev = r["evidence"]
            for row in ev["rows"][:5]:
                cells = " | ".join("" if v is None else str(v) for v in row)
                lines += _wrapped(cells, f"{hang}· ", f"{hang}  ", width)
            if len(ev["rows"]) > 5 or ev["truncated"]:
                lines.append(f"{hang}· … more in --json")
        if r["status"] in (Status.WARN, Status.FAIL) and r.get("remediation"):
            lines += _wrapped(str(r["remediation"]), f"{hang}fix: ", f"{hang}     ", width)
    parts = ", ".join(f"{n} {k}" for k, n in report["summary"].items() if n)
    code = ExitCode.of(r["status"] for r in report["checks"])
    empty = empty_text(report)
    lines += ["", f"Summary: {parts}" + (f"; {empty}" if empty else "") + f" (exit {int(code)})"]
    if mostly_empty(report):
        lines.append(f"{label(Status.INFO)}: {empty}: an empty window is not proof of health; "
                     "widen it with --window.")
    return "\n".join(lines)
