"""AttributionJobRunner::runForUser, the rebuild's work for one user, on the sandbox database.

Step by step as docs/prosper202.md §Rebuild runner describes it: load the active models (one bad
row fails the user), reset every hour of the window, read conversions in batches of 5000 through
the clicks JOIN, credit them with the shared strategies (prosper/credit.py), write one transaction
per hour, then finalise the totals and write one snapshot_rebuild audit row and log line per model.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from attribtui.infra.db import connection_reader, in_clause
from attribtui.prosper.credit import (
    RUNNER_BATCH,
    assign_credits,
    contribution,
    money,
    round_credit,
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
    """One snapshot hour's totals."""

    clicks: int = 0
    conversions: int = 0
    revenue: Decimal = field(default_factory=lambda: Decimal(0))
    cost: Decimal = field(default_factory=lambda: Decimal(0))


@dataclass
class _ModelTally:
    """What one model's run touched, for its audit row and log line."""

    hours: set[int] = field(default_factory=set)
    clicks: int = 0
    conversions: int = 0
    revenue: Decimal = field(default_factory=lambda: Decimal(0))
    cost: Decimal = field(default_factory=lambda: Decimal(0))


def _models(conn: Connection, user_id: int) -> list[ModelRow]:
    rows = user_models(connection_reader(conn), user_id, SNAPSHOT_LIMIT, active_only=True,
                       newest_first=False)
    for row in rows:
        if row.problem:
            raise ModelRowError(row.problem)
    return rows


def _reset_hours(eng: Engine, models: list[ModelRow], h0: int, h1: int) -> dict[int, dict[int, int]]:
    """Delete the credits of every global snapshot of the window's hours; model_id -> {hour:
    snapshot_id} of the snapshots that stay (their totals are rewritten at the end)."""
    known: dict[int, dict[int, int]] = {}
    with eng.begin() as conn:
        for m in models:
            rows = conn.execute(text(
                "SELECT snapshot_id, date_hour FROM `202_attribution_snapshots` WHERE model_id = :m "
                "AND scope_type = 'global' AND scope_id IS NULL AND date_hour BETWEEN :a AND :b "
                "ORDER BY snapshot_id LIMIT :n"),
                {"m": m.model_id, "a": h0, "b": h1, "n": SNAPSHOT_LIMIT}).all()
            known[m.model_id] = {int(h): int(sid) for sid, h in rows}
            ids = [sid for sid, _ in rows]
            for i in range(0, len(ids), 1000):
                part, params = in_clause("s", ids[i:i + 1000])
                conn.execute(text(
                    f"DELETE FROM `202_attribution_touchpoints` WHERE snapshot_id IN ({part})"),
                    params)
    return known


