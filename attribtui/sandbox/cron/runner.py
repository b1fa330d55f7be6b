"""AttributionJobRunner::runForUser, the rebuild's work for one user, on the sandbox database.

Step by step as docs/prosper202.md §Rebuild runner describes it, in upstream's order and
arithmetic (checked against upstream's rows by tests/functional/test_golden_runner.py): load the
active models newest first (one bad row fails the user), reset every hour of the window for each
model, read conversions in batches of 5000 through the clicks JOIN (a duplicated click row
repeats a conversion, a missing one drops it; the converting click's time is
conversion_logs.click_time), credit them with the shared strategies (prosper/credit.py) and sum
money in PHP floats, write one transaction per hour in the order hours first appear, then
finalise every model's totals and write one snapshot_rebuild audit row and log line per model.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, Row

from attribtui.infra.db import connection_reader, in_clause
from attribtui.prosper.credit import (
    RUNNER_BATCH,
    Contribution,
    assign_credits,
    contribution,
    hour_totals,
    store_money,
)
from attribtui.prosper.hours import hour
from attribtui.prosper.journey import Touch, journey_for_credit
from attribtui.prosper.models import ModelRow
from attribtui.queries.models import user_models
from attribtui.sandbox.cron.php import err

SNAPSHOT_LIMIT = 10000


class ModelRowError(Exception):
    """A model row upstream cannot load: fails the whole user, as the runner does."""


@dataclass
class _HourTotal:
    """One snapshot hour's totals, summed in PHP floats in upstream's order."""

    clicks: int = 0
    conversions: int = 0
    revenue: float = 0.0
    cost: float = 0.0


@dataclass
class _ModelState:
    """initialiseModelState: the kept snapshot per hour (existing ones first, placeholders in the
    order their hours first appear), the per-hour totals and the run's metrics."""

    snapshot_ids: dict[int, int] = field(default_factory=dict)
    created_at: dict[int, int] = field(default_factory=dict)
    totals: dict[int, _HourTotal] = field(default_factory=dict)
    metrics: _HourTotal = field(default_factory=_HourTotal)
    batches: int = 0


def _models(conn: Connection, user_id: int) -> list[ModelRow]:
    """findForUser(user, null, onlyActive): newest first; the first bad row fails the user."""
    rows = user_models(connection_reader(conn), user_id, SNAPSHOT_LIMIT, active_only=True,
                       newest_first=True)
    for row in rows:
        if row.problem:
            raise ModelRowError(row.problem)
    return rows


def _initialise(eng: Engine, model: ModelRow, h0: int, h1: int) -> _ModelState:
    """The model's global snapshots of the window's hours: their credits deleted one snapshot at a
    time, one kept per hour (the last read wins), none deleted."""
    state = _ModelState()
    with eng.begin() as conn:
        rows = conn.execute(text(
            "SELECT snapshot_id, date_hour, created_at FROM `202_attribution_snapshots` WHERE model_id = :m "
            "AND scope_type = 'global' AND scope_id IS NULL AND date_hour BETWEEN :a AND :b "
            "ORDER BY date_hour ASC, snapshot_id ASC LIMIT :n"),
            {"m": model.model_id, "a": h0, "b": h1, "n": SNAPSHOT_LIMIT}).all()
    for sid, h, created in rows:
        state.snapshot_ids[int(h)] = int(sid)
        state.created_at[int(h)] = int(created)
        with eng.begin() as conn:
            conn.execute(text("DELETE FROM `202_attribution_touchpoints` WHERE snapshot_id = :s"),
                         {"s": int(sid)})
    return state


