"""`attribtui journey CONV_ID...`: the Journeys screen's findings without a screen.

Exit codes (docs/architecture.md, "Exit codes"): 0 every journey valid and matching its
recomputation; 1 only differences (or notes: a soft-deleted or unknown conversion, a refused
eviction); 2 any rule broken; 3 the lookup or the eviction failed (database or memcached
unreachable, timeout); 64 ids that cannot be parsed.
"""

from __future__ import annotations

import argparse
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
from attribtui.infra import clock
from attribtui.infra.config import Profile
from attribtui.infra.redact import redact_text
from attribtui.services.actions import ActionPlan, refused_in_read_only
from attribtui.vocab import ExitCode, JsonDict, Refused, Status, Unreachable, UsageError, label

if TYPE_CHECKING:  # loaded per command (see _open): `attribtui --help` and first paint stay fast
    from attribtui.infra.db import Database
    from attribtui.services.journeys import JourneyReport

EXIT_HELP = """exit codes:
  0   every journey valid and matching its recomputation
  1   only differences or notes (a backfill would change something, soft-deleted or unknown
      conv_id), or the eviction was refused and nothing changed
  2   a journey rule is broken (positions, converting click, order, duplicates, lookback, size,
      credits not summing to 1)
  3   the lookup failed (database unreachable, timeout, config error), or the cache eviction
      did not happen (memcached unreachable or not configured)
  64  ids that cannot be parsed (non-numeric, negative, zero, > 4294967295, none, > 500)"""

STATUSES = (Status.OK, Status.WARN, Status.FAIL, Status.ERROR)


