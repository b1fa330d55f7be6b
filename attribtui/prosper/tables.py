"""The Prosper202 tables attribtui touches, as the current installer creates them.

One source of truth: this MetaData is the expected schema for the schema checks, the DDL
for the sandbox and the tests, and the column names for queries. It mirrors
tests/data/prosper202-schema.sql (the installer's own, MariaDB 10.11, Prosper202 1.9.x).

Column and index ``info`` keys used by the schema checks:
- ``required``: the console relies on it; a missing or incompatible one is a fail-level finding
  (a difference anywhere else is ``info``).
- ``variant``: a documented older layout (docs/prosper202.md, "Historical layouts"); a difference is
  ``warn`` and names ``upgrade`` (the Prosper202 upgrade that brings it) when the facts give one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CHAR, Column, Index, Integer, MetaData, Numeric, String, Table, Text
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeEngine

from attribtui.vocab import JsonDict

metadata = MetaData()

_MYSQL = ("mysql", "mariadb")
_TABLE_OPTS: JsonDict = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_general_ci",
}
Type = TypeEngine[Any]
Col = Column[Any]  # a column of any SQL type


def _int(mysql_type: Type) -> Type:
    """An integer that is the exact MySQL type on MariaDB and a rowid-friendly INTEGER on SQLite."""
    return Integer().with_variant(mysql_type, *_MYSQL)


def _dec(precision: int, scale: int) -> Type:
    return Numeric(precision, scale, asdecimal=True).with_variant(
        mysql.DECIMAL(precision, scale), *_MYSQL
    )


def _longtext() -> Type:
    return Text().with_variant(mysql.LONGTEXT(), *_MYSQL)


def _mediumtext() -> Type:
    return Text().with_variant(mysql.MEDIUMTEXT(), *_MYSQL)


def bigint_u() -> Type:
    return _int(mysql.BIGINT(20, unsigned=True))


def int_u() -> Type:
    return _int(mysql.INTEGER(10, unsigned=True))


def int11_u() -> Type:
    return _int(mysql.INTEGER(11, unsigned=True))


def int10() -> Type:
    return _int(mysql.INTEGER(10))


def int11() -> Type:
    return _int(mysql.INTEGER(11))


def int1() -> Type:
    return _int(mysql.INTEGER(1))


def mediumint_u() -> Type:
    return _int(mysql.MEDIUMINT(8, unsigned=True))


def smallint_u() -> Type:
    return _int(mysql.SMALLINT(5, unsigned=True))


def tinyint1() -> Type:
    return _int(mysql.TINYINT(1))


def tinyint1_u() -> Type:
    return _int(mysql.TINYINT(1, unsigned=True))


def tinyint4() -> Type:
    return _int(mysql.TINYINT(4))



def col(name: str, type_: Type, *, null: bool = False, default: str | None = None,
        required: bool = True, pk: bool = False, ai: bool = False, **info: object) -> Col:
    """A column with Prosper202's nullability and server default, tagged for the schema checks."""
    return Column(
        name,
        type_,
        primary_key=pk,
        autoincrement=ai if pk else False,
        nullable=null,
        server_default=default,
        info={"required": required, **info},
    )


def idx(name: str, *cols: str, unique: bool = False, required: bool = False, **info: object) -> Index:
    return Index(name, *cols, unique=unique, info={"required": required, **info})


conversion_touchpoints = Table(
    "202_conversion_touchpoints", metadata,
    col("touchpoint_id", bigint_u(), pk=True, ai=True),
    col("conv_id", int11_u()),
    col("click_id", bigint_u()),
    col("click_time", int_u()),
    col("position", smallint_u(), default="0"),
    col("created_at", int_u()),
    idx("conv_id", "conv_id", required=True, purpose="a conversion's journey"),
    idx("click_lookup", "click_id", required=True, purpose="journeys containing a click"),
    **_TABLE_OPTS,
)

conversion_logs = Table(
    "202_conversion_logs", metadata,
    col("conv_id", int11_u(), pk=True, ai=True),
    col("click_id", bigint_u()),
    col("transaction_id", String(255), null=True, required=False),
    col("campaign_id", mediumint_u()),
    col("click_payout", _dec(11, 5)),
    col("user_id", mediumint_u()),
    col("click_time", int10()),
    col("conv_time", int10()),
    col("time_difference", Text(), required=False),
    col("ip", String(45), default="", required=False,
        variant="varchar(15) in the runbook era"),
    col("pixel_type", int11_u(), required=False),
    col("user_agent", Text(), required=False),
    col("deleted", tinyint4(), default="0"),
    idx("uniq_click_transaction", "click_id", "transaction_id", unique=True, required=True,
        purpose="conversion lookup by click", upgrade="1.9.61",
        variant="a plain KEY `click_id` without the UNIQUE (runbook era)"),
    idx("user_id", "user_id", required=True, purpose="a user's conversions"),
    idx("campaign_id", "campaign_id"),
    **_TABLE_OPTS,
)

