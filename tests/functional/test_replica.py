"""Replica routing: reads on db.read_url, verification on the primary, lag as db.replica_lag."""

from __future__ import annotations

from sqlalchemy import create_engine

from attribtui import checks
from attribtui.infra.db import Database
from attribtui.prosper.tables import conversion_logs
from attribtui.sandbox.schema import create_schema

T0 = 1795690000


def _conv(conv_id: int, conv_time: int) -> dict:
    return dict(conv_id=conv_id, click_id=conv_id, transaction_id=None, campaign_id=1,
                click_payout=1, user_id=1, click_time=conv_time - 60, conv_time=conv_time,
                time_difference="60", ip="", pixel_type=1, user_agent="ua", deleted=0)


def _db_with(url: str, convs: list[tuple[int, int]]) -> None:
    engine = create_engine(url)
    create_schema(engine)
    with engine.begin() as conn:
        conn.execute(conversion_logs.insert(), [_conv(c, t) for c, t in convs])
    engine.dispose()


def _lag(primary: str, replica: str) -> checks.CheckResult:
    db = Database(primary, read_url=replica)
    try:
        ctx = checks.CheckContext(db=db, now=T0)
        return checks.run_checks(ctx, checks.select(["db.replica_lag"]))[0]
    finally:
        db.close()


def test_reads_go_to_the_replica_and_verification_to_the_primary(fresh_db) -> None:
    primary, replica = fresh_db(), fresh_db()
    _db_with(primary, [(1, T0), (2, T0 + 10)])
    _db_with(replica, [(1, T0)])
    db = Database(primary, read_url=replica)
    count = "SELECT COUNT(*) FROM `202_conversion_logs`"
    assert db.scalar(count) == 1
    assert db.scalar(count, primary=True) == 2
    db.close()


def test_replica_lag_is_measured_from_the_newest_conversions(fresh_db) -> None:
    primary, replica = fresh_db(), fresh_db()
    _db_with(primary, [(1, T0), (2, T0 + 100), (3, T0 + 700)])
    _db_with(replica, [(1, T0)])
    res = _lag(primary, replica)
    assert res.status == "warn"
    assert res.evidence["rows"][0][1] == 601.0


def test_replica_in_sync_is_ok_and_no_replica_is_info(fresh_db) -> None:
    primary, replica = fresh_db(), fresh_db()
    _db_with(primary, [(1, T0)])
    _db_with(replica, [(1, T0)])
    assert _lag(primary, replica).status == "ok"
    assert _lag(primary, None).status == "info"
