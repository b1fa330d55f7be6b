"""Golden fixtures as databases: build one from its rows in a real MariaDB database.

A golden file (tests/golden/{api,cron,runner}/*.json) holds its database as data: the rows of each
table, terse (columns a table requires but the case does not care about get fixed filler here),
plus the users' permissions. `build()` creates the tables from tests/data/prosper202-schema.sql
(the real installer's DDL) and inserts the rows. The conformance harness
(tools/conformance/engine/) builds the very same database for upstream's PHP and adds what
upstream's bootstrap needs besides (`upstream_env=True`): 202_version at the code's version and the
role tables that grant the permissions. Our emulator reads permissions from 202_api_keys.scope
instead (a JSON list), so `build()` writes both from the same `permissions` entry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pymysql

from tests.support import MARIADB_HOST, MARIADB_PORT

SCHEMA = Path(__file__).parent / "data" / "prosper202-schema.sql"
GOLDEN = Path(__file__).parent / "golden"
VERSION = "1.9.64"  # 202-config/version.php at ceec1ee

# Filler for NOT NULL columns without a default that no golden case reads.
FILLER: dict[str, dict[str, object]] = {
    "202_users": {"user_pass": "x", "user_email": "u@example.invalid",
                  "user_dash_email": "u@example.invalid", "user_time_register": 0,
                  "install_hash": "h", "user_hash": "h"},
    "202_conversion_logs": {"time_difference": "", "pixel_type": 0, "user_agent": "",
                            "click_payout": 0, "campaign_id": 0},
    "202_clicks": {"ppc_account_id": 0, "click_cpc": 0},
    "202_aff_campaigns": {"aff_campaign_name": "c", "aff_campaign_url": "http://example.invalid",
                          "aff_campaign_payout": 0, "aff_campaign_time": 0,
                          "aff_campaign_foreign_payout": 0, "aff_network_id": 0},
    "202_api_keys": {"created_at": 0},
}

# Upstream's own bootstrap tables (202-config/Database/Tables/UserTables.php, CoreTables.php),
# reduced to the columns connect.php, User and Role read.
UPSTREAM_ENV_DDL = (
    "CREATE TABLE `202_version` (`version` varchar(50) NOT NULL)",
    "CREATE TABLE `202_roles` (`role_id` int(11) NOT NULL AUTO_INCREMENT, `role_name` "
    "varchar(50) NOT NULL, PRIMARY KEY (`role_id`))",
    "CREATE TABLE `202_permissions` (`permission_id` int(11) NOT NULL AUTO_INCREMENT, "
    "`permission_description` varchar(50) NOT NULL, PRIMARY KEY (`permission_id`))",
    "CREATE TABLE `202_role_permission` (`role_id` int(11) NOT NULL, `permission_id` int(11) "
    "NOT NULL)",
    "CREATE TABLE `202_user_role` (`user_id` mediumint(8) unsigned NOT NULL, `role_id` int(11) "
    "NOT NULL)",
)
PERMISSIONS = ("view_attribution_reports", "manage_attribution_models")

# The 1.9.56 layout of 202_attribution_settings (functions-upgrade.php, the 1.9.56 block): no
# multi_touch_* columns and no user_scope_model / user_scope_multi_touch.
SETTINGS_1956 = (
    "CREATE TABLE `202_attribution_settings` (`setting_id` int(10) unsigned NOT NULL "
    "AUTO_INCREMENT, `user_id` mediumint(8) unsigned NOT NULL, `scope_type` varchar(50) NOT "
    "NULL, `scope_id` bigint(20) unsigned DEFAULT NULL, `model_id` int(10) unsigned NOT NULL, "
    "`effective_at` int(10) unsigned NOT NULL, `created_at` int(10) unsigned NOT NULL, "
    "`updated_at` int(10) unsigned NOT NULL, PRIMARY KEY (`setting_id`), UNIQUE KEY `user_scope` "
    "(`user_id`,`scope_type`,`scope_id`), KEY `model_lookup` (`model_id`)) ENGINE=InnoDB "
    "DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci"
)

Fixture = Mapping[str, object]


def admin() -> pymysql.connections.Connection:
    return pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", autocommit=True)


def schema_statements() -> list[str]:
    text = SCHEMA.read_text()
    text = re.sub(r"^--.*$|/\*.*?\*/;?", "", text, flags=re.M)
    return [s.strip() for s in text.split(";\n") if s.strip().upper().startswith("CREATE")]


def load(path: str | Path) -> dict[str, object]:
    data: dict[str, object] = json.loads(Path(path).read_text())
    return data


def _rows(fixture: Fixture) -> Mapping[str, Sequence[Mapping[str, object]]]:
    tables = fixture.get("tables", {})
    assert isinstance(tables, Mapping)
    return tables


def build(database: str, fixture: Fixture, *, upstream_env: bool = False) -> None:
    """Create `database` afresh with the installer's tables and the fixture's rows."""
    permissions = fixture.get("permissions", {})
    assert isinstance(permissions, Mapping)
    with admin() as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{database}`")
        cur.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4 "
                    "COLLATE utf8mb4_general_ci")
        cur.execute(f"USE `{database}`")
        for stmt in schema_statements():
            if fixture.get("settings_layout") == "1.9.56" and "`202_attribution_settings`" in stmt:
                stmt = SETTINGS_1956
            cur.execute(stmt)
        for table, rows in _rows(fixture).items():
            for row in rows:
                full = {**FILLER.get(table, {}), **row}
                if table == "202_users":
                    full.setdefault("user_name", f"user{full['user_id']}")
                if table == "202_api_keys" and "scope" not in row:
                    full["scope"] = json.dumps(list(permissions.get(str(full["user_id"]), [])))
                cols = ", ".join(f"`{c}`" for c in full)
                marks = ", ".join(["%s"] * len(full))
                cur.execute(f"INSERT INTO `{table}` ({cols}) VALUES ({marks})",
                            [json.dumps(v) if isinstance(v, dict | list) else v
                             for v in full.values()])
        for stmt in fixture.get("sql", []) or []:  # type: ignore[union-attr]
            cur.execute(stmt)  # e.g. a trigger that makes one journey write fail
        if upstream_env:
            _upstream_env(cur, permissions)


def _upstream_env(cur: pymysql.cursors.Cursor, permissions: Mapping[str, object]) -> None:
    for stmt in UPSTREAM_ENV_DDL:
        cur.execute(stmt)
    cur.execute("INSERT INTO `202_version` VALUES (%s)", [VERSION])
    for pid, name in enumerate(PERMISSIONS, 1):
        cur.execute("INSERT INTO `202_permissions` VALUES (%s, %s)", [pid, name])
    for user_id, granted in permissions.items():
        assert isinstance(granted, list)
        cur.execute("INSERT INTO `202_roles` (role_name) VALUES (%s)", [f"role-{user_id}"])
        role_id = cur.lastrowid
        cur.execute("INSERT INTO `202_user_role` VALUES (%s, %s)", [int(user_id), role_id])
        for name in granted:
            cur.execute("INSERT INTO `202_role_permission` VALUES (%s, %s)",
                        [role_id, PERMISSIONS.index(name) + 1])


def drop(database: str) -> None:
    with admin() as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{database}`")


# What a golden case compares of the database after it ran: these tables, in this order.
STATE_TABLES = {
    "202_attribution_models": "model_id",
    "202_attribution_snapshots": "snapshot_id",
    "202_attribution_touchpoints": "touchpoint_id",
    "202_attribution_audit": "audit_id",
    "202_attribution_exports": "export_id",
    "202_attribution_settings": "setting_id",
    "202_conversion_touchpoints": "touchpoint_id",
    "202_cronjobs": "cronjob_type, cronjob_time",
    "202_cronjob_logs": "id",
}


def dump(database: str, tables: Sequence[str] = tuple(STATE_TABLES)) -> dict[str, list[dict[str, object]]]:
    """The rows of `tables` as JSON-able dicts (decimals as strings), in primary-key order."""
    out: dict[str, list[dict[str, object]]] = {}
    with pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", database=database,
                         cursorclass=pymysql.cursors.DictCursor) as conn, conn.cursor() as cur:
        for table in tables:
            cur.execute(f"SELECT * FROM `{table}` ORDER BY {STATE_TABLES.get(table, '1')}")
            out[table] = [{k: (str(v) if not isinstance(v, int | str | type(None)) else v)
                           for k, v in r.items()} for r in cur.fetchall()]
    return out
