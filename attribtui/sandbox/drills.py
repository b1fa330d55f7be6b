"""Drills: scripted incidents the demo can stage (`attribtui demo --incident NAME`).

A drill is planted on a clean seed (no other defect, so every finding is the incident's), tells
the on-call engineer what the pager said, and plants the faults (cron/faults.py) that make the
stand-in jobs fail once the way real scripts fail, so the guided rollback is rehearsed with its
detours: a conversion that fails, a server that goes away, the guard skip that follows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from attribtui.prosper import tables as pt
from attribtui.prosper.hours import DAY
from attribtui.sandbox.cron.runner import run_for_user
from attribtui.sandbox.defects import PlantContext, Touched
from attribtui.sandbox.defects.plants.conversions import add_touch, journey, set_position
from attribtui.sandbox.sql import inserted_id
from attribtui.vocab import JsonDict

MINUTE = 60


@dataclass(frozen=True)
class Drill:
    name: str
    title: str
    briefing: str  # what the pager said; shown when the drill opens
    plant: Callable[[Engine, PlantContext], Touched]
    faults: Callable[[Touched], list[JsonDict]]


# -- bad-default: a test model made default an hour ago, and the journeys written since ---------

BAD_MODEL = {"name": "Time Decay 1h (test)", "slug": "time-decay-1h-test", "type": "time_decay",
             "config": '{"half_life_hours": 1}'}
USER = 1


def _bad_default(engine: Engine, ctx: PlantContext) -> Touched:
    """A model is created and made default 65 min before `now` (demoting the seeded default); every journey
    user 1 wrote since stores its first click twice; then the :15 cron ran (ctx.hb, always after
    the incident) and credited those journeys for every model of user 1, the new one included."""
    t0 = ctx.now - 65 * MINUTE
    with engine.begin() as conn:
        touched = _pollute(conn, t0)
    # The runner's log lines are the cron's, not the seed's (and the console may be painting).
    run_for_user(engine, USER, ctx.hb - DAY, ctx.hb, ctx.hb, log=lambda _line: None)
    return touched


def _pollute(conn: Connection, t0: int) -> Touched:
    model_id = inserted_id(conn.execute(pt.attribution_models.insert(), {
        "user_id": USER, "model_name": BAD_MODEL["name"],
        "model_slug": BAD_MODEL["slug"], "model_type": BAD_MODEL["type"],
        "weighting_config": BAD_MODEL["config"], "is_active": 1, "is_default": 1,
        "created_at": t0 - 10 * MINUTE, "updated_at": t0}))
    # As the v2 promotion does it: every other model of the user loses the flag, updated_at kept.
    conn.execute(text("UPDATE `202_attribution_models` SET is_default = 0 WHERE user_id = :u "
                      "AND model_id <> :m"), {"u": USER, "m": model_id})
    meta = {"name": BAD_MODEL["name"], "slug": BAD_MODEL["slug"], "type": BAD_MODEL["type"]}
    conn.execute(pt.attribution_audit.insert(), [
        {"user_id": USER, "model_id": model_id, "action": "model_create",
         "metadata": json.dumps(meta), "created_at": t0 - 10 * MINUTE},
        {"user_id": USER, "model_id": model_id, "action": "model_update",
         "metadata": json.dumps({**meta, "is_active": True, "is_default": True}), "created_at": t0}])
    polluted = [int(c) for (c,) in conn.execute(text(
        "SELECT DISTINCT l.conv_id FROM `202_conversion_logs` l JOIN "
        "`202_conversion_touchpoints` t ON t.conv_id = l.conv_id WHERE l.user_id = :u AND "
        "l.deleted = 0 AND l.conv_time >= :t0 ORDER BY l.conv_id"), {"u": USER, "t0": t0})]
    if not polluted:
        raise RuntimeError("no journey of user 1 since the incident; seed more conversions")
    for conv_id in polluted:
        rows = journey(conn, conv_id)
        first = rows[0]
        for row in reversed(rows):
            set_position(conn, row.touchpoint_id, row.position + 1)
        add_touch(conn, conv_id, 0, first.click_id, first.click_time, t0)
    return {"conv_ids": polluted, "model_ids": [model_id], "user_ids": [USER],
            "since": [t0]}


def _bad_default_faults(touched: Touched) -> list[JsonDict]:
    """The backfill fails its newest conversion once; the rebuild loses the server once, after
    its guard row (3 statements) and two of the user's."""
    return [{"kind": "conversion_fails", "script": "backfill", "conv_id": touched["conv_ids"][-1]},
            {"kind": "db_gone", "script": "rebuild", "after": 5}]


DRILLS: dict[str, Drill] = {d.name: d for d in [
    Drill("bad-default", "A bad model was made default an hour ago and polluted journeys",
          "PAGE — attribution reports for user 1 changed about an hour ago. Someone made a test "
          "model the default, and the journeys written since look wrong. Find what happened "
          "(Health: the journeys and the models' audit trail), stop it, repair the data and "
          "verify (Rollback). The jobs may fail on the way, as real ones do. The snapshot "
          "findings were there before the page: upstream's rebuild leaves them with several "
          "active models, and verify compares with them.",
          _bad_default, _bad_default_faults),
]}