attribution_models = Table(
    "202_attribution_models", metadata,
    col("model_id", bigint_u(), pk=True, ai=True),
    col("user_id", mediumint_u()),
    col("model_name", String(255)),
    col("model_slug", String(191)),
    col("model_type", String(50)),
    col("weighting_config", _longtext(), null=True),
    col("is_active", tinyint1(), default="1"),
    col("is_default", tinyint1(), default="0"),
    col("created_at", int_u()),
    col("updated_at", int_u()),
    idx("model_slug_user", "user_id", "model_slug", unique=True, required=True,
        purpose="a user's models and unique slugs"),
    idx("user_default", "user_id", "is_default"),
    **_TABLE_OPTS,
)

attribution_settings = Table(
    "202_attribution_settings", metadata,
    col("setting_id", bigint_u(), pk=True, ai=True),
    col("user_id", mediumint_u()),
    col("scope_type", String(50)),
    col("scope_id", bigint_u(), null=True),
    col("model_id", bigint_u()),
    col("multi_touch_enabled", tinyint1_u(), default="1", upgrade="1.9.58",
        variant="absent when the table was created by the 1.9.56 upgrade"),
    col("multi_touch_enabled_at", int_u(), null=True, upgrade="1.9.58",
        variant="absent when the table was created by the 1.9.56 upgrade"),
    col("multi_touch_disabled_at", int_u(), null=True, upgrade="1.9.58",
        variant="absent when the table was created by the 1.9.56 upgrade"),
    col("effective_at", int_u()),
    col("created_at", int_u()),
    col("updated_at", int_u()),
    idx("user_scope", "user_id", "scope_type", "scope_id", unique=True, required=True,
        purpose="a user's settings per scope"),
    idx("user_scope_model", "user_id", "scope_type", "scope_id", "model_id", unique=True,
        upgrade="1.9.58", variant="absent when the table was created by the 1.9.56 upgrade"),
    idx("user_scope_multi_touch", "user_id", "scope_type", "scope_id", "multi_touch_enabled",
        unique=True, upgrade="1.9.58",
        variant="absent when the table was created by the 1.9.56 upgrade"),
    idx("model_lookup", "model_id", required=True, purpose="settings of a model"),
    **_TABLE_OPTS,
)

attribution_snapshots = Table(
    "202_attribution_snapshots", metadata,
    col("snapshot_id", bigint_u(), pk=True, ai=True),
    col("model_id", bigint_u()),
    col("user_id", mediumint_u()),
    col("scope_type", String(50)),
    col("scope_id", bigint_u(), null=True),
    col("date_hour", int_u()),
    col("lookback_start", int_u()),
    col("lookback_end", int_u()),
    col("attributed_clicks", int_u(), default="0"),
    col("attributed_conversions", int_u(), default="0"),
    col("attributed_revenue", _dec(12, 4), default="0.0000"),
    col("attributed_cost", _dec(12, 4), default="0.0000"),
    col("created_at", int_u()),
    idx("model_hour_scope", "model_id", "date_hour", "scope_type", "scope_id", required=True,
        purpose="a model's snapshots by hour"),
    idx("user_hour", "user_id", "date_hour", required=True, purpose="a user's snapshots by hour"),
    **_TABLE_OPTS,
)

attribution_touchpoints = Table(
    "202_attribution_touchpoints", metadata,
    col("touchpoint_id", bigint_u(), pk=True, ai=True),
    col("snapshot_id", bigint_u()),
    col("conv_id", int11_u()),
    col("click_id", bigint_u()),
    col("position", smallint_u(), default="0"),
    col("credit", _dec(10, 5), default="0.00000"),
    col("weight", _dec(10, 5), default="0.00000"),
    col("created_at", int_u()),
    idx("snapshot_conv", "snapshot_id", "conv_id", required=True,
        purpose="credits of a snapshot and conversion"),
    idx("click_lookup", "click_id", required=True, purpose="credits of a click"),
    **_TABLE_OPTS,
)

