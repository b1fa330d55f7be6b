"""The planted-defect registry: what the sandbox can break on purpose, and what must notice it.

One source of truth for the seeder (``seed(defects=...)``), the functional tests (each defect must
produce its findings) and the README's defect table. A defect changes the seeded database after
the data is written (``plant``) and/or the simulated story before it is written (``tweak``, e.g. a
cron that stopped, so that snapshots, audit rows and heartbeat all agree).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from sqlalchemy import text
from sqlalchemy.engine import Connection

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
    plant: Callable[[Connection, PlantContext], None] | None = None
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


def _columns(match: str, status: str = "warn") -> Finding:
    return Finding("schema.columns", status, match)


def _indexes(match: str, status: str = "warn") -> Finding:
    return Finding("schema.indexes", status, match)


_ALL = [
    Defect(
        "cron_stopped", "The attribution cron stopped 30 hours ago", "demo",
        (Finding("cron.attribution_heartbeat", "fail", "202_cronjob_logs"),),
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
        (_indexes("202_conversion_touchpoints", "fail"),),
        {"table": "202_conversion_touchpoints", "index": "conv_id"},
        plant=_touchpoints_no_conv_index,
    ),
    Defect(
        "audit_table_missing", "202_attribution_audit is missing", "isolated",
        (Finding("schema.tables", "fail", "202_attribution_audit"),),
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

DEFECTS: dict[str, Defect] = {d.id: d for d in _ALL}


def demo_defects() -> list[Defect]:
    """The defects the demo database carries, so a first look at the console has findings."""
    return [d for d in DEFECTS.values() if d.where == "demo"]
