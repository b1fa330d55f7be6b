"""Plants that break stored journeys the ways the journey rule forbids (docs/prosper202.md
§Journeys): a position gap, the converting click missing, a click twice, a touch outside the
lookback, too many touches, and journeys lost altogether."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from attribtui.prosper import tables as pt
from attribtui.prosper.hours import HOUR
from attribtui.prosper.journey import LOOKBACK_SECONDS
from attribtui.sandbox.defects.defect import PlantContext, Touched
from attribtui.sandbox.defects.plants.conversions import (
    add_touch,
    journey,
    next_click_id,
    pick_conv,
    set_position,
)


def journey_position_gap(conn: Connection, ctx: PlantContext) -> Touched:
    conv_id = pick_conv(conn, ctx, min_touches=3).conv_id
    last = journey(conn, conv_id)[-1]
    set_position(conn, last.touchpoint_id, last.position + 1)  # 0..n-2, then n: n-1 is missing
    return {"conv_ids": [conv_id]}


def journey_converting_missing(conn: Connection, ctx: PlantContext) -> Touched:
    picked = pick_conv(conn, ctx, min_touches=3)
    conv_id, click_id = picked.conv_id, picked.click_id
    rows = journey(conn, conv_id)
    conn.execute(text("DELETE FROM `202_conversion_touchpoints` WHERE conv_id = :c AND click_id = :k"),
                 {"c": conv_id, "k": click_id})
    for pos, row in enumerate(r for r in rows if r.click_id != click_id):
        set_position(conn, row.touchpoint_id, pos)
    return {"conv_ids": [conv_id], "click_ids": [click_id]}


def journey_duplicate_click(conn: Connection, ctx: PlantContext) -> Touched:
    picked = pick_conv(conn, ctx, min_touches=3, max_touches=20)
    rows = journey(conn, picked.conv_id)
    dup = next(r for r in rows if r.click_id != picked.click_id)
    for row in reversed(rows):
        if row.position > dup.position:
            set_position(conn, row.touchpoint_id, row.position + 1)
    add_touch(conn, picked.conv_id, dup.position + 1, dup.click_id, dup.click_time,
              picked.conv_time)
    return {"conv_ids": [picked.conv_id], "click_ids": [dup.click_id]}


def journey_outside_lookback(conn: Connection, ctx: PlantContext) -> Touched:
    for _ in range(50):
        picked = pick_conv(conn, ctx, min_touches=2)
        first = journey(conn, picked.conv_id)[0]
        if first.click_id != picked.click_id:
            break
    old = picked.conv_time - LOOKBACK_SECONDS - HOUR
    conn.execute(text("UPDATE `202_conversion_touchpoints` SET click_time = :t "
                      "WHERE touchpoint_id = :id"), {"t": old, "id": first.touchpoint_id})
    return {"conv_ids": [picked.conv_id], "click_ids": [first.click_id]}


def journey_too_many_touches(conn: Connection, ctx: PlantContext) -> Touched:
    """27 touches: older clicks of the same campaign are added (as a bad backfill would)."""
    picked = pick_conv(conn, ctx, min_touches=2, max_touches=20)
    rows = journey(conn, picked.conv_id)
    click = conn.execute(text("SELECT * FROM `202_clicks` WHERE click_id = :k LIMIT 1"),
                         {"k": picked.click_id}).mappings().one()
    next_id = next_click_id(conn)
    extra = 27 - len(rows)
    for row in reversed(rows):
        set_position(conn, row.touchpoint_id, row.position + extra)
    new_ids = []
    for i in range(extra):
        at = rows[0].click_time - (extra - i) * 60
        conn.execute(pt.clicks.insert(), {**click, "click_id": next_id + i, "click_time": at})
        add_touch(conn, picked.conv_id, i, next_id + i, at, picked.conv_time)
        new_ids.append(next_id + i)
    return {"conv_ids": [picked.conv_id], "click_ids": new_ids}


def journeys_missing(conn: Connection, ctx: PlantContext) -> Touched:
    picked = [pick_conv(conn, ctx, min_touches=1).conv_id for _ in range(2)]
    for conv_id in picked:
        conn.execute(text("DELETE FROM `202_conversion_touchpoints` WHERE conv_id = :c"),
                     {"c": conv_id})
    return {"conv_ids": picked}