attribution_audit = Table(
    "202_attribution_audit", metadata,
    col("audit_id", bigint_u(), pk=True, ai=True),
    col("user_id", mediumint_u()),
    col("model_id", bigint_u(), null=True),
    col("action", String(50)),
    col("metadata", _longtext(), null=True),
    col("created_at", int_u()),
    idx("user_lookup", "user_id", required=True, purpose="a user's audit trail"),
    idx("model_lookup", "model_id", required=True, purpose="a model's audit trail"),
    idx("action_lookup", "action", required=True, purpose="audit rows by action"),
    **_TABLE_OPTS,
)

attribution_exports = Table(
    "202_attribution_exports", metadata,
    col("export_id", bigint_u(), pk=True, ai=True),
    col("user_id", mediumint_u()),
    col("model_id", int11_u()),
    col("scope_type", String(32)),
    col("scope_id", bigint_u(), null=True),
    col("start_hour", int_u()),
    col("end_hour", int_u()),
    col("requested_format", String(16), default="csv"),
    col("status", String(20), default="pending"),
    col("options", _longtext(), null=True, required=False),
    col("webhook_url", String(500), null=True, required=False),
    col("webhook_secret", String(255), null=True, required=False),
    col("webhook_headers", Text(), null=True, required=False),
    col("file_path", String(500), null=True, required=False),
    col("rows_exported", int11_u(), null=True),
    col("queued_at", int_u()),
    col("started_at", int_u(), null=True),
    col("completed_at", int_u(), null=True),
    col("failed_at", int_u(), null=True),
    col("last_error", Text(), null=True),
    col("webhook_attempted_at", int_u(), null=True, required=False),
    col("webhook_status_code", int11(), null=True, required=False),
    col("webhook_response_body", _mediumtext(), null=True, required=False),
    col("created_at", int_u()),
    col("updated_at", int_u()),
    idx("model_status", "model_id", "status"),
    idx("user_status", "user_id", "status", required=True, purpose="a user's export jobs by status"),
    idx("queued_at", "queued_at"),
    **_TABLE_OPTS,
)

cronjobs = Table(
    "202_cronjobs", metadata,
    col("cronjob_type", CHAR(5)),
    col("cronjob_time", int11()),
    idx("cronjob_type", "cronjob_type", "cronjob_time", required=True,
        purpose="the rebuild's duplicate-window guard"),
    **_TABLE_OPTS,
)

cronjob_logs = Table(
    "202_cronjob_logs", metadata,
    col("id", int_u(), pk=True, ai=True),
    col("last_execution_time", int_u()),
    **_TABLE_OPTS,
)

clicks = Table(
    "202_clicks", metadata,
    col("click_id", bigint_u()),
    col("user_id", mediumint_u()),
    col("aff_campaign_id", mediumint_u(), default="0"),
    col("landing_page_id", mediumint_u(), default="0", required=False),
    col("ppc_account_id", mediumint_u(), required=False),
    col("click_cpc", _dec(7, 5)),
    col("click_payout", _dec(11, 5), default="0.00000", required=False),
    col("click_lead", tinyint1(), default="0", required=False),
    col("click_filtered", tinyint1(), default="0", required=False),
    col("click_bot", tinyint1(), default="0", required=False),
    col("click_alp", tinyint1(), default="0", required=False),
    col("click_time", int_u()),
    col("rotator_id", int_u(), default="0", required=False),
    col("rule_id", int_u(), default="0", required=False),
    idx("aff_campaign_id", "aff_campaign_id"),
    idx("ppc_account_id", "ppc_account_id"),
    idx("click_lead", "click_lead"),
    idx("click_filtered", "click_filtered"),
    idx("click_id", "click_id", required=True, purpose="a click by id"),
    idx("overview_index", "user_id", "click_filtered", "aff_campaign_id", "ppc_account_id"),
    idx("user_id", "user_id", "click_lead"),
    idx("click_alp", "click_alp"),
    idx("landing_page_id", "landing_page_id"),
    idx("overview_index2", "user_id", "click_filtered", "landing_page_id", "aff_campaign_id"),
    idx("rotator_id", "rotator_id"),
    idx("user_click_time", "user_id", "click_time", upgrade="1.9.61",
        purpose="the journey rule's candidate clicks",
        variant="absent in the runbook era; journey recomputation then scans a user's clicks"),
    **_TABLE_OPTS,
)

