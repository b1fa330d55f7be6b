"""The reporting routes: a model's snapshots, and metrics and anomalies over a window of them.

An anomaly is the last displayed hour against the mean of the earlier ones, 25 % off a warning and
50 % critical (docs/prosper202.md §Snapshots, metrics, anomalies).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, TypedDict

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.engine import Connection, Row

from attribtui.infra import clock
from attribtui.prosper import tables as pt
from attribtui.prosper.hours import DAY
from attribtui.prosper.php import php_int, php_is_numeric, php_string
from attribtui.prosper.settings import SCOPE_TYPES
from attribtui.sandbox.emulator.http import BadRequest, Ids, Payload, Response, ok
from attribtui.sandbox.emulator.models import MSG_SCOPE, find_model

MSG_MODEL_ID = "A valid model_id parameter is required."
MIX_LABELS = {"first_touch": "First Touch", "assist_touch": "Assist", "last_touch": "Last Touch"}

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
            "attributed_revenue": float(r.attributed_revenue),
            "attributed_cost": float(r.attributed_cost)}


def _scope(p: Payload) -> tuple[str, int | None]:
    """The scope (checked, case-sensitive) and its id: only a numeric scope_id counts."""
    scope = php_string(p["scope"]) if "scope" in p else "global"
    if scope not in SCOPE_TYPES:
        raise BadRequest(MSG_SCOPE)
    raw = p.get("scope_id")
    return scope, (php_int(raw) if php_is_numeric(raw) else None)


def _range(model_id: int, scope: str, scope_id: int | None, start: int, end: int
           ) -> Select[Any]:
    """findForRange: this scope type, and this scope_id or none, ordered by hour."""
    id_filter = s.c.scope_id.is_(None) if scope_id is None else s.c.scope_id == scope_id
    return (select(s).where(s.c.model_id == model_id, s.c.scope_type == scope,
                            s.c.date_hour.between(start, end), id_filter)
            .order_by(s.c.date_hour, s.c.snapshot_id))


def _click_scope(scope: str, scope_id: int | None) -> list[ColumnElement[bool]]:
    column = {"campaign": pt.clicks.c.aff_campaign_id, "account": pt.clicks.c.ppc_account_id,
              "landing_page": pt.clicks.c.landing_page_id}.get(scope)
    return [column == scope_id] if column is not None and scope_id is not None else []


def snapshots(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    scope, scope_id = _scope(p)
    now = clock.now()
    start = php_int(p["start_hour"]) if "start_hour" in p else now
    end = php_int(p["end_hour"]) if "end_hour" in p else now
    limit = max(1, min(1000, php_int(p["limit"]))) if "limit" in p else 500
    offset = max(0, php_int(p["offset"])) if "offset" in p else 0
    row = find_model(conn, user_id, php_int(ids["id"]))
    items = [_snapshot(r) for r in conn.execute(
        _range(row.model_id, scope, scope_id, start, end).limit(limit).offset(offset))]
    return ok(items, pagination={"limit": limit, "offset": offset})


def _window(conn: Connection, user_id: int, p: Payload
            ) -> tuple[int, str, int | None, int, int, int]:
    """(model_id, scope, scope_id, start, end, limit) of a metrics or anomalies request."""
    model_id = php_int(p["model_id"]) if "model_id" in p else 0
    if model_id <= 0:
        raise BadRequest(MSG_MODEL_ID)
    scope, scope_id = _scope(p)
    now = clock.now()
    start = php_int(p["start_hour"]) if "start_hour" in p else now - DAY
    end = php_int(p["end_hour"]) if "end_hour" in p else now
    limit = max(1, min(500, php_int(p["limit"]))) if "limit" in p else 168
    row = find_model(conn, user_id, model_id)
    return row.model_id, scope, scope_id, start, end, limit


def _overview(conn: Connection, user_id: int, p: Payload) -> dict[str, object]:
    """getAnalyticsOverview: totals over the whole range (unrounded floats), the first `limit`
    hours, their credit mix and the anomalies among them."""
    model_id, scope, scope_id, start, end, limit = _window(conn, user_id, p)
    revenue = conversions = clicks = cost = 0.0
    for r in conn.execute(_range(model_id, scope, scope_id, start, end)):
        revenue += float(r.attributed_revenue)
        conversions += float(r.attributed_conversions)
        clicks += float(r.attributed_clicks)
        cost += float(r.attributed_cost)
    shown = [_snapshot(r) for r in conn.execute(
        _range(model_id, scope, scope_id, start, end).limit(limit))]
    # app.php overwrites totals.clicks with a raw click count of the window.
    clicks = float(conn.execute(select(func.count()).select_from(pt.clicks).where(
        pt.clicks.c.user_id == user_id, pt.clicks.c.click_time.between(start, end),
        *_click_scope(scope, scope_id))).scalar_one())
    totals = {"revenue": revenue, "conversions": conversions, "clicks": clicks, "cost": cost,
              "roi": (revenue - cost) / cost * 100.0 if cost > 0 else None}
    return {"totals": totals, "snapshots": shown,
            "touchpoint_mix": _mix(conn, [x["snapshot_id"] for x in shown]),
            "anomalies": _anomalies(shown)}


def metrics(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    return ok(_overview(conn, user_id, p))


def anomalies(conn: Connection, user_id: int, p: Payload, ids: Ids) -> Response:
    return ok({"anomalies": _overview(conn, user_id, p)["anomalies"]})


def _mix(conn: Connection, snapshot_ids: list[int]) -> list[dict[str, object]]:
    """Credit by position over the shown snapshots: position 0 first, the snapshot's highest
    position last, the rest assists; [] when no snapshot is shown."""
    if not snapshot_ids:
        return []
    credit = dict.fromkeys(MIX_LABELS, 0.0)
    count = dict.fromkeys(MIX_LABELS, 0)
    for sid in snapshot_ids:
        rows = conn.execute(select(tp.c.position, tp.c.credit).where(tp.c.snapshot_id == sid)
                            .order_by(tp.c.touchpoint_id)).all()
        if not rows:
            continue
        top = max(int(r.position) for r in rows)
        for r in rows:
            key = ("first_touch" if r.position == 0 else
                   "last_touch" if r.position == top else "assist_touch")
            credit[key] += float(r.credit)
            count[key] += 1
    total = 0.0
    for key in MIX_LABELS:
        total += credit[key]
    return [{"bucket": k, "label": label, "total_credit": credit[k], "touch_count": count[k],
             "share": credit[k] / total * 100.0 if total > 0 else 0.0}
            for k, label in MIX_LABELS.items()]


def php_round(value: float, places: int) -> float:
    """PHP's round(): half away from zero, on the decimal the float prints as."""
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def _anomalies(shown: list[SnapshotItem]) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    if len(shown) < 2:
        return found
    for metric, key in _ANOMALY_METRICS:
        earlier = [float(x[key]) for x in shown[:-1]]
        mean = sum(earlier) / len(earlier)
        if mean <= 0:
            continue
        delta = (float(shown[-1][key]) - mean) / mean
        if abs(delta) < 0.25:
            continue
        percent = php_round(delta * 100.0, 2)
        found.append({"metric": metric, "severity": "critical" if abs(delta) >= 0.5 else "warning",
                      "direction": "up" if delta >= 0 else "down", "delta_percent": percent,
                      "message": f"Latest {metric} changed by {abs(percent):,.2f}% compared to "
                                 "the trailing average."})
    return found