def run_for_user(eng: Engine, user_id: int, start: int, end: int, now: int,
                 log: Callable[[str], None] = err) -> None:
    """AttributionJobRunner::runForUser (docs/prosper202.md §Rebuild runner); log takes the
    runner's log lines (stderr, as prosper_log's error_log writes them in a CLI run)."""
    if start >= end:
        raise ValueError("Start time must be earlier than end time for attribution job.")
    with eng.connect() as conn:
        models = _models(conn, user_id)
    if not models:
        return
    states = {m.model_id: _initialise(eng, m, hour(start), hour(end)) for m in models}
    last_id, processed = 0, False
    while True:
        with eng.connect() as conn:
            convs = conn.execute(text(
                "SELECT cl.conv_id, cl.click_id, cl.click_payout, cl.conv_time, cl.click_time, "
                "c.click_cpc FROM `202_conversion_logs` cl INNER JOIN `202_clicks` c "
                "ON c.click_id = cl.click_id WHERE cl.user_id = :u AND cl.conv_time BETWEEN :s "
                "AND :e AND cl.deleted = 0 AND cl.conv_id > :last ORDER BY cl.conv_id ASC "
                "LIMIT :n"),
                {"u": user_id, "s": start, "e": end, "last": last_id, "n": RUNNER_BATCH}).all()
            if not convs:
                break
            ids = sorted({int(r[0]) for r in convs})
            part, params = in_clause("c", ids)
            journeys: dict[int, list[Touch]] = defaultdict(list)
            for conv_id, click_id, click_time in conn.execute(text(
                    "SELECT conv_id, click_id, click_time FROM `202_conversion_touchpoints` "
                    f"WHERE conv_id IN ({part}) ORDER BY conv_id, position"), params):
                journeys[int(conv_id)].append(Touch(int(click_id), int(click_time)))
        processed = True
        for m in models:
            _process_batch(eng, m, states[m.model_id], convs, journeys, user_id, start, end, now)
        last_id = int(convs[-1][0])
    if not processed:
        return  # an empty window: touchpoints already deleted, totals stay stale, no audit
    _finalise(eng, models, states, user_id, start, end, now, log)


def _process_batch(eng: Engine, m: ModelRow, state: _ModelState, convs: Sequence[Row[Any]],
                   journeys: Mapping[int, list[Touch]], user_id: int, start: int, end: int,
                   now: int) -> None:
    """One strategy over one batch: per hour, in the order hours first appear, a placeholder
    snapshot when the hour has none, the totals, and the hour's credits in one transaction."""
    parts: dict[int, list[Contribution]] = {}
    rows: dict[int, list[dict[str, object]]] = {}
    for conv_id, click_id, payout, conv_time, click_time, cpc in (tuple(r) for r in convs):
        # The converting click's time is conversion_logs.click_time (docs/prosper202.md
        # §Rebuild runner), not 202_clicks'; a duplicated click row repeats the conversion.
        converting = Touch(int(click_id), int(click_time))
        journey = journey_for_credit(journeys.get(int(conv_id), []), converting)
        credits = assign_credits(m.type, m.config, journey, converting, int(conv_time))
        bucket = hour(int(conv_time))
        parts.setdefault(bucket, []).append(
            contribution(credits, Decimal(str(payout)), Decimal(str(cpc))))
        rows.setdefault(bucket, []).extend(
            {"conv_id": int(conv_id), "click_id": c.click_id, "position": c.position,
             "credit": c.credit, "created_at": now} for c in credits)
    hours = {bucket: _HourTotal(sum(p.clicks for p in ps), len(ps), *hour_totals(ps))
             for bucket, ps in parts.items()}
    for bucket, snap in hours.items():
        if bucket not in state.snapshot_ids:
            with eng.begin() as conn:
                res = conn.execute(text(
                    "INSERT INTO `202_attribution_snapshots` (model_id, user_id, scope_type, "
                    "scope_id, date_hour, lookback_start, lookback_end, attributed_clicks, "
                    "attributed_conversions, attributed_revenue, attributed_cost, created_at) "
                    "VALUES (:m, :u, 'global', NULL, :h, :s, :e, 0, 0, 0, 0, :now)"),
                    {"m": m.model_id, "u": user_id, "h": bucket, "s": start, "e": end,
                     "now": now})
                state.snapshot_ids[bucket] = int(res.lastrowid)
                state.created_at[bucket] = now
        total = state.totals.setdefault(bucket, _HourTotal())
        for acc in (total, state.metrics):
            acc.clicks += snap.clicks
            acc.conversions += snap.conversions
            acc.revenue += snap.revenue
            acc.cost += snap.cost
        if rows[bucket]:
            sid = state.snapshot_ids[bucket]
            with eng.begin() as conn:  # saveBatch: one transaction per hour
                conn.execute(text(
                    "INSERT INTO `202_attribution_touchpoints` (snapshot_id, conv_id, click_id, "
                    "position, credit, weight, created_at) VALUES (:sid, :conv_id, :click_id, "
                    ":position, :credit, :credit, :created_at)"),
                    [{**r, "sid": sid} for r in rows[bucket]])
    state.batches += 1


