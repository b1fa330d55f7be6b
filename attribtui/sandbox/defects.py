"""The planted-defect registry: what the sandbox can break on purpose, and what must notice it.

One source of truth for the seeder (``seed(defects=...)``), the functional tests (each defect must
produce its findings) and the README's defect table. A defect changes the seeded database after
the data is written (``plant``) and/or the simulated story before it is written (``tweak``, e.g. a
cron that stopped, so that snapshots, audit rows and heartbeat all agree).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.engine import Connection

from attribtui.prosper import tables as pt
from attribtui.prosper.journey import LOOKBACK_SECONDS
from attribtui.prosper.validation import MSG_CONFIG_REQUIRED
from attribtui.sandbox.schema import sqlite_index_name

HOUR = 3600
CRON_MINUTE_OFFSET = 900  # the documented schedule: 15 minutes past each hour


def last_cron_run(t: int) -> int:
    """The most recent :15 at or before t (the attribution cron's heartbeat if it runs hourly)."""
    return t - (t - CRON_MINUTE_OFFSET) % HOUR


@dataclass(frozen=True)
class SeedPlan:
    """The simulated timeline: ``hb`` is the last attribution cron run (202_cronjob_logs id 2)."""

    now: int
    hb: int


@dataclass(frozen=True)
class PlantContext:
    """What a plant function may need to know about the freshly seeded database."""

    dialect: str
    now: int
    hb: int
    ids: Mapping[str, Any]


@dataclass(frozen=True)
class Finding:
    """A check result the defect must cause; ``match`` appears in that check's evidence rows."""

    check_id: str
    status: str
    match: str


@dataclass(frozen=True)
class Defect:
    id: str
    title: str
    where: Literal["demo", "isolated"]
    findings: tuple[Finding, ...]
    affected: Mapping[str, object]
    # A plant may return the ids it touched (seed() keeps them in the marker's "affected").
    plant: Callable[[Connection, PlantContext], Mapping[str, Any] | None] | None = None
    tweak: Callable[[SeedPlan], SeedPlan] | None = None
    # Isolated defects may rely on MariaDB-only DDL; the demo ones must also plant on SQLite.
    sqlite: bool = True


# -- DDL helpers that hide the dialect differences -------------------------------------------------


def _q(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _drop_index(conn: Connection, table: str, index: str) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(text(f"DROP INDEX {_q(conn, sqlite_index_name(table, index))}"))
    else:
        conn.execute(text(f"ALTER TABLE {_q(conn, table)} DROP INDEX {_q(conn, index)}"))


def _drop_column(conn: Connection, table: str, column: str) -> None:
    conn.execute(text(f"ALTER TABLE {_q(conn, table)} DROP COLUMN {_q(conn, column)}"))


def _mariadb_only(conn: Connection, defect_id: str) -> None:
    if conn.dialect.name == "sqlite":
        raise NotImplementedError(f"defect {defect_id} needs MariaDB DDL; plant it on MariaDB")


# -- plant functions -------------------------------------------------------------------------------


def _cron_stopped(plan: SeedPlan) -> SeedPlan:
    return replace(plan, hb=last_cron_run(plan.now - 30 * HOUR))


def _clicks_runbook_era_index(conn: Connection, ctx: PlantContext) -> None:
    _drop_index(conn, "202_clicks", "user_click_time")


def _conversion_logs_runbook_era(conn: Connection, ctx: PlantContext) -> None:
    _mariadb_only(conn, "conversion_logs_runbook_era")
    conn.execute(text(
        "ALTER TABLE `202_conversion_logs` MODIFY `ip` varchar(15) NOT NULL DEFAULT '', "
        "DROP INDEX `uniq_click_transaction`, ADD KEY `click_id` (`click_id`)"
    ))


def _settings_pre_1958(conn: Connection, ctx: PlantContext) -> None:
    table = "202_attribution_settings"
    _drop_index(conn, table, "user_scope_model")
    _drop_index(conn, table, "user_scope_multi_touch")
    for column in ("multi_touch_enabled", "multi_touch_enabled_at", "multi_touch_disabled_at"):
        _drop_column(conn, table, column)


def _campaigns_no_model_column(conn: Connection, ctx: PlantContext) -> None:
    _drop_index(conn, "202_aff_campaigns", "idx_attribution_model")
    _drop_column(conn, "202_aff_campaigns", "attribution_model_id")


def _api_keys_no_scope(conn: Connection, ctx: PlantContext) -> None:
    _drop_column(conn, "202_api_keys", "scope")


def _divergent_models_table(conn: Connection, ctx: PlantContext) -> None:
    """The optional migration's table: a UNIQUE(user_id, is_default) admits one non-default model
    per user, so the extra ones go first, the way a v2 DELETE removes them (with their snapshots,
    credits and settings; audit rows stay)."""
    _mariadb_only(conn, "divergent_models_table")
    rows = conn.execute(text(
        "SELECT model_id, user_id FROM `202_attribution_models` WHERE is_default = 0 "
        "ORDER BY user_id, model_id"
    )).all()
    kept: set[int] = set()
    extra = []
    for model_id, user_id in rows:
        if user_id in kept:
            extra.append(str(int(model_id)))
        kept.add(user_id)
    if extra:
        ids = ", ".join(extra)
        conn.execute(text(
            "DELETE t FROM `202_attribution_touchpoints` t JOIN `202_attribution_snapshots` s "
            f"ON s.snapshot_id = t.snapshot_id WHERE s.model_id IN ({ids})"
        ))
        for table in ("202_attribution_snapshots", "202_attribution_settings",
                      "202_attribution_models"):
            conn.execute(text(f"DELETE FROM `{table}` WHERE model_id IN ({ids})"))
    conn.execute(text(
        "ALTER TABLE `202_attribution_models` MODIFY `model_type` "
        "ENUM('last_touch','time_decay','position_based','algorithmic','assisted') NOT NULL, "
        "DROP INDEX `user_default`, ADD UNIQUE KEY `unique_user_default` (`user_id`, `is_default`)"
    ))


def _touchpoints_no_conv_index(conn: Connection, ctx: PlantContext) -> None:
    _drop_index(conn, "202_conversion_touchpoints", "conv_id")


def _audit_table_missing(conn: Connection, ctx: PlantContext) -> None:
    conn.execute(text(f"DROP TABLE {_q(conn, '202_attribution_audit')}"))


def _cron_never_ran(conn: Connection, ctx: PlantContext) -> None:
    # Snapshots may still exist: every gpx/upx conversion runs an unguarded rebuild (facts s.3).
    conn.execute(text(f"DELETE FROM {_q(conn, '202_cronjob_logs')} WHERE id = 2"))
    conn.execute(text(f"DELETE FROM {_q(conn, '202_cronjobs')} WHERE cronjob_type = 'attr'"))


# -- integrity defects: plants that break attribution data on purpose ------------------------------
#
# Conversions are picked among the newest in the check window (the checks sample the newest ones),
# each plant taking a conversion no other plant took (ctx.ids["planted_convs"]), so that in the
# demo every defect stays visible on its own conversion. They return the ids they touched.

V3_USER = 4
V3_MODELS = {"default": 41, "first_touch": 42, "linear": 43, "time_decay_empty": 44}
WINDOW_S = 48 * HOUR  # the checks' default window


def _taken(ctx: PlantContext) -> set[int]:
    return ctx.ids.setdefault("planted_convs", set())  # type: ignore[attr-defined]


def _pick_conv(conn: Connection, ctx: PlantContext, *, min_touches: int = 2, max_touches: int = 99,
               before: int | None = None, where: str = "") -> tuple[int, int, int, int, int]:
    """(conv_id, user_id, click_id, conv_time, touches) of the newest live conversion of the window
    with a journey of min..max touches, not taken by another plant."""
    end = ctx.now if before is None else before
    rows = conn.execute(text(
        "SELECT l.conv_id, l.user_id, l.click_id, l.conv_time, COUNT(t.touchpoint_id) "
        "FROM `202_conversion_logs` l JOIN `202_conversion_touchpoints` t ON t.conv_id = l.conv_id "
        f"WHERE l.deleted = 0 AND l.conv_time BETWEEN :a AND :b {where} "
        "GROUP BY l.conv_id, l.user_id, l.click_id, l.conv_time "
        "HAVING COUNT(t.touchpoint_id) BETWEEN :lo AND :hi ORDER BY l.conv_id DESC LIMIT 200"
    ), {"a": ctx.now - WINDOW_S + 2 * HOUR, "b": end, "lo": min_touches, "hi": max_touches}).all()
    for r in rows:
        if int(r[0]) not in _taken(ctx):
            _taken(ctx).add(int(r[0]))
            return tuple(int(v) for v in r)  # type: ignore[return-value]
    raise RuntimeError("no conversion in the window fits this defect; seed more conversions")


def _journey(conn: Connection, conv_id: int) -> list[tuple[int, int, int, int]]:
    """(touchpoint_id, position, click_id, click_time) by position."""
    return [tuple(int(v) for v in r) for r in conn.execute(text(
        "SELECT touchpoint_id, position, click_id, click_time FROM `202_conversion_touchpoints` "
        "WHERE conv_id = :c ORDER BY position"), {"c": conv_id})]


def _set_position(conn: Connection, touchpoint_id: int, position: int) -> None:
    conn.execute(text("UPDATE `202_conversion_touchpoints` SET position = :p "
                      "WHERE touchpoint_id = :t"), {"p": position, "t": touchpoint_id})


def _add_touch(conn: Connection, conv_id: int, position: int, click_id: int, click_time: int,
               created_at: int) -> None:
    conn.execute(pt.conversion_touchpoints.insert(), {
        "conv_id": conv_id, "click_id": click_id, "click_time": click_time,
        "position": position, "created_at": created_at})


def _journey_position_gap(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    conv_id, *_ = _pick_conv(conn, ctx, min_touches=3)
    last = _journey(conn, conv_id)[-1]
    _set_position(conn, last[0], last[1] + 1)  # 0..n-2, then n: position n-1 is missing
    return {"conv_ids": [conv_id]}


def _journey_converting_missing(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    conv_id, _, click_id, _, _ = _pick_conv(conn, ctx, min_touches=3)
    rows = _journey(conn, conv_id)
    conn.execute(text("DELETE FROM `202_conversion_touchpoints` WHERE conv_id = :c AND click_id = :k"),
                 {"c": conv_id, "k": click_id})
    for pos, row in enumerate(r for r in rows if r[2] != click_id):
        _set_position(conn, row[0], pos)
    return {"conv_ids": [conv_id], "click_ids": [click_id]}


def _journey_duplicate_click(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    conv_id, _, click_id, conv_time, _ = _pick_conv(conn, ctx, min_touches=3, max_touches=20)
    rows = _journey(conn, conv_id)
    dup = next(r for r in rows if r[2] != click_id)
    for row in reversed(rows):
        if row[1] > dup[1]:
            _set_position(conn, row[0], row[1] + 1)
    _add_touch(conn, conv_id, dup[1] + 1, dup[2], dup[3], conv_time)
    return {"conv_ids": [conv_id], "click_ids": [dup[2]]}


def _journey_outside_lookback(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    for _ in range(50):
        conv_id, _, click_id, conv_time, _ = _pick_conv(conn, ctx, min_touches=2)
        first = _journey(conn, conv_id)[0]
        if first[2] != click_id:
            break
    old = conv_time - LOOKBACK_SECONDS - HOUR
    conn.execute(text("UPDATE `202_conversion_touchpoints` SET click_time = :t "
                      "WHERE touchpoint_id = :id"), {"t": old, "id": first[0]})
    return {"conv_ids": [conv_id], "click_ids": [first[2]]}


def _journey_too_many_touches(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    """27 touches: older clicks of the same campaign are added (as a bad backfill would)."""
    conv_id, user_id, click_id, conv_time, _ = _pick_conv(conn, ctx, min_touches=2, max_touches=20)
    rows = _journey(conn, conv_id)
    click = conn.execute(text("SELECT * FROM `202_clicks` WHERE click_id = :k LIMIT 1"),
                         {"k": click_id}).mappings().one()
    next_id = int(conn.execute(text("SELECT MAX(click_id) FROM `202_clicks`")).scalar()) + 1
    extra = 27 - len(rows)
    for row in reversed(rows):
        _set_position(conn, row[0], row[1] + extra)
    new_ids = []
    for i in range(extra):
        at = rows[0][3] - (extra - i) * 60
        conn.execute(pt.clicks.insert(), {**click, "click_id": next_id + i, "click_time": at})
        _add_touch(conn, conv_id, i, next_id + i, at, conv_time)
        new_ids.append(next_id + i)
    return {"conv_ids": [conv_id], "click_ids": new_ids}


def _journeys_missing(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    picked = [_pick_conv(conn, ctx, min_touches=1)[0] for _ in range(2)]
    for conv_id in picked:
        conn.execute(text("DELETE FROM `202_conversion_touchpoints` WHERE conv_id = :c"),
                     {"c": conv_id})
    return {"conv_ids": picked}


def _credited(conn: Connection, ctx: PlantContext, model_id: int, min_rows: int
              ) -> tuple[int, int, list[tuple[int, Decimal]]]:
    """A conversion credited by model_id before the last rebuild: (conv_id, snapshot_id, rows)."""
    where = ("AND EXISTS (SELECT 1 FROM `202_attribution_touchpoints` a JOIN "
             "`202_attribution_snapshots` s ON s.snapshot_id = a.snapshot_id WHERE "
             f"a.conv_id = l.conv_id AND s.model_id = {int(model_id)} GROUP BY a.conv_id "
             f"HAVING COUNT(*) >= {int(min_rows)})")
    conv_id, *_ = _pick_conv(conn, ctx, min_touches=1, before=ctx.hb - 600, where=where)
    rows = conn.execute(text(
        "SELECT a.touchpoint_id, a.credit, a.snapshot_id FROM `202_attribution_touchpoints` a "
        "JOIN `202_attribution_snapshots` s ON s.snapshot_id = a.snapshot_id "
        "WHERE a.conv_id = :c AND s.model_id = :m ORDER BY a.position"),
        {"c": conv_id, "m": model_id}).all()
    return conv_id, int(rows[0][2]), [(int(r[0]), Decimal(str(r[1]))) for r in rows]


def _credits_not_one(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    """Model 2 (time decay) credits of one conversion sum to exactly 1.25000."""
    conv_id, snapshot_id, rows = _credited(conn, ctx, 2, 2)
    first = Decimal("1.25") - sum((c for _, c in rows[1:]), Decimal(0))
    tp = pt.attribution_touchpoints
    conn.execute(tp.update().where(tp.c.touchpoint_id == rows[0][0]).values(credit=first,
                                                                            weight=first))
    return {"conv_ids": [conv_id], "model_ids": [2], "snapshot_ids": [snapshot_id]}


def _credits_not_credited(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
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
    hb_hour = ctx.hb - ctx.hb % HOUR
    row = conn.execute(text(
        "SELECT snapshot_id, date_hour FROM `202_attribution_snapshots` WHERE model_id = :m "
        "AND attributed_conversions > 0 AND date_hour BETWEEN :a AND :b "
        "ORDER BY date_hour DESC LIMIT 1"),
        {"m": model_id, "a": ctx.now - WINDOW_S + 2 * HOUR,
         "b": hb_hour - hours_before_hb * HOUR}).one()
    return int(row[0]), int(row[1])


def _snapshots_missing(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    snapshot_id, hour = _snapshot_hour(conn, ctx, 2, 1)
    conn.execute(text("DELETE FROM `202_attribution_touchpoints` WHERE snapshot_id = :s"),
                 {"s": snapshot_id})
    conn.execute(text("DELETE FROM `202_attribution_snapshots` WHERE snapshot_id = :s"),
                 {"s": snapshot_id})
    return {"model_ids": [2], "snapshot_ids": [snapshot_id], "date_hours": [hour]}


def _snapshots_duplicate(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    """A second, zero placeholder row for one hour (a pixel rebuild racing the cron)."""
    snapshot_id, hour = _snapshot_hour(conn, ctx, 3, 2)
    row = dict(conn.execute(text("SELECT * FROM `202_attribution_snapshots` WHERE snapshot_id = :s"),
                            {"s": snapshot_id}).mappings().one())
    row.pop("snapshot_id")
    row.update(attributed_clicks=0, attributed_conversions=0, attributed_revenue=0,
               attributed_cost=0, created_at=int(row["created_at"]) + 5)
    new_id = conn.execute(pt.attribution_snapshots.insert(), row).inserted_primary_key[0]
    return {"model_ids": [3], "snapshot_ids": [snapshot_id, int(new_id)], "date_hours": [hour]}


def _snapshots_disagree(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    snapshot_id, hour = _snapshot_hour(conn, ctx, 1, 3)
    conn.execute(text("UPDATE `202_attribution_snapshots` SET attributed_conversions = "
                      "attributed_conversions + 1 WHERE snapshot_id = :s"), {"s": snapshot_id})
    return {"model_ids": [1], "snapshot_ids": [snapshot_id], "date_hours": [hour]}


def _set_model(conn: Connection, model_id: int, **values: int) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    conn.execute(text(f"UPDATE `202_attribution_models` SET {sets} WHERE model_id = :m"),
                 {**values, "m": model_id})


def _models_two_defaults(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    _set_model(conn, 2, is_default=1)  # as v3 or the Setup UI's save would leave it
    return {"user_ids": [1], "model_ids": [2]}


def _models_default_inactive(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    _set_model(conn, 1, is_default=0)
    _set_model(conn, 4, is_default=1)  # the inactive "Assisted" model becomes the default
    return {"user_ids": [1], "model_ids": [4]}


def _models_no_default(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    _set_model(conn, 5, is_default=0)
    return {"user_ids": [2], "model_ids": [5]}


def _ensure_v3_user(conn: Connection, ctx: PlantContext) -> None:
    """User 4 "v3import", whose models were written through v3: a valid default first."""
    if conn.execute(text("SELECT COUNT(*) FROM `202_users` WHERE user_id = :u"),
                    {"u": V3_USER}).scalar():
        return
    at = ctx.now - 3 * 86400
    conn.execute(pt.users.insert(), {
        "user_id": V3_USER, "user_fname": "V3import", "user_lname": "Sandbox",
        "user_name": "v3import", "user_pass": "!sandbox-no-login",
        "user_email": "v3import@sandbox.invalid", "user_dash_email": "v3import@sandbox.invalid",
        "user_timezone": "UTC", "user_time_register": at, "install_hash": "sandbox",
        "user_hash": "sandbox-v3import", "user_active": 1, "user_deleted": 0, "user_mods_lb": 0})
    _add_model(conn, V3_MODELS["default"], "Last Touch Attribution", "last-touch-default",
               "last_touch", None, at, default=True)


def _add_model(conn: Connection, model_id: int, name: str, slug: str, type_: str,
               config: str | None, at: int, *, default: bool = False) -> None:
    conn.execute(pt.attribution_models.insert(), {
        "model_id": model_id, "user_id": V3_USER, "model_name": name, "model_slug": slug,
        "model_type": type_, "weighting_config": config, "is_active": 1,
        "is_default": int(default), "created_at": at, "updated_at": at})


def _models_v3_types(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    _ensure_v3_user(conn, ctx)
    at = ctx.now - 2 * 86400
    _add_model(conn, V3_MODELS["first_touch"], "First Touch (v3)", "first-touch-v3",
               "first_touch", None, at)
    _add_model(conn, V3_MODELS["linear"], "Linear (v3)", "linear-v3", "linear", None, at)
    return {"user_ids": [V3_USER], "model_ids": [V3_MODELS["first_touch"], V3_MODELS["linear"]]}


def _models_bad_weighting(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    _ensure_v3_user(conn, ctx)
    _add_model(conn, V3_MODELS["time_decay_empty"], "Time Decay (v3, no config)", "time-decay-v3",
               "time_decay", "{}", ctx.now - 2 * 86400)
    return {"user_ids": [V3_USER], "model_ids": [V3_MODELS["time_decay_empty"]]}


def _add_setting(conn: Connection, ctx: PlantContext, user_id: int, scope_type: str,
                 scope_id: int | None, model_id: int, enabled: int) -> int:
    at = ctx.now - 3 * 86400
    return int(conn.execute(pt.attribution_settings.insert(), {
        "user_id": user_id, "scope_type": scope_type, "scope_id": scope_id, "model_id": model_id,
        "multi_touch_enabled": enabled, "multi_touch_enabled_at": at if enabled else None,
        "multi_touch_disabled_at": None if enabled else at, "effective_at": at,
        "created_at": at, "updated_at": at}).inserted_primary_key[0])


def _settings_missing_model(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    sid = _add_setting(conn, ctx, 1, "landing_page", 3, 9999, 1)  # its model deleted through v3
    return {"setting_ids": [sid], "model_ids": [9999]}


def _settings_duplicate_global(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    sid = _add_setting(conn, ctx, 1, "global", None, 1, 1)  # NULL scope_id escapes the UNIQUEs
    return {"setting_ids": [sid], "user_ids": [1]}


def _settings_purge_wipes_all(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    sid = _add_setting(conn, ctx, 2, "account", 5, 5, 0)  # the purge treats "account" as all
    return {"setting_ids": [sid], "user_ids": [2]}


def _add_export(conn: Connection, ctx: PlantContext, status: str, queued: int, **extra: Any) -> int:
    end_hour = queued - queued % HOUR
    return int(conn.execute(pt.attribution_exports.insert(), {
        "user_id": 1, "model_id": 2, "scope_type": "global", "scope_id": None,
        "start_hour": end_hour - 86400, "end_hour": end_hour, "requested_format": "csv",
        "status": status, "queued_at": queued, "created_at": queued,
        "updated_at": max([queued, *[v for v in extra.values() if isinstance(v, int)]]),
        **extra}).inserted_primary_key[0])


def _exports_stuck(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    queued = ctx.now - 3 * HOUR - 600
    return {"export_ids": [_add_export(conn, ctx, "processing", queued, started_at=queued + 300)]}


def _exports_failed(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    queued = ctx.now - 5 * HOUR
    eid = _add_export(conn, ctx, "failed", queued, started_at=queued + 300,
                      failed_at=queued + 302, last_error=(
                          "Unable to write export file 202-exports/attribution/"
                          "export-failed.csv: Permission denied"))
    return {"export_ids": [eid]}


def _exports_pending(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    return {"export_ids": [_add_export(conn, ctx, "pending", ctx.now - 2 * HOUR)]}


def _exports_pending_cron_down(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    eid = _add_export(conn, ctx, "pending", ctx.now - 26 * HOUR)
    conn.execute(text("UPDATE `202_cronjob_logs` SET last_execution_time = :t WHERE id = 3 "
                      "AND last_execution_time > :t"), {"t": ctx.now - 30 * HOUR})
    return {"export_ids": [eid]}


def _rebuild_failing(conn: Connection, ctx: PlantContext) -> Mapping[str, Any]:
    """The last two hourly runs wrote the heartbeat but failed: no snapshot_rebuild rows since
    one hour before it. A conversion of user 1 in that hour is added if the data has none (with
    its one-touch journey), so the cross-check has something to miss."""
    hb = ctx.hb
    conv = conn.execute(text(
        "SELECT conv_id FROM `202_conversion_logs` WHERE user_id = 1 AND deleted = 0 "
        "AND conv_time > :a AND conv_time <= :b ORDER BY conv_id DESC LIMIT 1"),
        {"a": hb - HOUR, "b": hb}).scalar()
    added = None
    if conv is None:
        click = conn.execute(text("SELECT * FROM `202_clicks` WHERE user_id = 1 "
                                  "ORDER BY click_id DESC LIMIT 1")).mappings().one()
        click_id = int(conn.execute(text("SELECT MAX(click_id) FROM `202_clicks`")).scalar()) + 1
        at = hb - 1500
        conn.execute(pt.clicks.insert(), {**click, "click_id": click_id, "click_time": at - 60})
        row = dict(conn.execute(text("SELECT * FROM `202_conversion_logs` WHERE user_id = 1 "
                                     "ORDER BY conv_id DESC LIMIT 1")).mappings().one())
        row.pop("conv_id")
        row.update(click_id=click_id, click_time=at - 60, conv_time=at, deleted=0,
                   transaction_id=None, time_difference="00:01:00")
        added = int(conn.execute(pt.conversion_logs.insert(), row).inserted_primary_key[0])
        _add_touch(conn, added, 0, click_id, at - 60, at)
    conn.execute(text("DELETE FROM `202_attribution_audit` WHERE action = 'snapshot_rebuild' "
                      "AND created_at >= :t"), {"t": hb - HOUR})
    return {"user_ids": [1], "conv_ids": [added or int(conv)]}


def _finding(check_id: str, status: str, match: str) -> Finding:
    return Finding(check_id, status, match)


_INTEGRITY = [
    Defect("models_two_defaults", "User 1 has two default models", "demo",
           (_finding("models.defaults", "fail", "time-decay-48h"),),
           {"user_ids": [1], "model_ids": [2]}, plant=_models_two_defaults),
    Defect("models_default_inactive", "User 1's default model is inactive", "demo",
           (_finding("models.default_active", "fail", "default model is inactive"),),
           {"user_ids": [1], "model_ids": [4]}, plant=_models_default_inactive),
    Defect("models_no_default", "User 2 has no default model", "demo",
           (_finding("models.defaults", "warn", "no default model"),),
           {"user_ids": [2], "model_ids": [5]}, plant=_models_no_default),
    Defect("models_v3_types", "User 4 (v3import) has v3-only model types first_touch and linear",
           "demo", (_finding("models.types", "fail", "linear"),),
           {"user_ids": [V3_USER], "model_ids": [V3_MODELS["first_touch"], V3_MODELS["linear"]]},
           plant=_models_v3_types),
    Defect("models_bad_weighting", "User 4 (v3import) has a time_decay model with a {} config",
           "demo", (_finding("models.weighting", "fail", MSG_CONFIG_REQUIRED),),
           {"user_ids": [V3_USER], "model_ids": [V3_MODELS["time_decay_empty"]]},
           plant=_models_bad_weighting),
    Defect("snapshots_duplicate", "A second (zero placeholder) snapshot row for one hour of model 3",
           "demo", (_finding("snapshots.duplicates", "fail", "position-40-40"),),
           {"model_ids": [3], "date_hours": "picked at seed time (marker 'affected')"},
           plant=_snapshots_duplicate),
    Defect("snapshots_missing", "Model 2 lost its snapshot (and credits) for a rebuilt hour", "demo",
           (_finding("snapshots.missing", "fail", "time-decay-48h"),),
           {"model_ids": [2], "date_hours": "picked at seed time (marker 'affected')"},
           plant=_snapshots_missing),
    Defect("snapshots_disagree", "Model 1 counts one conversion more than its siblings in one hour",
           "demo", (_finding("snapshots.agreement", "warn", "last-touch-default"),),
           {"model_ids": [1], "date_hours": "picked at seed time (marker 'affected')"},
           plant=_snapshots_disagree),
    Defect("credits_not_one", "One conversion's model-2 credits sum to 1.25", "demo",
           (_finding("credits.conservation", "fail", "1.25000"),),
           {"model_ids": [2], "conv_ids": "picked at seed time (marker 'affected')"},
           plant=_credits_not_one),
    Defect("credits_not_credited", "One conversion has no model-1 credit rows (reset, not refilled)",
           "demo", (_finding("credits.conservation", "warn", "not credited"),),
           {"model_ids": [1], "conv_ids": "picked at seed time (marker 'affected')"},
           plant=_credits_not_credited),
    Defect("journey_position_gap", "A journey whose last position skips one (0..n-2, n)", "demo",
           (_finding("journeys.sample", "fail", "positions"),),
           {"conv_ids": "picked at seed time (marker 'affected')"}, plant=_journey_position_gap),
    Defect("journey_converting_missing", "A journey without its converting click", "demo",
           (_finding("journeys.sample", "fail", "converting_missing"),),
           {"conv_ids": "picked at seed time (marker 'affected')"},
           plant=_journey_converting_missing),
    Defect("journey_duplicate_click", "A journey storing one click twice", "demo",
           (_finding("journeys.sample", "fail", "duplicate_click"),),
           {"conv_ids": "picked at seed time (marker 'affected')"}, plant=_journey_duplicate_click),
    Defect("journey_outside_lookback", "A journey touch older than the 30-day lookback", "demo",
           (_finding("journeys.sample", "fail", "lookback"),),
           {"conv_ids": "picked at seed time (marker 'affected')"},
           plant=_journey_outside_lookback),
    Defect("journey_too_many_touches", "A journey of 27 touches (older campaign clicks added)",
           "demo", (_finding("journeys.sample", "fail", "too_many"),),
           {"conv_ids": "picked at seed time (marker 'affected')"},
           plant=_journey_too_many_touches),
    Defect("journeys_missing", "Two live multi-touch conversions lost their journeys", "demo",
           (_finding("journeys.missing", "warn", "no journey"),),
           {"conv_ids": "picked at seed time (marker 'affected')"}, plant=_journeys_missing),
    Defect("settings_missing_model", "A settings row points to model 9999, which does not exist",
           "demo", (_finding("settings.models", "warn", "model 9999 does not exist"),),
           {"user_ids": [1], "model_ids": [9999]}, plant=_settings_missing_model),
    Defect("settings_duplicate_global", "User 1 has two global settings rows", "demo",
           (_finding("settings.duplicates", "warn", "duplicate global rows"),),
           {"user_ids": [1]}, plant=_settings_duplicate_global),
    Defect("settings_purge_wipes_all",
           "User 2 disabled multi-touch for scope account:5: the purge would delete all journeys",
           "demo", (_finding("settings.disabled", "warn", "ALL journeys"),),
           {"user_ids": [2]}, plant=_settings_purge_wipes_all),
    Defect("exports_stuck", "An export job stuck in processing for 3 h", "demo",
           (_finding("exports.stuck", "fail", "processing for over 1 h"),),
           {"table": "202_attribution_exports"}, plant=_exports_stuck),
    Defect("exports_failed", "An export job failed 5 h ago (Permission denied)", "demo",
           (_finding("exports.failed", "warn", "Permission denied"),),
           {"table": "202_attribution_exports"}, plant=_exports_failed),
    Defect("exports_pending_cron_down", "An export job pending for 26 h; the export cron is down",
           "demo", (_finding("exports.pending", "fail", "export cron not running"),),
           {"table": "202_attribution_exports", "cronjob_logs_id": 3},
           plant=_exports_pending_cron_down),
    Defect("exports_pending", "An export job pending for 2 h (the export cron runs)", "isolated",
           (_finding("exports.pending", "warn", "pending; the export cron last ran"),),
           {"table": "202_attribution_exports"}, plant=_exports_pending),
    Defect("rebuild_failing",
           "The rebuild's last two runs wrote the heartbeat but failed (no snapshot_rebuild rows)",
           "isolated", (_finding("cron.rebuild_crosscheck", "warn", "no snapshot_rebuild since"),),
           {"table": "202_attribution_audit", "user_ids": [1]}, plant=_rebuild_failing),
]


def _columns(match: str, status: str = "warn") -> Finding:
    return Finding("schema.columns", status, match)


def _indexes(match: str, status: str = "warn") -> Finding:
    return Finding("schema.indexes", status, match)


_ALL = [
    Defect(
        "cron_stopped", "The attribution cron stopped 30 hours ago", "demo",
        (Finding("cron.attribution_heartbeat", "fail", "202_cronjob_logs"),
         # what follows from it: conversions of the last 30 h that no snapshot counts
         Finding("snapshots.freshness", "warn", "snapshots are stale")),
        {"table": "202_cronjob_logs", "row": 2, "stopped_hours_ago": 30},
        tweak=_cron_stopped,
    ),
    Defect(
        "clicks_runbook_era_index", "202_clicks lacks KEY user_click_time (runbook era)", "demo",
        (_indexes("user_click_time"),),
        {"table": "202_clicks", "index": "user_click_time"},
        plant=_clicks_runbook_era_index,
    ),
    Defect(
        "conversion_logs_runbook_era",
        "202_conversion_logs as in the runbook era: ip varchar(15), plain KEY click_id",
        "isolated",
        (_columns("ip"), _indexes("uniq_click_transaction")),
        {"table": "202_conversion_logs", "column": "ip", "index": "uniq_click_transaction"},
        plant=_conversion_logs_runbook_era, sqlite=False,
    ),
    Defect(
        "settings_pre_1958", "202_attribution_settings as the 1.9.56 upgrade created it",
        "isolated",
        (_columns("multi_touch_enabled"), _indexes("user_scope_multi_touch")),
        {"table": "202_attribution_settings",
         "columns": ["multi_touch_enabled", "multi_touch_enabled_at", "multi_touch_disabled_at"],
         "indexes": ["user_scope_model", "user_scope_multi_touch"]},
        plant=_settings_pre_1958,
    ),
    Defect(
        "campaigns_no_model_column", "202_aff_campaigns without attribution_model_id", "isolated",
        (_columns("attribution_model_id"), _indexes("idx_attribution_model")),
        {"table": "202_aff_campaigns", "column": "attribution_model_id",
         "index": "idx_attribution_model"},
        plant=_campaigns_no_model_column,
    ),
    Defect(
        "api_keys_no_scope", "202_api_keys without scope (before 1.9.60)", "isolated",
        (_columns("scope"),),
        {"table": "202_api_keys", "column": "scope"},
        plant=_api_keys_no_scope,
    ),
    Defect(
        "divergent_models_table",
        "202_attribution_models from the optional migration: ENUM type, UNIQUE(user_id, is_default)",
        "isolated",
        (_columns("model_type", "fail"), _indexes("is_default", "fail")),
        {"table": "202_attribution_models", "column": "model_type",
         "index": "unique_user_default"},
        plant=_divergent_models_table, sqlite=False,
    ),
    Defect(
        "touchpoints_no_conv_index", "202_conversion_touchpoints lacks KEY conv_id", "isolated",
        (_indexes("202_conversion_touchpoints", "fail"),
         # the journey checks refuse to scan the table without it
         Finding("journeys.sample", "skipped", "202_conversion_touchpoints"),
         Finding("journeys.missing", "skipped", "202_conversion_touchpoints")),
        {"table": "202_conversion_touchpoints", "index": "conv_id"},
        plant=_touchpoints_no_conv_index,
    ),
    Defect(
        "audit_table_missing", "202_attribution_audit is missing", "isolated",
        (Finding("schema.tables", "fail", "202_attribution_audit"),
         # the checks that need the rebuild audit trail cannot answer
         Finding("cron.rebuild_crosscheck", "skipped", "202_attribution_audit"),
         Finding("snapshots.missing", "skipped", "202_attribution_audit"),
         Finding("credits.conservation", "skipped", "202_attribution_audit")),
        {"table": "202_attribution_audit"},
        plant=_audit_table_missing,
    ),
    Defect(
        "cron_never_ran", "The attribution cron never recorded a run", "isolated",
        (Finding("cron.attribution_heartbeat", "warn", "202_cronjob_logs"),),
        {"table": "202_cronjob_logs", "row": 2},
        plant=_cron_never_ran,
    ),
]

_ALL += _INTEGRITY

DEFECTS: dict[str, Defect] = {d.id: d for d in _ALL}


def demo_defects() -> list[Defect]:
    """The defects the demo database carries, so a first look at the console has findings."""
    return [d for d in DEFECTS.values() if d.where == "demo"]
