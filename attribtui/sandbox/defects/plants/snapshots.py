"""Plants that make the rebuild's output disagree with itself: snapshot rows duplicated, missing
or miscounted, and credits that do not sum to one (docs/prosper202.md §Rebuild runner)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.engine import Connection

from attribtui.prosper import tables as pt
from attribtui.prosper.hours import HOUR, hour
from attribtui.sandbox.defects.defect import PlantContext, Touched
from attribtui.sandbox.defects.plants.conversions import WINDOW_S, pick_conv
from attribtui.sandbox.sql import inserted_id


def _credited(conn: Connection, ctx: PlantContext, model_id: int, min_rows: int
              ) -> tuple[int, int, list[tuple[int, Decimal]]]:
    """A conversion credited by model_id before the last rebuild: (conv_id, snapshot_id, rows of
    (touchpoint_id, credit))."""
    where = ("AND EXISTS (SELECT 1 FROM `202_attribution_touchpoints` a JOIN "
             "`202_attribution_snapshots` s ON s.snapshot_id = a.snapshot_id WHERE "
             f"a.conv_id = l.conv_id AND s.model_id = {int(model_id)} GROUP BY a.conv_id "
             f"HAVING COUNT(*) >= {int(min_rows)})")
    conv_id = pick_conv(conn, ctx, min_touches=1, before=ctx.hb - 600, where=where).conv_id
    rows = conn.execute(text(
        "SELECT a.touchpoint_id, a.credit, a.snapshot_id FROM `202_attribution_touchpoints` a "
        "JOIN `202_attribution_snapshots` s ON s.snapshot_id = a.snapshot_id "
        "WHERE a.conv_id = :c AND s.model_id = :m ORDER BY a.position"),
        {"c": conv_id, "m": model_id}).all()
    return conv_id, int(rows[0][2]), [(int(r[0]), Decimal(str(r[1]))) for r in rows]


def credits_not_one(conn: Connection, ctx: PlantContext) -> Touched:
    """Model 2 (time decay) credits of one conversion sum to exactly 1.25000."""
    conv_id, snapshot_id, rows = _credited(conn, ctx, 2, 2)
    first = Decimal("1.25") - sum((c for _, c in rows[1:]), Decimal(0))
    tp = pt.attribution_touchpoints
    conn.execute(tp.update().where(tp.c.touchpoint_id == rows[0][0]).values(credit=first,
                                                                            weight=first))
    return {"conv_ids": [conv_id], "model_ids": [2], "snapshot_ids": [snapshot_id]}


def credits_not_credited(conn: Connection, ctx: PlantContext) -> Touched:
    """Model 1 (last touch) lost one conversion's credit rows: an hour reset but not refilled."""
    conv_id, snapshot_id, rows = _credited(conn, ctx, 1, 1)
    for touchpoint_id, _ in rows:
        conn.execute(text("DELETE FROM `202_attribution_touchpoints` WHERE touchpoint_id = :t"),
                     {"t": touchpoint_id})
    return {"conv_ids": [conv_id], "model_ids": [1], "snapshot_ids": [snapshot_id]}


def _snapshot_hour(conn: Connection, ctx: PlantContext, model_id: int, hours_before_hb: int
                   ) -> tuple[int, int]:
    """(snapshot_id, date_hour) of the model's newest snapshot with conversions inside the window
    and at least hours_before_hb whole hours before the heartbeat's hour."""
    row = conn.execute(text(
        "SELECT snapshot_id, date_hour FROM `202_attribution_snapshots` WHERE model_id = :m "
        "AND attributed_conversions > 0 AND date_hour BETWEEN :a AND :b "
        "ORDER BY date_hour DESC LIMIT 1"),
        {"m": model_id, "a": ctx.now - WINDOW_S + 2 * HOUR,
         "b": hour(ctx.hb) - hours_before_hb * HOUR}).one()
    return int(row[0]), int(row[1])


def snapshots_missing(conn: Connection, ctx: PlantContext) -> Touched:
    snapshot_id, date_hour = _snapshot_hour(conn, ctx, 2, 1)
    conn.execute(text("DELETE FROM `202_attribution_touchpoints` WHERE snapshot_id = :s"),
                 {"s": snapshot_id})
    conn.execute(text("DELETE FROM `202_attribution_snapshots` WHERE snapshot_id = :s"),
                 {"s": snapshot_id})
    return {"model_ids": [2], "snapshot_ids": [snapshot_id], "date_hours": [date_hour]}


def snapshots_duplicate(conn: Connection, ctx: PlantContext) -> Touched:
    """A second, zero placeholder row for one hour (a pixel rebuild racing the cron)."""
    snapshot_id, date_hour = _snapshot_hour(conn, ctx, 3, 2)
    row = dict(conn.execute(text("SELECT * FROM `202_attribution_snapshots` WHERE snapshot_id = :s"),
                            {"s": snapshot_id}).mappings().one())
    row.pop("snapshot_id")
    row.update(attributed_clicks=0, attributed_conversions=0, attributed_revenue=0,
               attributed_cost=0, created_at=int(row["created_at"]) + 5)
    new_id = inserted_id(conn.execute(pt.attribution_snapshots.insert(), row))
    return {"model_ids": [3], "snapshot_ids": [snapshot_id, new_id], "date_hours": [date_hour]}


def snapshots_disagree(conn: Connection, ctx: PlantContext) -> Touched:
    snapshot_id, date_hour = _snapshot_hour(conn, ctx, 1, 3)
    conn.execute(text("UPDATE `202_attribution_snapshots` SET attributed_conversions = "
                      "attributed_conversions + 1 WHERE snapshot_id = :s"), {"s": snapshot_id})
    return {"model_ids": [1], "snapshot_ids": [snapshot_id], "date_hours": [date_hour]}