def _finalise(eng: Engine, models: list[ModelRow], states: dict[int, _ModelState],
              user_id: int, start: int, end: int, now: int, log: Callable[[str], None]) -> None:
    """Every kept snapshot's totals (zeros for a kept hour without conversions), then per model
    its audit row and its log line, after all models are finalised.

    Upstream's batch loop leaves `$state` a PHP reference to the last model's state, and the
    finalise loop assigns through it (`$state = $modelsState[$id]`): so the last model (the
    oldest) is finalised with the state of the model before it. Its snapshots are rewritten
    with that model's totals *and model_id* (taking them over), its own placeholders keep zero
    totals, and its audit row and log line repeat the other model's numbers
    (docs/prosper202.md §Rebuild runner, "The finalise reference bug").
    """
    ref = models[-1].model_id
    summaries: list[tuple[ModelRow, _ModelState]] = []
    for m in models:
        states[ref] = states[m.model_id]  # $state = $modelsState[...] through the reference
        state = states[ref]
        with eng.begin() as conn:
            for bucket, sid in state.snapshot_ids.items():
                t = state.totals.get(bucket, _HourTotal())
                conn.execute(text(
                    "UPDATE `202_attribution_snapshots` SET model_id = :m, user_id = :u, "
                    "scope_type = 'global', scope_id = NULL, date_hour = :h, lookback_start = :s, "
                    "lookback_end = :e, attributed_clicks = :c, attributed_conversions = :v, "
                    "attributed_revenue = :r, attributed_cost = :k, created_at = :created "
                    "WHERE snapshot_id = :sid LIMIT 1"),
                    {"m": m.model_id, "u": user_id, "h": bucket, "s": start, "e": end,
                     "c": t.clicks, "v": t.conversions, "r": store_money(t.revenue),
                     "k": store_money(t.cost),
                     "created": state.created_at.get(bucket, now), "sid": sid})
        summaries.append((m, state))
    for m, state in summaries:
        s = state.metrics
        meta = {"lookback_start": start, "lookback_end": end, "batches": state.batches,
                "hours_processed": len(state.totals), "clicks": s.clicks,
                "conversions": s.conversions, "revenue": s.revenue, "cost": s.cost}
        with eng.begin() as conn:
            conn.execute(text(
                "INSERT INTO `202_attribution_audit` (user_id, model_id, action, metadata, "
                "created_at) VALUES (:u, :m, 'snapshot_rebuild', :meta, :now)"),
                {"u": user_id, "m": m.model_id, "meta": json.dumps(meta, separators=(",", ":")),
                 "now": now})
        log(f"[Prosper202][attribution_job] model_id={m.model_id} user_id={user_id} "
            f"batches={state.batches} hours={len(state.totals)} clicks={s.clicks} "
            f"conversions={s.conversions} revenue={s.revenue:.4f} "
            f"cost={s.cost:.4f} window={start}-{end}")
