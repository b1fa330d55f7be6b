"""`attribtui report`: write the incident report (Markdown + JSON) for a time range or a rollback."""

from __future__ import annotations

import argparse

from attribtui.cli.common import (
    EXIT_CODES_HELP,
    Sub,
    common_args,
    err,
    print_json,
    profile_of,
    when_arg,
)
from attribtui.infra import clock
from attribtui.vocab import ExitCode, UsageError


def register(sub: Sub) -> None:
    p = sub.add_parser(
        "report", help="write an incident report (Markdown + JSON) of what the console did",
        description="Timeline of console actions with their results, check runs before and "
        "after, models changed, jobs with outcomes and log tails, purge backups and the "
        "202_attribution_audit rows of the range. Secrets redacted. Default range: the last 24 h.",
        epilog=EXIT_CODES_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_args(p)
    p.add_argument("--rollback", metavar="ID", help="report on this rollback walkthrough")
    p.add_argument("--since", type=when_arg,
                   help="range start (epoch, ISO-8601 UTC, or a duration ago like 6h)")
    p.add_argument("--until", type=when_arg, help="range end (default: now)")
    p.set_defaults(func=cmd_report)


def cmd_report(args: argparse.Namespace) -> int:
    # Loaded per command: `attribtui --help` stays fast.
    from attribtui.infra.db import Database, DbError
    from attribtui.services import report
    from attribtui.services.rollback import load_state

    now = clock.now()
    rollback = None
    if args.rollback:
        if args.since is not None or args.until is not None:
            raise UsageError("--rollback and --since/--until exclude each other")
        walkthrough = load_state(args.rollback)
        rollback = walkthrough.to_json()
        since, until = walkthrough.started_at, walkthrough.ended_at or now
    else:
        since = args.since if args.since is not None else now - 86400
        until = args.until if args.until is not None else now
    if since >= until:
        raise UsageError("--since must be before --until")
    profile = profile_of(args)
    db = None
    try:
        db = Database.from_profile(profile) if profile.db.url else None
    except DbError as e:
        err(f"warning: no audit rows in the report: {e}")
    doc = report.build(profile, db, since, until, rollback=rollback)
    md, js = report.write(doc, profile)
    if db is not None:
        db.close()
    if args.format == "json":
        print_json({"markdown": str(md), "json": str(js), "report": doc})
    else:
        print(f"Report written: {md}\n           and {js}")
        if doc.get("audit_note"):
            err(doc["audit_note"])
    return ExitCode.OK
