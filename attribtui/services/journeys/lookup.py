"""A conversion's stored journey: its 202_conversion_logs row and touchpoints, validated.

Two indexed reads whatever the number of ids (the PK, KEY conv_id); the reverse lookup goes
through KEY click_lookup. Everything is a plain dataclass the screen and `attribtui journey
--json` both render (json.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from attribtui.infra.db import Database, in_clause
from attribtui.prosper import tables as pt
from attribtui.prosper.journey import StoredTouch, validate_journey
from attribtui.services.journeys.report import CREDIT_STEP, Conversion, Finding, JourneyReport
from attribtui.vocab import Status

TOUCH_ROWS_PER_ID = 100  # a sane journey has at most 26 rows; more is itself a finding
REVERSE_LIMIT = 100


_CONV_SQL = (
    "SELECT conv_id, click_id, user_id, campaign_id, click_time, conv_time, click_payout, "
    f"deleted, transaction_id FROM `{pt.conversion_logs.name}` WHERE conv_id IN ({{ids}}) LIMIT {{limit}}"
)
_TOUCH_SQL = (
    f"SELECT conv_id, position, click_id, click_time FROM `{pt.conversion_touchpoints.name}` "
    "WHERE conv_id IN ({ids}) ORDER BY conv_id, position, touchpoint_id LIMIT {limit}"
)


def decimal(value: object, step: Decimal = CREDIT_STEP) -> Decimal:
    """A DECIMAL column as MariaDB stores it (SQLite hands back floats): 5 places."""
    return (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(step)


def lookup(db: Database, ids: Sequence[int], *, primary: bool = False) -> list[JourneyReport]:
    """The stored journey of each conv_id, validated, in the order given (two indexed reads)."""
    if not ids:
        return []
    placeholders, params = in_clause("c", list(ids))
    rows = db.read(_CONV_SQL.format(ids=placeholders, limit=len(ids)), params, primary=primary)
    limit = len(ids) * TOUCH_ROWS_PER_ID
    touch_rows = db.read(_TOUCH_SQL.format(ids=placeholders, limit=limit + 1), params,
                         primary=primary)
    truncated = len(touch_rows) > limit
    convs = {
        int(r.conv_id): Conversion(
            int(r.conv_id), int(r.click_id), int(r.user_id), int(r.campaign_id),
            int(r.click_time), int(r.conv_time), f"{decimal(r.click_payout):f}", bool(r.deleted),
            r.transaction_id,
        )
        for r in rows
    }
    touches: dict[int, list[StoredTouch]] = {}
    for r in touch_rows[:limit]:
        touches.setdefault(int(r.conv_id), []).append(
            StoredTouch(int(r.position), int(r.click_id), int(r.click_time)))
    reports = []
    for conv_id in ids:
        report = JourneyReport(conv_id, convs.get(conv_id), touches.get(conv_id, []))
        report.truncated = truncated and len(report.touches) >= TOUCH_ROWS_PER_ID
        report.findings = stored_findings(report)
        reports.append(report)
    return reports


def stored_findings(report: JourneyReport) -> list[Finding]:
    """What the conversion row and its stored touches alone say (no recomputation)."""
    conv = report.conversion
    if conv is None:
        if report.touches:
            return [Finding("orphan_touchpoints", Status.FAIL,
                            f"conv_id {report.conv_id} is not in 202_conversion_logs, yet "
                            f"{len(report.touches)} touchpoints are stored for it.")]
        return [Finding("not_found", Status.WARN,
                        f"conv_id {report.conv_id} does not exist in 202_conversion_logs; "
                        "check the id.")]
    findings = []
    if conv.deleted:
        findings.append(Finding("deleted", Status.WARN,
                                "The conversion is soft-deleted (deleted=1): the rebuild and "
                                "the backfill ignore it."))
    findings += [Finding(v.code, Status.FAIL, v.message)
                 for v in validate_journey(report.touches, conv.click_id, conv.conv_time)]
    if report.truncated:
        findings.append(Finding("too_many_rows", Status.FAIL,
                                f"More than {TOUCH_ROWS_PER_ID} touchpoint rows are stored; only "
                                f"the first {TOUCH_ROWS_PER_ID} are shown."))
    return findings


_REVERSE_SQL = (
    f"SELECT DISTINCT conv_id FROM `{pt.conversion_touchpoints.name}` WHERE click_id = :click "
    "ORDER BY conv_id LIMIT :limit"
)
_CONVERTED_SQL = (
    f"SELECT conv_id FROM `{pt.conversion_logs.name}` WHERE click_id = :click ORDER BY conv_id "
    "LIMIT :limit"
)


@dataclass
class ReverseResult:
    """Conversions whose journeys hold a click, and those it converted (the converting click)."""

    click_id: int
    in_journeys: list[int]
    converted: list[int]
    truncated: bool

    @property
    def conv_ids(self) -> list[int]:
        return list(dict.fromkeys([*self.converted, *self.in_journeys]))[:REVERSE_LIMIT]


def reverse_lookup(db: Database, click_id: int) -> ReverseResult:
    """Up to REVERSE_LIMIT conversions per source, via KEY click_lookup and the click_id key."""
    params = {"click": click_id, "limit": REVERSE_LIMIT + 1}
    journeys = [int(r.conv_id) for r in db.read(_REVERSE_SQL, params)]
    converted = [int(r.conv_id) for r in db.read(_CONVERTED_SQL, params)]
    truncated = len(journeys) > REVERSE_LIMIT or len(converted) > REVERSE_LIMIT
    return ReverseResult(click_id, journeys[:REVERSE_LIMIT], converted[:REVERSE_LIMIT], truncated)