users = Table(
    "202_users", metadata,
    col("user_id", mediumint_u(), pk=True, ai=True),
    col("user_fname", String(50), null=True, required=False),
    col("user_lname", String(50), null=True, required=False),
    col("user_name", String(50)),
    col("user_pass", String(255), required=False),
    col("user_email", String(100), required=False),
    col("user_dash_email", String(100), required=False),
    col("user_public_publisher_id", String(10), null=True, required=False),
    col("user_timezone", String(50), default="America/Los_Angeles", required=False),
    col("user_time_register", int_u(), required=False),
    col("user_pass_key", String(255), null=True, required=False),
    col("user_pass_time", int_u(), null=True, required=False),
    col("user_api_key", String(255), null=True, required=False),
    col("user_stats202_app_key", String(255), null=True, required=False),
    col("user_last_login_ip_id", bigint_u(), null=True, required=False),
    col("clickserver_api_key", String(255), null=True, required=False),
    col("install_hash", String(255), required=False),
    col("user_hash", String(255), required=False),
    col("modal_status", int1(), null=True, required=False),
    col("vip_perks_status", int1(), null=True, required=False),
    col("user_active", int1(), default="1"),
    col("user_deleted", int1(), default="0"),
    col("secret_key", CHAR(48), null=True, required=False),
    col("user_mods_lb", tinyint1_u(), default="0", required=False),
    col("p202_customer_api_key", CHAR(60), null=True, required=False),
    idx("user_name_2", "user_name", unique=True),
    idx("user_name", "user_name", "user_pass"),
    idx("user_last_login_ip_id", "user_last_login_ip_id"),
    idx("user_public_publisher_id", "user_public_publisher_id"),
    **_TABLE_OPTS,
)

aff_campaigns = Table(
    "202_aff_campaigns", metadata,
    col("aff_campaign_id", mediumint_u(), pk=True, ai=True),
    col("aff_campaign_id_public", int_u(), null=True, required=False),
    col("user_id", mediumint_u()),
    col("aff_network_id", mediumint_u()),
    col("aff_campaign_deleted", tinyint1(), default="0"),
    col("aff_campaign_name", String(50)),
    col("aff_campaign_url", Text(), required=False),
    col("aff_campaign_url_2", Text(), null=True, required=False),
    col("aff_campaign_url_3", Text(), null=True, required=False),
    col("aff_campaign_url_4", Text(), null=True, required=False),
    col("aff_campaign_url_5", Text(), null=True, required=False),
    col("aff_campaign_payout", _dec(8, 2), required=False),
    col("aff_campaign_cloaking", tinyint1(), default="0", required=False),
    col("aff_campaign_time", int_u(), required=False),
    col("aff_campaign_rotate", tinyint1(), default="0", required=False),
    col("aff_campaign_currency", CHAR(3), default="USD", required=False),
    col("aff_campaign_foreign_payout", _dec(8, 2), required=False),
    col("attribution_model_id", int11(), null=True, required=False, upgrade="1.9.56",
        variant="absent on runbook-era fresh installs"),
    idx("aff_network_id", "aff_network_id"),
    idx("aff_campaign_deleted", "aff_campaign_deleted"),
    idx("user_id", "user_id"),
    idx("idx_attribution_model", "attribution_model_id", upgrade="1.9.56",
        variant="absent on runbook-era fresh installs"),
    idx("aff_campaign_id_public", "aff_campaign_id_public"),
    idx("aff_campaign_id", "aff_campaign_id", "aff_campaign_name"),
    **_TABLE_OPTS,
)

api_keys = Table(
    "202_api_keys", metadata,
    col("user_id", mediumint_u()),
    col("api_key", String(250), default=""),
    col("scope", Text(), null=True, required=False, upgrade="1.9.60",
        variant="absent in the runbook era"),
    col("created_at", int10()),
    **_TABLE_OPTS,
)

# Indexes that must NOT exist: the optional migrations/create_attribution_models_table.sql builds
# a divergent models table (docs/prosper202.md, "Historical layouts") whose UNIQUE(user_id,
# is_default) makes demoting a default impossible once a user has two non-default models.
FORBIDDEN_UNIQUE: list[tuple[str, tuple[str, ...], str]] = [
    (
        "202_attribution_models",
        ("user_id", "is_default"),
        "UNIQUE(user_id, is_default) comes from the optional migrations/"
        "create_attribution_models_table.sql; Prosper202's own code expects a plain KEY "
        "`user_default` (two non-default models of a user then collide)",
    ),
]

ATTRIBUTION_TABLES = [
    "202_conversion_touchpoints",
    "202_conversion_logs",
    "202_attribution_models",
    "202_attribution_settings",
    "202_attribution_snapshots",
    "202_attribution_touchpoints",
    "202_attribution_audit",
    "202_attribution_exports",
]
