"""`attribtui purge` and `attribtui purge restore FILE`: headless surgical purge with backup.

After an error a purge or restore reports each conversion deleted/restored, untouched or unknown
(docs/architecture.md, "Statuses"): the details on stdout, one summary line on stderr, and the
exit code of the truth (2 stopped part-way, 3 unknown).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from attribtui.cli.common import (
    EXIT_CODES_HELP,
    Sub,
    common_args,
    confirm,
    err,
    mutation_args,
    print_json,
    profile_of,
)
from attribtui.infra import clock
from attribtui.infra.config import Profile
from attribtui.services.actions import ActionPlan, refused_in_read_only, where
from attribtui.vocab import ExitCode, Refused, UsageError

MAX_CONV_IDS = 5000  # services.purge.MAX_CONVERSIONS; a test keeps them equal (--help stays fast)


def register(sub: Sub) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "purge", help="delete polluted journeys (202_conversion_touchpoints) with a backup first",
        description="Select conversions by conv_id, or by user/campaign and a conv_time window; "
        "back up every touchpoint row that will be deleted (a whole, checksummed file), delete in "
        "batches under the one-operator lock, evict the journeys' cache keys, and print the "
        "backfill that rebuilds them. `purge restore FILE` verifies a backup and replays it "
        "exactly.", epilog=EXIT_CODES_HELP, formatter_class=fmt)
    common_args(p)
    mutation_args(p)
    p.add_argument("--conv-ids", metavar="IDS",
                   help=f"conv_ids separated by commas or spaces (at most {MAX_CONV_IDS})")
    p.add_argument("--user", type=int, help="user_id whose conversions in the window to purge")
    p.add_argument("--campaign", type=int, help="campaign_id whose conversions in the window to purge")
    p.add_argument("--start", help="window start (epoch or ISO-8601 UTC), with --user/--campaign")
    p.add_argument("--end", help="window end (inclusive)")
    p.add_argument("--batch-size", type=int, default=200, help="conversions per transaction (1-1000)")
    p.set_defaults(func=cmd_purge)
    rsub = p.add_subparsers(dest="purge_action", metavar="ACTION")
    r = rsub.add_parser("restore", help="verify a purge backup and put its rows back exactly",
                        epilog=EXIT_CODES_HELP, formatter_class=fmt)
    common_args(r)
    mutation_args(r)
    r.add_argument("file", type=Path, help="a backup file (see `attribtui paths`: backups)")
    r.add_argument("--to-other-database", action="store_true",
                   help="replay onto a database other than the one the backup was taken from")
    r.add_argument("--batch-size", type=int, default=200,
                   help="conversions per transaction (1-1000)")
    r.set_defaults(func=cmd_restore)


def _selection(args: argparse.Namespace) -> Any:
    # Loaded per command: `attribtui --help` stays fast.
    from attribtui.services.purge import Selection, parse_ids

    ids: list[int] = []
    if args.conv_ids:
        try:
            ids = parse_ids(args.conv_ids)
        except ValueError as e:
            raise UsageError(f"--conv-ids: {e}") from None
    try:
        start = clock.parse_instant(args.start) if args.start else None
        end = clock.parse_instant(args.end) if args.end else None
    except ValueError as e:
        raise UsageError(f"--start/--end: {e}") from None
    return Selection(ids, args.user, args.campaign, start, end)


def _open(args: argparse.Namespace) -> tuple[Profile, Any]:
    from attribtui.infra.db import Database  # per command: --help stays fast

    profile = profile_of(args)
    return profile, Database.from_profile(profile)


def _ids(ids: list[int], limit: int = 20) -> str:
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(map(str, ids[:limit])) + more


def cmd_purge(args: argparse.Namespace) -> int:
    from attribtui.services.purge import execute, plan  # per command: --help stays fast

    sel = _selection(args)
    profile, db = _open(args)
    the_plan = plan(db, sel)
    action = the_plan.action(profile)
    if args.dry_run or not the_plan.touchpoint_rows:
        _print_plan(args, profile, the_plan, action)
        if not the_plan.touchpoint_rows and not args.dry_run:
            err("nothing to purge: the selected conversions have no journey rows")
        return ExitCode.OK
    result = _confirmed_run(args, profile, action, "purge",
                            lambda: execute(db, profile, the_plan, batch_size=args.batch_size))
    if args.format != "json":
        _print_purged(result)
    if result.error and not result.complete:
        err(result.summary())
    elif result.error:
        err(f"note: {result.error}; re-read on a fresh connection: all "
            f"{len(result.deleted_conv_ids)} conversion(s) were deleted")
    return int(result.exit_code)


def _print_purged(result: Any) -> None:
    print(f"Backed up {result.backed_up_rows} row(s) to {result.backup} "
          f"(sha256 {result.sha256[:16]}…)")
    print(f"Deleted {result.deleted_rows} row(s) of {len(result.deleted_conv_ids)} conversion(s).")
    print(f"Cache: {result.cache}")
    if result.error:
        print(f"STOPPED: {result.error}")
        print(f"What the database holds ({result.truth}):")
        print(f"  deleted: {_ids(result.deleted_conv_ids) or 'none'}")
        print(f"  untouched (rows in place, all in the backup): "
              f"{_ids(result.not_deleted_conv_ids) or 'none'}")
        if result.unknown_conv_ids:
            print(f"  unknown (the COMMIT's reply was lost): {_ids(result.unknown_conv_ids)}; "
                  f"settle with: {result.settle}")
    print("Rebuild the journeys with the backfill for exactly the affected users and window:")
    for a in result.affected:
        print(f"  attribtui run backfill {' '.join(a.backfill_args())}"
              f"   # {a.conversions} conversion(s), {clock.iso(a.start)}..{clock.iso(a.end)}")


def _print_plan(args: argparse.Namespace, profile: Profile, the_plan: Any, action: Any) -> None:
    if args.format == "json":
        print_json({"dry_run": True, "conv_ids": the_plan.conv_ids, "missing_ids": the_plan.missing_ids,
                   "conversions": len(the_plan.conv_ids), "with_journey": the_plan.with_journey,
                   "touchpoint_rows": the_plan.touchpoint_rows, "sample": the_plan.sample,
                    "affected": [asdict(a) for a in the_plan.affected],
                    "request": action.request})
        return
    print("\n".join(["DRY RUN: " + action.title, *where(profile), *[f"  - {e}" for e in action.effects]]))
    if the_plan.missing_ids:
        print(f"Not found in 202_conversion_logs: {', '.join(map(str, the_plan.missing_ids))}")
    print(f"Request: {action.request}")
    if the_plan.sample:
        print("Sample rows: touchpoint_id conv_id click_id click_time position created_at")
        for row in the_plan.sample:
            print("  " + " ".join(str(v) for v in row.values()))


def _confirmed_run(args: argparse.Namespace, profile: Profile, plan: ActionPlan, what: str,
                   run: Callable[[], Any]) -> Any:
    """Confirm (read-only, --yes, --confirm), run, print JSON if asked."""
    refused = refused_in_read_only(profile, what)
    if refused:
        raise Refused(refused)
    confirm(profile, plan, yes=args.yes, typed=args.confirm)
    result = run()
    if args.format == "json":
        print_json(result.to_json())
    return result


def cmd_restore(args: argparse.Namespace) -> int:
    from attribtui.services.purge import load, restore  # per command: --help stays fast

    profile, db = _open(args)
    backup = load(args.file)  # read once, under caps, verified: refused before anything else
    preview = restore(db, profile, backup, dry_run=True, other_database=args.to_other_database)
    header = backup.header
    plan = ActionPlan(
        title=f"Restore {len(backup.rows)} journey row(s) of {len(preview.conv_ids)} conversion(s)",
        effects=[f"From {args.file} (taken {header.get('created_at_iso')} on profile "
                 f"{header.get('profile')}, database {header.get('database')}; verified whole: "
                 f"sha256 {backup.sha256[:16]}…).",
                 f"Replaces the {preview.replaced_rows} row(s) these conversions have now, after "
                 "backing them up to a new file.",
                 f"{len(preview.matching_conv_ids)} of {len(preview.conv_ids)} conversion(s) "
                 "already hold exactly the backup's rows.",
                 "One transaction per batch of whole conversions, under the lock."],
        request="DELETE … WHERE conv_id IN (…); INSERT the backed-up rows with their ids",
        typed=f"restore {len(preview.conv_ids)}" if len(preview.conv_ids) > 5 else None)
    if args.dry_run:
        if args.format == "json":
            print_json(preview.to_json())
        else:
            print("DRY RUN: " + plan.title)
            print("\n".join(f"  - {e}" for e in plan.effects))
            differ = [c for c in preview.conv_ids if c not in set(preview.matching_conv_ids)]
            print(f"Already as in the backup: {_ids(preview.matching_conv_ids) or 'none'}")
            print(f"Differ from the backup: {_ids(differ) or 'none'}")
        return ExitCode.OK
    result = _confirmed_run(args, profile, plan, "restore",
                            lambda: restore(db, profile, backup, batch_size=args.batch_size,
                                            other_database=args.to_other_database))
    if args.format != "json":
        print(f"Restored {result.restored_rows} row(s) of {len(result.restored_conv_ids)} "
              f"conversion(s); replaced {result.replaced_rows} (saved first to "
              f"{result.pre_restore_backup}).")
        if result.error:
            print(f"STOPPED: {result.error}")
            print(f"What the database holds ({result.truth}):")
            print(f"  restored: {_ids(result.restored_conv_ids) or 'none'}")
            print(f"  untouched (rows as before): {_ids(result.untouched_conv_ids) or 'none'}")
            if result.unknown_conv_ids:
                print(f"  unknown (the COMMIT's reply was lost): {_ids(result.unknown_conv_ids)}; "
                      f"settle with: {result.settle}")
    if result.error and not result.complete:
        err(result.summary())
    elif result.error:
        err(f"note: {result.error}; re-read on a fresh connection: all "
            f"{len(result.restored_conv_ids)} conversion(s) were restored")
    return int(result.exit_code)
