"""A conversion's credits per model: what the snapshots of hour(conv_time) store, against what
the model's strategy assigns to the stored journey (prosper/credit.py)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from attribtui.infra import clock
from attribtui.infra.db import Database, in_clause
from attribtui.prosper import tables as pt
from attribtui.prosper.credit import Credit, assign_credits, round_credit
from attribtui.prosper.journey import Touch, journey_for_credit
from attribtui.prosper.models import ModelRow
from attribtui.queries.models import user_models
from attribtui.services.journeys.lookup import decimal
from attribtui.services.journeys.recompute import Memo
from attribtui.services.journeys.report import (
    Conversion,
    CreditLine,
    Finding,
    JourneyReport,
    ModelCredits,
)
from attribtui.vocab import Status

MODELS_LIMIT = 200
_SNAPSHOTS_SQL = (
    f"SELECT snapshot_id, model_id, lookback_end FROM `{pt.attribution_snapshots.name}` "
    "WHERE model_id IN ({models}) AND date_hour = :hour AND scope_type = 'global' "
    "AND scope_id IS NULL ORDER BY model_id, snapshot_id LIMIT 1000"
)
_CREDITS_SQL = (
    f"SELECT snapshot_id, position, click_id, credit FROM `{pt.attribution_touchpoints.name}` "
    "WHERE snapshot_id IN ({snapshots}) AND conv_id = :conv ORDER BY snapshot_id, position "
    "LIMIT 5000"
)


# A conversion credited in two snapshots of one hour: the hour's snapshot row is duplicated,
# which upstream's rebuild leaves behind whenever it rebuilds several models (docs/prosper202.md
# "The finalise reference bug"). A hour-level fault: the snapshots.duplicates check judges it.
DUPLICATED_HOUR = "the hour has duplicated snapshots: see snapshots.duplicates"

def _sum_tolerance(n: int) -> Decimal:
    # 1e-4 (the runner's own) plus half a step of decimal(10,5) rounding per stored credit.
    return Decimal("0.0001") + Decimal("0.000005") * n


def credits(db: Database, report: JourneyReport, memo: Memo | None = None) -> list[ModelCredits]:
    """For every model with a snapshot of hour(conv_time): stored credits vs its strategy's."""
    conv = report.conversion
    assert conv is not None
    memo = memo or Memo()
    if conv.user_id not in memo.models:
        memo.models[conv.user_id] = user_models(memo.read(db), conv.user_id, MODELS_LIMIT,
                                                newest_first=False)
    models = memo.models[conv.user_id]
    if not models:
        return []
    m_in, m_params = in_clause("m", [m.model_id for m in models])
    snaps = db.read(_SNAPSHOTS_SQL.format(models=m_in),
                    {**m_params, "hour": clock.hour(conv.conv_time)})
    if not snaps:
        return []
    s_in, s_params = in_clause("s", [int(s.snapshot_id) for s in snaps])
    rows = db.read(_CREDITS_SQL.format(snapshots=s_in), {**s_params, "conv": conv.conv_id})
    ordered = sorted(report.touches, key=lambda t: t.position)
    journey = journey_for_credit([Touch(t.click_id, t.click_time) for t in ordered],
                                 conv.converting)
    result = []
    for model in models:
        mine = [s for s in snaps if int(s.model_id) == model.model_id]
        if not mine:
            continue
        snapshot_ids = [int(s.snapshot_id) for s in mine]
        stored = [r for r in rows if int(r.snapshot_id) in snapshot_ids]
        expected: list[Credit] = [] if conv.deleted else assign_credits(
            model.type, model.config, journey, conv.converting,
            conv.conv_time)
        result.append(_compare(model, snapshot_ids, stored, expected, conv,
                               max(int(s.lookback_end) for s in mine)))
    return result


def _compare(model: ModelRow, snapshot_ids: list[int], stored: Sequence[Any],
             expected: Sequence[Credit], conv: Conversion, lookback_end: int) -> ModelCredits:
    got: dict[tuple[int, int], Decimal] = {}
    for r in stored:
        key = (int(r.position), int(r.click_id))
        got[key] = got.get(key, Decimal(0)) + decimal(r.credit)
    want = {(c.position, c.click_id): round_credit(c.credit) for c in expected}
    keys = sorted(set(got) | set(want))
    lines = [CreditLine(p, c, got.get((p, c)), want.get((p, c))) for p, c in keys]
    total = sum((decimal(r.credit) for r in stored), Decimal(0))
    mc = ModelCredits(model.model_id, model.name, model.type, model.is_active, snapshot_ids,
                      lines, total)
    credited_in = {int(r.snapshot_id) for r in stored}
    if len(credited_in) > 1:
        # The hour's snapshot is duplicated (snapshots.duplicates judges it): the sum and the
        # lines then only repeat that, so they are not reported on top.
        mc.problems.append(f"credited in {len(credited_in)} snapshots of the same hour "
                           f"({', '.join(map(str, sorted(credited_in)))}): counted twice "
                           f"({DUPLICATED_HOUR})")
        return mc
    if not stored:
        if conv.deleted:
            mc.note = "no credits stored (right: the rebuild skips soft-deleted conversions)"
        elif conv.conv_time > lookback_end:
            mc.note = (f"no credits yet: converted after this hour's last rebuild "
                       f"({clock.iso(lookback_end)})")
        else:
            mc.problems.append("no credits stored for this conversion, though the hour's "
                               "snapshot was rebuilt after it")
        return mc
    if conv.deleted:
        mc.problems.append("credits stored for a soft-deleted conversion")
    elif abs(total - 1) > _sum_tolerance(len(stored)):
        mc.problems.append(f"stored credits sum to {total:f}, not 1")
    bad = [ln for ln in lines if not ln.matches]
    if bad and not conv.deleted:
        mc.problems.append(f"{len(bad)} credit(s) differ from what {model.type} assigns "
                           f"to the stored journey")
    return mc


def credit_findings(report: JourneyReport) -> list[Finding]:
    findings = []
    for mc in report.credits or []:
        for problem in mc.problems:
            code = ("credits_duplicated" if DUPLICATED_HOUR in problem
                    else "credits_sum" if "sum to" in problem else "credits_mismatch")
            severity = Status.FAIL if code == "credits_sum" else Status.WARN
            findings.append(Finding(code, severity, f"Model {mc.model_id} {mc.name!r}: {problem}."))
    return findings
