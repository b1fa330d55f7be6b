"""Plants that give a table an older or divergent layout (docs/prosper202.md §Historical layouts).

The schema checks must name each difference; the other checks must keep working, or say that they
cannot answer without what is gone.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from attribtui.sandbox.defects.defect import PlantContext
from attribtui.sandbox.defects.plants.ddl import drop_column, drop_index, drop_table, mariadb_only


def clicks_runbook_era_index(conn: Connection, ctx: PlantContext) -> None:
    drop_index(conn, "202_clicks", "user_click_time")


def conversion_logs_runbook_era(conn: Connection, ctx: PlantContext) -> None:
    mariadb_only(conn, "conversion_logs_runbook_era")
    conn.execute(text(
        "ALTER TABLE `202_conversion_logs` MODIFY `ip` varchar(15) NOT NULL DEFAULT '', "
        "DROP INDEX `uniq_click_transaction`, ADD KEY `click_id` (`click_id`)"
    ))


def settings_pre_1958(conn: Connection, ctx: PlantContext) -> None:
    table = "202_attribution_settings"
    drop_index(conn, table, "user_scope_model")
    drop_index(conn, table, "user_scope_multi_touch")
    for column in ("multi_touch_enabled", "multi_touch_enabled_at", "multi_touch_disabled_at"):
        drop_column(conn, table, column)


def campaigns_no_model_column(conn: Connection, ctx: PlantContext) -> None:
    drop_index(conn, "202_aff_campaigns", "idx_attribution_model")
    drop_column(conn, "202_aff_campaigns", "attribution_model_id")


def api_keys_no_scope(conn: Connection, ctx: PlantContext) -> None:
    drop_column(conn, "202_api_keys", "scope")


def divergent_models_table(conn: Connection, ctx: PlantContext) -> None:
    """The optional migration's table: a UNIQUE(user_id, is_default) admits one non-default model
    per user, so the extra ones go first, the way a v2 DELETE removes them (with their snapshots,
    credits and settings; audit rows stay)."""
    mariadb_only(conn, "divergent_models_table")
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


def touchpoints_no_conv_index(conn: Connection, ctx: PlantContext) -> None:
    drop_index(conn, "202_conversion_touchpoints", "conv_id")


def audit_table_missing(conn: Connection, ctx: PlantContext) -> None:
    drop_table(conn, "202_attribution_audit")