def register(sub: Sub) -> None:
    p = sub.add_parser(
        "journey", help="look up, validate and recompute conversion journeys",
        description="For each conv_id: the 202_conversion_logs row, the stored touchpoints "
        "validated with Prosper202's journey rule, the journey a backfill would write today and "
        "the difference, the credits of each model for the conversion's hour, and the journey "
        "cache keys in memcached.",
        epilog=EXIT_HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    common_args(p)
    p.add_argument("conv_ids", nargs="*", metavar="CONV_ID",
                   help="conv_ids, separated by spaces or commas (at most 500)")
    p.add_argument("--click", metavar="CLICK_ID",
                   help="reverse lookup: the conversions whose journeys contain this click")
    p.add_argument("--evict-cache", action="store_true",
                   help="delete the journey cache keys of these conversions (confirmed action)")
    mutation_args(p)
    p.set_defaults(func=cmd_journey)


def cmd_journey(args: argparse.Namespace) -> int:
    # Loaded per command: `attribtui --help` stays fast.
    from attribtui.infra.db import Database, DbError
    from attribtui.services.journeys import parse_click_id, parse_conv_ids

    click_id = parse_click_id(args.click) if args.click is not None else None
    ids = parse_conv_ids(" ".join(args.conv_ids)) if args.conv_ids or click_id is None else []
    if args.evict_cache and click_id is not None:
        raise UsageError("--evict-cache takes conv_ids, not --click; look the click up first")
    profile = profile_of(args)
    db = Database.from_profile(profile)
    try:
        return _run(args, profile, db, ids, click_id, clock.now())
    except DbError as e:
        raise Unreachable(f"lookup failed: {redact_text(str(e), profile.secrets())}") from None
    finally:
        db.close()


def _run(args: argparse.Namespace, profile: Profile, db: Database, ids: list[int],
         click_id: int | None, now: int) -> int:
    from attribtui.services import journeys  # per command: --help stays fast
    from attribtui.services.journeys import cache as journey_cache

    reverse = None
    if click_id is not None:
        reverse = journeys.reverse_lookup(db, click_id)
        if reverse.truncated:
            err(f"warning: click {click_id} is in more than {journeys.REVERSE_LIMIT} "
                "conversions; only the first ones are shown")
        ids = list(dict.fromkeys([*ids, *reverse.conv_ids]))
    reports = journeys.lookup(db, ids)
    for report in journeys.enrich_each(db, profile, reports):  # candidates read per group
        if report.found:
            report.cache = journey_cache.probe(profile, report.conv_id)
    evict_code = ExitCode.OK
    if args.evict_cache:
        evict_code = _evict(args, profile, [r for r in reports if r.found])
    statuses = [r.status for r in reports]
    if args.format == "json":
        out: JsonDict = {
            "profile": profile.name, "generated_at": now, "generated_at_iso": clock.iso(now),
            "summary": {str(s): statuses.count(s) for s in STATUSES},
            "conversions": [journeys.to_json(r) for r in reports],
        }
        if reverse is not None:
            out["reverse"] = {"click_id": reverse.click_id, "in_journeys": reverse.in_journeys,
                              "converted": reverse.converted, "truncated": reverse.truncated}
        print_json(out)
    else:
        if reverse is not None:
            print(f"click {reverse.click_id}: converted {_list(reverse.converted)}; "
                  f"in the journeys of {_list(reverse.in_journeys)}")
        for report in reports:
            print("\n".join(text_lines(report, now)))
            print()
        code = ExitCode.worst([ExitCode.of(statuses), evict_code]) if statuses else ExitCode.WARN
        counts = ", ".join(f"{statuses.count(s)} {s}" for s in STATUSES if statuses.count(s))
        print(f"Summary: {counts or 'no conversions'} (exit {int(code)})")
    if not reports:
        return ExitCode.WARN
    return ExitCode.worst([ExitCode.of(statuses), evict_code])


def _list(ids: list[int]) -> str:
    return ", ".join(map(str, ids)) if ids else "none"


def _evict(args: argparse.Namespace, profile: Profile, reports: list[Any]) -> ExitCode:
    """Evict each conversion's keys: OK, WARN when refused, UNKNOWN when memcached could not
    be reached (or is not configured), so the eviction did not happen."""
    from attribtui.services.journeys import cache as journey_cache

    if not reports:
        return ExitCode.OK
    refusal = refused_in_read_only(profile, "cache eviction")
    if refusal:
        err(f"refused: {refusal}")
        return ExitCode.WARN
    plans = [journey_cache.evict_plan(profile, r.conv_id) for r in reports]
    if args.dry_run:
        for plan in plans:
            err(f"dry run: {plan.title}: {plan.request}")
        return ExitCode.OK
    combined = ActionPlan(
        title=f"Evict the journey cache keys of {len(reports)} conversion(s)",
        effects=[e for p in plans for e in p.effects[:1]] + plans[0].effects[1:],
        request="; ".join(p.request for p in plans))
    try:
        confirm(profile, combined, yes=args.yes, typed=args.confirm)
    except Refused as e:
        err(f"{e.prefix}{e}")
        return ExitCode.WARN
    code = ExitCode.OK
    for report in reports:
        report.cache = journey_cache.evict(profile, report.conv_id)
        if report.cache.available:
            err(f"conv {report.conv_id}: evicted {report.cache.evicted or 0} cache key(s)")
        else:
            err(f"conv {report.conv_id}: {report.cache.message}")
            code = ExitCode.UNKNOWN
    return code


def text_lines(report: JourneyReport, now: int) -> list[str]:
    """The plain-text block of one conversion (what the screen shows, without colour)."""
    conv = report.conversion
    lines = [f"{label(report.status):8} conv {report.conv_id}"]
    if conv is not None:
        deleted = "   !! DELETED (deleted=1)" if conv.deleted else ""
        lines.append(f"  user {conv.user_id} · campaign {conv.campaign_id} · click {conv.click_id}"
                     f" · payout {conv.payout}{deleted}")
        lines.append(f"  clicked {clock.iso(conv.click_time)} · converted "
                     f"{clock.describe(conv.conv_time, now)}")
        lines.append(f"  touchpoints ({len(report.touches)}):")
        for t in sorted(report.touches, key=lambda t: t.position):
            mark = "▶" if t.click_id == conv.click_id else " "
            before = clock.ago(conv.conv_time - t.click_time)
            lines.append(f"   {mark} {t.position:>3}  click {t.click_id:<12} {clock.iso(t.click_time)}"
                         f"  {before} before conversion"
                         + ("  ◀ converting" if mark == "▶" else ""))
    for f in report.findings:
        lines.append(f"  {label(f.severity)} {f.code}: {f.message}")
    if report.error:
        lines.append(f"  ‼ {report.error}")
    rec = report.recomputed
    if rec is not None:
        lines.append(f"  {rec.verdict}")
        lines.append(f"  multi-touch: {'enabled' if rec.enabled else 'DISABLED'} ({rec.scope})")
        lines.append(f"  backfill: {rec.command}")
    for mc in report.credits or []:
        state = "ok" if mc.ok else "MISMATCH"
        lines.append(f"  credits {mc.name} ({mc.model_type}) snapshot "
                     f"{','.join(map(str, mc.snapshot_ids))}: sum {mc.stored_sum:f} {state}"
                     + (f" · {'; '.join(mc.problems)}" if mc.problems else "")
                     + (f" · {mc.note}" if mc.note else ""))
    if report.credits == [] and conv is not None:
        lines.append(f"  credits: no snapshot of hour {clock.iso(clock.hour(conv.conv_time))}")
    if report.cache is not None:
        lines.append(f"  cache: {report.cache.message}")
    return lines
