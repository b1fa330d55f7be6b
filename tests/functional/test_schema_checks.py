"""Schema checks against real MariaDB layouts: the installer's, ours, and damaged ones."""

from __future__ import annotations

from pathlib import Path

import pymysql
import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from attribtui import checks
from attribtui.infra.db import Database
from attribtui.sandbox.schema import create_schema

# The installer's schema as upstream creates it (MariaDB 10.11, Prosper202 1.9.x; from
# 202-config/functions-install.php, see docs/prosper202.md, "Schema").
REFERENCE = Path(__file__).resolve().parents[1] / "data" / "prosper202-schema.sql"


def run(url: str, only: str) -> dict[str, checks.CheckResult]:
    db = Database(url)
    try:
        ctx = checks.CheckContext(db=db, now=1795696496)
        return {r.id: r for r in checks.run_checks(ctx, checks.select([only]))}
    finally:
        db.close()


def load_sql(url: str, path: Path) -> None:
    u = make_url(url)
    conn = pymysql.connect(host=u.host, port=u.port or 3306, user=u.username, database=u.database,
                           client_flag=pymysql.constants.CLIENT.MULTI_STATEMENTS, autocommit=True)
    with conn, conn.cursor() as cur:
        cur.execute(path.read_text())
        while cur.nextset():
            pass


def test_reference_installer_schema_passes_every_schema_check(fresh_db) -> None:
    url = fresh_db()
    load_sql(url, REFERENCE)
    results = run(url, "schema")
    assert {r.id: r.status for r in results.values()} == {
        "schema.tables": "ok", "schema.columns": "ok", "schema.indexes": "ok"}


@pytest.fixture
def our_schema(fresh_db) -> str:
    url = fresh_db()
    engine = create_engine(url)
    create_schema(engine)
    engine.dispose()
    return url


def test_our_table_definitions_pass_every_schema_check(our_schema: str) -> None:
    assert {r.status for r in run(our_schema, "schema").values()} == {"ok"}


def alter(url: str, sql: str) -> None:
    Database(url).write(lambda c: c.exec_driver_sql(sql))


def test_dropping_a_required_index_fails_schema_indexes(our_schema: str) -> None:
    alter(our_schema, "ALTER TABLE `202_attribution_touchpoints` DROP INDEX snapshot_conv")
    res = run(our_schema, "schema")
    assert res["schema.indexes"].status == "fail"
    assert res["schema.columns"].status == "ok"
    rows = res["schema.indexes"].evidence["rows"]
    assert rows[0][0] == "202_attribution_touchpoints.snapshot_conv" and rows[0][3] == "fail"


def test_an_index_with_another_name_but_the_same_leading_columns_is_fine(our_schema: str) -> None:
    alter(our_schema, "ALTER TABLE `202_conversion_touchpoints` DROP INDEX conv_id, "
          "ADD INDEX my_conv_lookup (conv_id, position)")
    assert run(our_schema, "schema.indexes")["schema.indexes"].status == "ok"


def test_dropping_a_required_column_fails_schema_columns(our_schema: str) -> None:
    alter(our_schema, "ALTER TABLE `202_conversion_logs` DROP COLUMN deleted")
    res = run(our_schema, "schema.columns")["schema.columns"]
    assert res.status == "fail"
    assert res.evidence["rows"][0][:4] == \
        ["202_conversion_logs.deleted", "tinyint NOT NULL", "missing", "fail"]


def test_an_incompatible_type_fails_and_a_wider_one_is_info(our_schema: str) -> None:
    alter(our_schema, "ALTER TABLE `202_attribution_snapshots` MODIFY date_hour VARCHAR(20) NOT NULL")
    assert run(our_schema, "schema.columns")["schema.columns"].status == "fail"
    alter(our_schema, "ALTER TABLE `202_attribution_snapshots` MODIFY date_hour BIGINT UNSIGNED NOT NULL")
    res = run(our_schema, "schema.columns")["schema.columns"]
    assert res.status == "info"
    assert "compatible" in res.evidence["rows"][0][4]


def test_a_missing_table_fails_schema_tables_and_cron_checks_are_skipped(our_schema: str) -> None:
    alter(our_schema, "DROP TABLE `202_cronjob_logs`")
    res = run(our_schema, "schema.tables") | run(our_schema, "cron")
    assert res["schema.tables"].status == "fail"
    assert res["schema.tables"].evidence["rows"] == [["202_cronjob_logs", "missing", "fail"]]
    assert res["cron.attribution_heartbeat"].status == "skipped"
    assert "202_cronjob_logs is missing" in res["cron.attribution_heartbeat"].details
