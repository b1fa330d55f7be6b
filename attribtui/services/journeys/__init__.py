"""Look up, validate, recompute and credit-check conversion journeys.

QA used to spot-check journeys with hand-written SQL; this package does the same with bounded, indexed, parameterised reads and Prosper202's own rules (attribtui/prosper):
ids.py        parse conv_ids / click_id (one-line errors)
lookup.py     the stored journey, validated (two indexed reads), and the reverse lookup
recompute.py  the journey a backfill would write today, the diff, the deciding scope
groups.py     which conversions share one candidate-click read, and what a capped read settles
prefetch.py   those reads, once per user or (user, campaign) span, on a bounded thread pool
credits.py    each model's stored credits against its strategy
cache.py      the journey cache keys in memcached: probe and (confirmed) evict
json.py       the JSON of a report
"""

from __future__ import annotations

from collections.abc import Generator, Sequence

from attribtui.infra.config import Profile
from attribtui.infra.db import Database, DbError
from attribtui.prosper.journey import Touch
from attribtui.services.journeys.credits import credit_findings, credits
from attribtui.services.journeys.ids import (
    MAX_CLICK_ID,
    MAX_CONV_ID,
    MAX_IDS,
    IdError,
    parse_click_id,
    parse_conv_ids,
)
from attribtui.services.journeys.json import to_json
from attribtui.services.journeys.lookup import (
    REVERSE_LIMIT,
    ReverseResult,
    lookup,
    reverse_lookup,
    stored_findings,
)
from attribtui.services.journeys.prefetch import Prefetch
from attribtui.services.journeys.recompute import Memo, recompute, recompute_findings
from attribtui.services.journeys.report import Conversion, Finding, JourneyReport


def enrich(db: Database, profile: Profile, report: JourneyReport, memo: Memo | None = None,
           prefetch: Prefetch | None = None) -> None:
    """Add the recomputation and the credits to a looked-up report (in place).

    Without prefetch the candidate clicks come from upstream's per-conversion query (the
    reference path); callers with many reports use enrich_each, which reads them per group.
    A failed read is kept as report.error: the stored journey and its findings still stand.
    """
    conv = report.conversion
    if conv is None:
        return
    memo = memo or Memo()
    try:
        rows: list[Touch] | None = None
        if prefetch is not None:
            rows = prefetch.candidates((conv.user_id, conv.campaign_id, conv.conv_time))
        report.recomputed = recompute(db, profile, report, memo, rows)
        report.credits = credits(db, report, memo)
    except DbError as e:
        report.error = str(e)
    report.findings = [*stored_findings(report), *recompute_findings(report),
                       *credit_findings(report)]


def enrich_each(db: Database, profile: Profile, reports: Sequence[JourneyReport],
                memo: Memo | None = None, *, primary: bool = False) -> Generator[JourneyReport, None, None]:
    """Enrich reports in order, yielding each one when done.

    The candidate clicks of all of them are read first thing, once per user or (user, campaign) span,
    `journeys.recompute_workers` spans at a time (on the primary when primary: verification);
    each report waits only for its own span. Stopping early drops the reads not yet started.
    """
    memo = memo or Memo(primary=primary)
    keys = [(r.conversion.user_id, r.conversion.campaign_id, r.conversion.conv_time)
            for r in reports if r.conversion is not None]
    with Prefetch(db, keys, workers=profile.journeys.recompute_workers,
                  primary=memo.primary) as prefetch:
        for report in reports:
            enrich(db, profile, report, memo, prefetch)
            yield report


def enrich_many(db: Database, profile: Profile, reports: Sequence[JourneyReport],
                memo: Memo | None = None, *, primary: bool = False) -> None:
    """enrich_each, all at once (the benches and tests compare it with the per-conversion path)."""
    for _ in enrich_each(db, profile, reports, memo, primary=primary):
        pass


__all__ = ["MAX_CLICK_ID", "MAX_CONV_ID", "MAX_IDS", "REVERSE_LIMIT", "Conversion", "Finding",
           "IdError", "JourneyReport", "Memo", "Prefetch", "ReverseResult", "credits", "enrich",
           "enrich_each", "enrich_many", "lookup",
           "parse_click_id", "parse_conv_ids", "recompute", "reverse_lookup", "stored_findings",
           "to_json"]
