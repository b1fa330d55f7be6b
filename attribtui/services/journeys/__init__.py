"""Look up, validate, recompute and credit-check conversion journeys.

QA used to spot-check journeys with hand-written SQL; this package does the same with bounded, indexed, parameterised reads and Prosper202's own rules (attribtui/prosper):
ids.py        parse conv_ids / click_id (one-line errors)
lookup.py     the stored journey, validated (two indexed reads), and the reverse lookup
recompute.py  the journey a backfill would write today, the diff, the deciding scope
credits.py    each model's stored credits against its strategy
cache.py      the journey cache keys in memcached: probe and (confirmed) evict
json.py       the JSON of a report
"""

from __future__ import annotations

from attribtui.infra.config import Profile
from attribtui.infra.db import Database, DbError
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
from attribtui.services.journeys.recompute import Memo, recompute, recompute_findings
from attribtui.services.journeys.report import Conversion, Finding, JourneyReport


def enrich(db: Database, profile: Profile, report: JourneyReport, memo: Memo | None = None) -> None:
    """Add the recomputation and the credits to a looked-up report (in place).

    A failed read is kept as report.error: the stored journey and its findings still stand.
    """
    if report.conversion is None:
        return
    memo = memo or Memo()
    try:
        report.recomputed = recompute(db, profile, report, memo)
        report.credits = credits(db, report, memo)
    except DbError as e:
        report.error = str(e)
    report.findings = [*stored_findings(report), *recompute_findings(report),
                       *credit_findings(report)]


__all__ = ["MAX_CLICK_ID", "MAX_CONV_ID", "MAX_IDS", "REVERSE_LIMIT", "Conversion", "Finding",
           "IdError", "JourneyReport", "Memo", "ReverseResult", "credits", "enrich", "lookup",
           "parse_click_id", "parse_conv_ids", "recompute", "reverse_lookup", "stored_findings",
           "to_json"]
