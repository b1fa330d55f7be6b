"""The reporting routes: a model's snapshots, and metrics and anomalies over a window of them.

An anomaly is the last displayed hour against the mean of the earlier ones, 25 % off a warning and
50 % critical (docs/prosper202.md §Snapshots, metrics, anomalies).
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.engine import Connection, Row

from attribtui.infra import clock
from attribtui.prosper import tables as pt
from attribtui.prosper.hours import DAY
from attribtui.prosper.settings import SCOPE_TYPES
from attribtui.prosper.validation import php_int
from attribtui.sandbox.emulator.http import BadRequest, Ids, Payload, Response, ok
from attribtui.sandbox.emulator.models import find_model

MSG_SCOPE = "Invalid scope value."
MSG_MODEL_ID = "A valid model_id parameter is required."
MIX_LABELS = {"first_touch": "First Touch", "last_touch": "Last Touch", "assist_touch": "Assist"}

s, tp = pt.attribution_snapshots, pt.attribution_touchpoints


class SnapshotItem(TypedDict):
    snapshot_id: int
    date_hour: int
    attributed_clicks: int
    attributed_conversions: int
    attributed_revenue: float
    attributed_cost: float


_Metric = Literal["attributed_conversions", "attributed_revenue"]
_ANOMALY_METRICS: tuple[tuple[str, _Metric], ...] = (("conversions", "attributed_conversions"),
                                                     ("revenue", "attributed_revenue"))


def _snapshot(r: Row[Any]) -> SnapshotItem:
    return {"snapshot_id": int(r.snapshot_id), "date_hour": int(r.date_hour),
            "attributed_clicks": int(r.attributed_clicks),
            "attributed_conversions": int(r.attributed_conversions),
            "attributed_revenue": round(float(r.attributed_revenue), 4),
            "attributed_cost": round(float(r.attributed_cost), 4)}


def _scope(p: Payload, message: str) -> int | None:
    """The scope_id asked for (None for none), after checking the scope type."""
    scope = p.get("scope") or "global"
    if scope not in SCOPE_TYPES:
        raise BadRequest(message)
    raw = p.get("scope_id")
    return php_int(raw) if raw not in (None, "") else None


def _scope_filter(scope_id: int | None) -> ColumnElement[bool]:
    return s.c.scope_id.is_(None) if scope_id is None else s.c.scope_id == scope_id


def _click_scope(scope: str, scope_id: int | None) -> list[ColumnElement[bool]]:
    column = {"campaign": pt.clicks.c.aff_campaign_id, "account": pt.clicks.c.ppc_account_id,
              "landing_page": pt.clicks.c.landing_page_id}.get(scope)
    return [column == scope_id] if column is not None and scope_id else []


def snapshots(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    row = find_model(conn, user_id, int(ids["id"]))
    scope_id = _scope(p, MSG_SCOPE)
    now = clock.now()
    start = php_int(p.get("start_hour", now)) if p.get("start_hour", "") != "" else now
    end = php_int(p.get("end_hour", now)) if p.get("end_hour", "") != "" else now
    limit = min(1000, max(1, php_int(p.get("limit", 500)) or 500))
    offset = max(0, php_int(p.get("offset", 0)))
    query = (select(s).where(s.c.model_id == row.model_id,
                             s.c.date_hour.between(start, end), _scope_filter(scope_id))
             .order_by(s.c.date_hour, s.c.snapshot_id).limit(limit).offset(offset))
    items = [_snapshot(r) for r in conn.execute(query)]
    return ok(items, pagination={"limit": limit, "offset": offset})


def _window(conn: Connection, user_id: int, p: Payload
            ) -> tuple[int, int | None, int, int, int]:
    """(model_id, scope_id, start, end, limit) of a metrics or anomalies request."""
    model_id = php_int(p.get("model_id", 0))
    if model_id <= 0:
        raise BadRequest(MSG_MODEL_ID)
    row = find_model(conn, user_id, model_id)
    scope_id = _scope(p, MSG_SCOPE)
    now = clock.now()
    start = php_int(p["start_hour"]) if p.get("start_hour", "") != "" else now - DAY
    end = php_int(p["end_hour"]) if p.get("end_hour", "") != "" else now
    limit = min(500, max(1, php_int(p.get("limit", 168)) or 168))
    return int(row.model_id), scope_id, start, end, limit


def metrics(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    model_id, scope_id, start, end, limit = _window(conn, user_id, p)
    where = and_(s.c.model_id == model_id, s.c.date_hour.between(start, end),
                 _scope_filter(scope_id))
    t = conn.execute(select(func.coalesce(func.sum(s.c.attributed_revenue), 0),
                            func.coalesce(func.sum(s.c.attributed_conversions), 0),
                            func.coalesce(func.sum(s.c.attributed_cost), 0)).where(where)).one()
    revenue, conversions, cost = float(t[0]), int(t[1]), float(t[2])
    clicks = conn.execute(select(func.count()).select_from(pt.clicks).where(
        pt.clicks.c.user_id == user_id, pt.clicks.c.click_time.between(start, end),
        *_click_scope(p.get("scope") or "global", scope_id))).scalar_one()
    shown = [_snapshot(r) for r in conn.execute(
        select(s).where(where).order_by(s.c.date_hour, s.c.snapshot_id).limit(limit))]
    totals = {"revenue": round(revenue, 4), "conversions": conversions, "clicks": int(clicks),
              "cost": round(cost, 4),
              "roi": round((revenue - cost) / cost * 100, 2) if cost > 0 else None}
    return ok({"totals": totals, "snapshots": shown,
               "touchpoint_mix": _mix(conn, [x["snapshot_id"] for x in shown]),
               "anomalies": _anomalies(shown)})


def anomalies(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    model_id, scope_id, start, end, limit = _window(conn, user_id, p)
    shown = [_snapshot(r) for r in conn.execute(
        select(s).where(s.c.model_id == model_id, s.c.date_hour.between(start, end),
                        _scope_filter(scope_id))
        .order_by(s.c.date_hour, s.c.snapshot_id).limit(limit))]
    return ok({"anomalies": _anomalies(shown)})


def _mix(conn: Connection, snapshot_ids: list[int]) -> list[dict[str, object]]:
    """Credit by position: first touch, last touch (the snapshot's highest position), assists."""
    credit = dict.fromkeys(MIX_LABELS, 0.0)
    count = dict.fromkeys(MIX_LABELS, 0)
    for i in range(0, len(snapshot_ids), 500):
        chunk = snapshot_ids[i:i + 500]
        top = {int(sid): pos for sid, pos in conn.execute(
            select(tp.c.snapshot_id, func.max(tp.c.position))
            .where(tp.c.snapshot_id.in_(chunk)).group_by(tp.c.snapshot_id))}
        for r in conn.execute(select(tp.c.snapshot_id, tp.c.position, tp.c.credit)
                              .where(tp.c.snapshot_id.in_(chunk))):
            key = ("first_touch" if r.position == 0 else
                   "last_touch" if r.position == top[r.snapshot_id] else "assist_touch")
            credit[key] += float(r.credit)
            count[key] += 1
    total = sum(credit.values())
    return [{"bucket": k, "label": label, "total_credit": round(credit[k], 5),
             "touch_count": count[k], "share": round(credit[k] / total * 100, 2) if total else 0.0}
            for k, label in MIX_LABELS.items()]


def _anomalies(shown: list[SnapshotItem]) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    if len(shown) < 2:
        return found
    for metric, key in _ANOMALY_METRICS:
        earlier = [x[key] for x in shown[:-1]]
        mean = sum(earlier) / len(earlier)
        if mean <= 0:
            continue
        delta = (shown[-1][key] - mean) / mean * 100
        if abs(delta) < 25:
            continue
        found.append({"metric": metric, "severity": "critical" if abs(delta) >= 50 else "warning",
                      "direction": "up" if delta > 0 else "down",
                      "delta_percent": round(delta, 2),
                      "message": f"Latest {metric} changed by {delta:.2f}% compared to the "
                                 "trailing average."})
    return found
