"""Plants in 202_clicks, whose click_id nothing keeps unique: a duplicated click row and a lost one.

Prosper202's rebuild reads conversions through `INNER JOIN 202_clicks ON click_id`
(docs/prosper202.md, "Rebuild runner"), so each plant also leaves the credits the last rebuild
would have written: twice for the duplicated click, none for the lost one. The conversion picked
is the only one on its click, so no other conversion's credits would have changed.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from attribtui.prosper import tables as pt
from attribtui.sandbox.defects.defect import PlantContext, Touched
from attribtui.sandbox.defects.plants.conversions import Picked, pick_conv

_CREDITED_ALONE = (
    "AND EXISTS (SELECT 1 FROM `202_attribution_touchpoints` a WHERE a.conv_id = l.conv_id) "
    "AND NOT EXISTS (SELECT 1 FROM `202_conversion_logs` o WHERE o.click_id = l.click_id "
    "AND o.conv_id <> l.conv_id)")


def _pick(conn: Connection, ctx: PlantContext) -> Picked:
    """A conversion credited by the last rebuild, alone on its click."""
    return pick_conv(conn, ctx, min_touches=1, before=ctx.hb - 600, where=_CREDITED_ALONE)


def _credit_rows(conn: Connection, conv_id: int) -> list[tuple[int, int]]:
    """(snapshot_id, credit rows) for each snapshot that credits the conversion."""
    return [(int(r[0]), int(r[1])) for r in conn.execute(text(
        "SELECT snapshot_id, COUNT(*) FROM `202_attribution_touchpoints` WHERE conv_id = :c "
        "GROUP BY snapshot_id ORDER BY snapshot_id"), {"c": conv_id})]


def _recount(conn: Connection, snapshots: list[tuple[int, int]], sign: int) -> None:
    """Add (or take) one conversion and its credited clicks to each snapshot's totals."""
    for snapshot_id, clicks in snapshots:
        conn.execute(text(
            "UPDATE `202_attribution_snapshots` SET attributed_conversions = "
            "attributed_conversions + :n, attributed_clicks = attributed_clicks + :k "
            "WHERE snapshot_id = :s"), {"n": sign, "k": sign * clicks, "s": snapshot_id})


def clicks_duplicate_row(conn: Connection, ctx: PlantContext) -> Touched:
    """A second 202_clicks row for one conversion's click: the rebuild credited it twice."""
    conv = _pick(conn, ctx)
    conn.execute(text(
        "INSERT INTO `202_clicks` SELECT * FROM `202_clicks` WHERE click_id = :k LIMIT 1"),
        {"k": conv.click_id})
    snapshots = _credit_rows(conn, conv.conv_id)
    tp = pt.attribution_touchpoints
    rows = conn.execute(tp.select().where(tp.c.conv_id == conv.conv_id)).mappings().all()
    conn.execute(tp.insert(), [{k: v for k, v in r.items() if k != "touchpoint_id"} for r in rows])
    _recount(conn, snapshots, +1)
    return {"conv_ids": [conv.conv_id], "click_ids": [conv.click_id],
            "snapshot_ids": [s for s, _ in snapshots]}


def clicks_row_missing(conn: Connection, ctx: PlantContext) -> Touched:
    """One conversion's click row is gone: the rebuild skipped the conversion (no credit)."""
    conv = _pick(conn, ctx)
    conn.execute(text("DELETE FROM `202_clicks` WHERE click_id = :k"), {"k": conv.click_id})
    snapshots = _credit_rows(conn, conv.conv_id)
    conn.execute(text("DELETE FROM `202_attribution_touchpoints` WHERE conv_id = :c"),
                 {"c": conv.conv_id})
    _recount(conn, snapshots, -1)
    return {"conv_ids": [conv.conv_id], "click_ids": [conv.click_id],
            "snapshot_ids": [s for s, _ in snapshots]}