def run_for_user(eng: Engine, user_id: int, start: int, end: int, now: int) -> None:
    """AttributionJobRunner::runForUser (docs/prosper202.md §Rebuild runner)."""
    if start >= end:
        raise ValueError("Start time must be earlier than end time for attribution job.")
    with eng.connect() as conn:
        models = _models(conn, user_id)
    if not models:
        return
    known = _reset_hours(eng, models, hour(start), hour(end))
    totals: dict[int, dict[int, _HourTotal]] = {m.model_id: {} for m in models}
    tallies = {m.model_id: _ModelTally() for m in models}
    batches, last_id = 0, 0
    while True:
        with eng.connect() as conn:
            convs = conn.execute(text(
                "SELECT cl.conv_id, cl.click_id, cl.click_payout, cl.conv_time, c.click_time, "
                "c.click_cpc FROM `202_conversion_logs` cl INNER JOIN `202_clicks` c "
                "ON c.click_id = cl.click_id WHERE cl.user_id = :u AND cl.conv_time BETWEEN :s "
                "AND :e AND cl.deleted = 0 AND cl.conv_id > :last ORDER BY cl.conv_id LIMIT :n"),
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
        batches += 1
        last_id = int(convs[-1][0])
        for m in models:
            mid = m.model_id
            per_hour: dict[int, list[dict[str, object]]] = defaultdict(list)
            for conv_id, click_id, payout, conv_time, click_time, cpc in convs:
                converting = Touch(int(click_id), int(click_time))
                journey = journey_for_credit(journeys.get(int(conv_id), []), converting)
                credits = assign_credits(m.type, m.config, journey, converting, int(conv_time))
                part_ = contribution(credits, Decimal(payout), Decimal(cpc))
                conv_hour = hour(int(conv_time))
                t = totals[mid].setdefault(conv_hour, _HourTotal())
                t.clicks += part_.clicks
                t.conversions += 1
                t.revenue += part_.revenue
                t.cost += part_.cost
                s = tallies[mid]
                s.hours.add(conv_hour)
                s.clicks += part_.clicks
                s.conversions += 1
                s.revenue += part_.revenue
                s.cost += part_.cost
                per_hour[conv_hour].extend(
                    {"conv_id": int(conv_id), "click_id": c.click_id, "position": c.position,
                     "credit": str(round_credit(c.credit)), "created_at": now} for c in credits)
            for conv_hour, credit_rows in sorted(per_hour.items()):
                with eng.begin() as conn:  # one transaction per hour
                    if conv_hour not in known[mid]:
                        res = conn.execute(text(
                            "INSERT INTO `202_attribution_snapshots` (model_id, user_id, scope_type,"
                            " scope_id, date_hour, lookback_start, lookback_end, attributed_clicks,"
                            " attributed_conversions, attributed_revenue, attributed_cost, "
                            "created_at) VALUES (:m, :u, 'global', NULL, :h, :s, :e, 0, 0, 0, 0, "
                            ":now)"), {"m": mid, "u": user_id, "h": conv_hour, "s": start,
                                       "e": end, "now": now})
                        known[mid][conv_hour] = int(res.lastrowid)
                    sid = known[mid][conv_hour]
                    conn.execute(text(
                        "INSERT INTO `202_attribution_touchpoints` (snapshot_id, conv_id, click_id,"
                        " position, credit, weight, created_at) VALUES (:sid, :conv_id, :click_id,"
                        " :position, :credit, :credit, :created_at)"),
                        [{**r, "sid": sid} for r in credit_rows])
        if len(convs) < RUNNER_BATCH:
            break
    if batches == 0:
        return  # an empty window: touchpoints already deleted, totals stay stale, no audit
    _finalise(eng, models, user_id, start, end, now, batches, known, totals, tallies)


def _finalise(eng: Engine, models: list[ModelRow], user_id: int, start: int, end: int, now: int,
              batches: int, known: dict[int, dict[int, int]],
              totals: dict[int, dict[int, _HourTotal]], tallies: dict[int, _ModelTally]) -> None:
    """Every kept snapshot's totals, then per model its audit row and its log line."""
    with eng.begin() as conn:
        for m in models:
            mid = m.model_id
            for snapshot_hour, sid in known[mid].items():
                t = totals[mid].get(snapshot_hour, _HourTotal())
                conn.execute(text(
                    "UPDATE `202_attribution_snapshots` SET attributed_clicks = :c, "
                    "attributed_conversions = :v, attributed_revenue = :r, attributed_cost = :k, "
                    "lookback_start = :s, lookback_end = :e WHERE snapshot_id = :sid"),
                    {"c": t.clicks, "v": t.conversions, "r": str(money(t.revenue)),
                     "k": str(money(t.cost)), "s": start, "e": end, "sid": sid})
            s = tallies[mid]
            meta = {"lookback_start": start, "lookback_end": end, "batches": batches,
                    "hours_processed": len(s.hours), "clicks": s.clicks,
                    "conversions": s.conversions, "revenue": float(money(s.revenue)),
                    "cost": float(money(s.cost))}
            conn.execute(text(
                "INSERT INTO `202_attribution_audit` (user_id, model_id, action, metadata, "
                "created_at) VALUES (:u, :m, 'snapshot_rebuild', :meta, :now)"),
                {"u": user_id, "m": mid, "meta": json.dumps(meta), "now": now})
            err(f"[Prosper202][attribution_job] model_id={mid} user_id={user_id} "
                f"batches={batches} hours={len(s.hours)} clicks={s.clicks} "
                f"conversions={s.conversions} revenue={s.revenue:.4f} "
                f"cost={s.cost:.4f} window={start}-{end}")
