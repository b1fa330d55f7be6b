"""Plants in the configuration rows: attribution models that break the one-default rule or that
upstream cannot load, and multi-touch settings rows that point nowhere, repeat, or would make the
purge delete every journey (docs/prosper202.md §Defaults, §Multi-touch settings)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from attribtui.prosper import tables as pt
from attribtui.prosper.hours import DAY
from attribtui.sandbox.defects.defect import PlantContext, Touched
from attribtui.sandbox.sql import inserted_id

V3_USER = 4
V3_MODELS = {"default": 41, "first_touch": 42, "linear": 43, "time_decay_empty": 44}


def _set_model(conn: Connection, model_id: int, **values: int) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    conn.execute(text(f"UPDATE `202_attribution_models` SET {sets} WHERE model_id = :m"),
                 {**values, "m": model_id})


def models_two_defaults(conn: Connection, ctx: PlantContext) -> Touched:
    _set_model(conn, 2, is_default=1)  # as v3 or the Setup UI's save would leave it
    return {"user_ids": [1], "model_ids": [2]}


def models_default_inactive(conn: Connection, ctx: PlantContext) -> Touched:
    _set_model(conn, 1, is_default=0)
    _set_model(conn, 4, is_default=1)  # the inactive "Assisted" model becomes the default
    return {"user_ids": [1], "model_ids": [4]}


def models_no_default(conn: Connection, ctx: PlantContext) -> Touched:
    _set_model(conn, 5, is_default=0)
    return {"user_ids": [2], "model_ids": [5]}


def _ensure_v3_user(conn: Connection, ctx: PlantContext) -> None:
    """User 4 "v3import", whose models were written through v3: a valid default first."""
    if conn.execute(text("SELECT COUNT(*) FROM `202_users` WHERE user_id = :u"),
                    {"u": V3_USER}).scalar():
        return
    at = ctx.now - 3 * DAY
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


def models_v3_types(conn: Connection, ctx: PlantContext) -> Touched:
    _ensure_v3_user(conn, ctx)
    at = ctx.now - 2 * DAY
    _add_model(conn, V3_MODELS["first_touch"], "First Touch (v3)", "first-touch-v3",
               "first_touch", None, at)
    _add_model(conn, V3_MODELS["linear"], "Linear (v3)", "linear-v3", "linear", None, at)
    return {"user_ids": [V3_USER], "model_ids": [V3_MODELS["first_touch"], V3_MODELS["linear"]]}


def models_bad_weighting(conn: Connection, ctx: PlantContext) -> Touched:
    _ensure_v3_user(conn, ctx)
    _add_model(conn, V3_MODELS["time_decay_empty"], "Time Decay (v3, no config)", "time-decay-v3",
               "time_decay", "{}", ctx.now - 2 * DAY)
    return {"user_ids": [V3_USER], "model_ids": [V3_MODELS["time_decay_empty"]]}


def _add_setting(conn: Connection, ctx: PlantContext, user_id: int, scope_type: str,
                 scope_id: int | None, model_id: int, enabled: int) -> int:
    at = ctx.now - 3 * DAY
    return inserted_id(conn.execute(pt.attribution_settings.insert(), {
        "user_id": user_id, "scope_type": scope_type, "scope_id": scope_id, "model_id": model_id,
        "multi_touch_enabled": enabled, "multi_touch_enabled_at": at if enabled else None,
        "multi_touch_disabled_at": None if enabled else at, "effective_at": at,
        "created_at": at, "updated_at": at}))


def settings_missing_model(conn: Connection, ctx: PlantContext) -> Touched:
    sid = _add_setting(conn, ctx, 1, "landing_page", 3, 9999, 1)  # its model deleted through v3
    return {"setting_ids": [sid], "model_ids": [9999]}


def settings_duplicate_global(conn: Connection, ctx: PlantContext) -> Touched:
    sid = _add_setting(conn, ctx, 1, "global", None, 1, 1)  # NULL scope_id escapes the UNIQUEs
    return {"setting_ids": [sid], "user_ids": [1]}


def settings_purge_wipes_all(conn: Connection, ctx: PlantContext) -> Touched:
    sid = _add_setting(conn, ctx, 2, "account", 5, 5, 0)  # the purge treats "account" as all
    return {"setting_ids": [sid], "user_ids": [2]}
