"""Plants in what the cron scripts leave behind: a rebuild that stopped, never ran or fails after
its heartbeat, and export jobs stuck, failed or waiting (docs/prosper202.md §Cron scripts)."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import text
from sqlalchemy.engine import Connection

from attribtui.prosper import tables as pt
from attribtui.prosper.hours import DAY, HOUR, hour
from attribtui.queries.cron import EXPORT_HEARTBEAT, GUARD_TYPE, REBUILD_HEARTBEAT
from attribtui.sandbox.defects.defect import PlantContext, Touched
from attribtui.sandbox.defects.plants.conversions import add_touch, next_click_id
from attribtui.sandbox.defects.timeline import SeedPlan, last_cron_run
from attribtui.sandbox.sql import inserted_id, quote


def cron_stopped(plan: SeedPlan) -> SeedPlan:
    """A tweak of the timeline: the last run was 30 hours ago, and the replay stops there."""
    return replace(plan, hb=last_cron_run(plan.now - 30 * HOUR))


def cron_never_ran(conn: Connection, ctx: PlantContext) -> None:
    # Snapshots may still exist: every gpx/upx conversion runs an unguarded rebuild
    # (docs/prosper202.md §Other callers of the runner).
    conn.execute(text(f"DELETE FROM {quote(conn, '202_cronjob_logs')} WHERE id = :id"),
                 {"id": REBUILD_HEARTBEAT})
    conn.execute(text(f"DELETE FROM {quote(conn, '202_cronjobs')} WHERE cronjob_type = :t"),
                 {"t": GUARD_TYPE})


def rebuild_failing(conn: Connection, ctx: PlantContext) -> Touched:
    """The last two hourly runs wrote the heartbeat but failed: no snapshot_rebuild rows since
    one hour before it. A conversion of user 1 in that hour is added if the data has none (with
    its one-touch journey), so the cross-check has something to miss."""
    hb = ctx.hb
    conv = conn.execute(text(
        "SELECT conv_id FROM `202_conversion_logs` WHERE user_id = 1 AND deleted = 0 "
        "AND conv_time > :a AND conv_time <= :b ORDER BY conv_id DESC LIMIT 1"),
        {"a": hb - HOUR, "b": hb}).scalar()
    if conv is None:
        click = conn.execute(text("SELECT * FROM `202_clicks` WHERE user_id = 1 "
                                  "ORDER BY click_id DESC LIMIT 1")).mappings().one()
        click_id = next_click_id(conn)
        at = hb - 1500
        conn.execute(pt.clicks.insert(), {**click, "click_id": click_id, "click_time": at - 60})
        row = dict(conn.execute(text("SELECT * FROM `202_conversion_logs` WHERE user_id = 1 "
                                     "ORDER BY conv_id DESC LIMIT 1")).mappings().one())
        row.pop("conv_id")
        row.update(click_id=click_id, click_time=at - 60, conv_time=at, deleted=0,
                   transaction_id=None, time_difference="00:01:00")
        conv_id = inserted_id(conn.execute(pt.conversion_logs.insert(), row))
        add_touch(conn, conv_id, 0, click_id, at - 60, at)
    else:
        conv_id = int(conv)
    conn.execute(text("DELETE FROM `202_attribution_audit` WHERE action = 'snapshot_rebuild' "
                      "AND created_at >= :t"), {"t": hb - HOUR})
    return {"user_ids": [1], "conv_ids": [conv_id]}


def _add_export(conn: Connection, status: str, queued: int, **extra: int | str) -> int:
    end_hour = hour(queued)
    return inserted_id(conn.execute(pt.attribution_exports.insert(), {
        "user_id": 1, "model_id": 2, "scope_type": "global", "scope_id": None,
        "start_hour": end_hour - DAY, "end_hour": end_hour, "requested_format": "csv",
        "status": status, "queued_at": queued, "created_at": queued,
        "updated_at": max([queued, *[v for v in extra.values() if isinstance(v, int)]]),
        **extra}))


def exports_stuck(conn: Connection, ctx: PlantContext) -> Touched:
    queued = ctx.now - 3 * HOUR - 600
    return {"export_ids": [_add_export(conn, "processing", queued, started_at=queued + 300)]}


def exports_failed(conn: Connection, ctx: PlantContext) -> Touched:
    queued = ctx.now - 5 * HOUR
    eid = _add_export(conn, "failed", queued, started_at=queued + 300,
                      failed_at=queued + 302, last_error=(
                          "Unable to write export file 202-exports/attribution/"
                          "export-failed.csv: Permission denied"))
    return {"export_ids": [eid]}


def exports_pending(conn: Connection, ctx: PlantContext) -> Touched:
    return {"export_ids": [_add_export(conn, "pending", ctx.now - 2 * HOUR)]}


def exports_pending_cron_down(conn: Connection, ctx: PlantContext) -> Touched:
    eid = _add_export(conn, "pending", ctx.now - 26 * HOUR)
    conn.execute(text("UPDATE `202_cronjob_logs` SET last_execution_time = :t WHERE id = :id "
                      "AND last_execution_time > :t"),
                 {"t": ctx.now - 30 * HOUR, "id": EXPORT_HEARTBEAT})
    return {"export_ids": [eid]}
