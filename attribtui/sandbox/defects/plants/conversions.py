"""Choosing the conversion a plant breaks, and reading and editing its stored journey.

Conversions are picked among the newest in the checks' default window (the checks sample the
newest ones), each plant taking a conversion no other plant took (``PlantContext.planted_convs``),
so that in the demo every defect stays visible on its own conversion.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import text
from sqlalchemy.engine import Connection

from attribtui.prosper import tables as pt
from attribtui.prosper.hours import HOUR
from attribtui.sandbox.defects.defect import PlantContext

WINDOW_S = 48 * HOUR  # the checks' default window


class Picked(NamedTuple):
    conv_id: int
    user_id: int
    click_id: int
    conv_time: int
    touches: int


class TouchpointRow(NamedTuple):
    """One row of 202_conversion_touchpoints."""

    touchpoint_id: int
    position: int
    click_id: int
    click_time: int


def pick_conv(conn: Connection, ctx: PlantContext, *, min_touches: int = 2, max_touches: int = 99,
              before: int | None = None, where: str = "") -> Picked:
    """The newest live conversion of the window with a journey of min..max touches, not taken by
    another plant (and now taken by this one)."""
    end = ctx.now if before is None else before
    rows = conn.execute(text(
        "SELECT l.conv_id, l.user_id, l.click_id, l.conv_time, COUNT(t.touchpoint_id) "
        "FROM `202_conversion_logs` l JOIN `202_conversion_touchpoints` t ON t.conv_id = l.conv_id "
        f"WHERE l.deleted = 0 AND l.conv_time BETWEEN :a AND :b {where} "
        "GROUP BY l.conv_id, l.user_id, l.click_id, l.conv_time "
        "HAVING COUNT(t.touchpoint_id) BETWEEN :lo AND :hi ORDER BY l.conv_id DESC LIMIT 200"
    ), {"a": ctx.now - WINDOW_S + 2 * HOUR, "b": end, "lo": min_touches, "hi": max_touches}).all()
    for r in rows:
        if int(r[0]) not in ctx.planted_convs:
            ctx.planted_convs.add(int(r[0]))
            return Picked(int(r[0]), int(r[1]), int(r[2]), int(r[3]), int(r[4]))
    raise RuntimeError("no conversion in the window fits this defect; seed more conversions")


def journey(conn: Connection, conv_id: int) -> list[TouchpointRow]:
    """The conversion's stored journey, by position."""
    return [TouchpointRow(int(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in conn.execute(text(
        "SELECT touchpoint_id, position, click_id, click_time FROM `202_conversion_touchpoints` "
        "WHERE conv_id = :c ORDER BY position"), {"c": conv_id})]


def set_position(conn: Connection, touchpoint_id: int, position: int) -> None:
    conn.execute(text("UPDATE `202_conversion_touchpoints` SET position = :p "
                      "WHERE touchpoint_id = :t"), {"p": position, "t": touchpoint_id})


def add_touch(conn: Connection, conv_id: int, position: int, click_id: int, click_time: int,
              created_at: int) -> None:
    conn.execute(pt.conversion_touchpoints.insert(), {
        "conv_id": conv_id, "click_id": click_id, "click_time": click_time,
        "position": position, "created_at": created_at})


def next_click_id(conn: Connection) -> int:
    """The click id after the newest one (for clicks a plant adds)."""
    return int(conn.execute(text("SELECT MAX(click_id) FROM `202_clicks`")).scalar_one()) + 1
