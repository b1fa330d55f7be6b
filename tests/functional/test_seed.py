"""The sandbox seeder against the real MariaDB (and SQLite for the demo): determinism, the facts
the data must obey, every planted defect, and the safety refusals."""

from __future__ import annotations

import hashlib
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection

from attribtui import checks
from attribtui.infra import clock
from attribtui.infra.db import Database
from attribtui.prosper import tables as pt
from attribtui.prosper.journey import MAX_TOUCHES, Touch, build_journey, select_candidates
from attribtui.sandbox.defects import DEFECTS, demo_defects, last_cron_run
from attribtui.sandbox.seed import SeedRefused, SeedReport, read_marker, seed
from tests.support import NOW, create_database, drop_database

pytestmark = pytest.mark.mariadb

DEMO_CONVERSIONS = 2000
SMALL = 200
STORY_DEFECTS = ["cron_stopped", "clicks_runbook_era_index"]


@pytest.fixture(scope="module")
def demo() -> Iterator[tuple[str, SeedReport]]:
    """One demo-seeded database shared by the read-only tests of this module."""
    name, url = create_database()
    try:
        # The data-shape tests need the unbroken story: only the demo's cron and schema defects
        # (the integrity defects break journeys, credits and snapshots on purpose).
        yield url, seed(url, conversions=DEMO_CONVERSIONS, now=NOW, defects=STORY_DEFECTS)
    finally:
        drop_database(name)


def _connect(url: str) -> Iterator[Connection]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


@pytest.fixture
def demo_conn(demo: tuple[str, SeedReport]) -> Iterator[Connection]:
    yield from _connect(demo[0])


def _checksum(url: str, table: str, order: str) -> str:
    for conn in _connect(url):
        rows = conn.execute(text(f"SELECT * FROM `{table}` ORDER BY {order}")).all()
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def test_seeding_is_deterministic(fresh_db: Callable[[], str]) -> None:
    a, b = fresh_db(), fresh_db()
    first = seed(a, conversions=SMALL, now=NOW)
    second = seed(b, conversions=SMALL, now=NOW)
    assert first.counts == second.counts
    for table, order in [
        ("202_clicks", "click_id"),
        ("202_conversion_logs", "conv_id"),
        ("202_conversion_touchpoints", "touchpoint_id"),
        ("202_attribution_snapshots", "snapshot_id"),
        ("202_attribution_touchpoints", "touchpoint_id"),
        ("202_attribution_audit", "audit_id"),
    ]:
        assert _checksum(a, table, order) == _checksum(b, table, order), table


def test_counts_and_marker(demo: tuple[str, SeedReport], demo_conn: Connection) -> None:
    url, report = demo
    counts = report.counts
    assert counts["202_conversion_logs"] == DEMO_CONVERSIONS
    assert counts["202_users"] == 3 and counts["202_attribution_models"] == 6
    assert counts["202_clicks"] > DEMO_CONVERSIONS
    assert counts["202_conversion_touchpoints"] > 3 * DEMO_CONVERSIONS
    assert report.defects == STORY_DEFECTS
    assert report.hb == last_cron_run(NOW - 30 * 3600)  # the demo's cron stopped
    assert "password" not in report.url
    marker = read_marker(url)
    assert marker is not None
    assert (marker["now"], marker["conversions"], marker["defects"]) == (
        NOW, DEMO_CONVERSIONS, report.defects
    )

    q = demo_conn.execute
    per_user = dict(q(text("SELECT user_id, COUNT(*) FROM `202_conversion_logs` GROUP BY user_id")).all())
    assert 0.7 < per_user[1] / DEMO_CONVERSIONS < 0.9
    deleted = q(text("SELECT SUM(deleted) FROM `202_conversion_logs`")).scalar()
    assert 0.005 < deleted / DEMO_CONVERSIONS < 0.05
    bad = q(text(
        "SELECT COUNT(*) FROM `202_conversion_logs` l JOIN `202_clicks` c USING (click_id) "
        "WHERE c.click_time >= l.conv_time OR l.conv_time > :now OR l.conv_time < :start"
    ), {"now": NOW, "start": NOW - 7 * 86400}).scalar()
    assert bad == 0
    # conv_id grows with conv_time (the console windows conversions by conv_id ranges).
    times = q(text("SELECT conv_time FROM `202_conversion_logs` ORDER BY conv_id")).scalars().all()
    assert times == sorted(times)
    assert q(text("SELECT last_execution_time FROM `202_cronjob_logs` WHERE id = 2")).scalar() \
        == report.hb
    assert q(text("SELECT cronjob_time FROM `202_cronjobs`")).scalars().all() \
        == [clock.hour(report.hb)]
    keys = q(text("SELECT api_key FROM `202_api_keys`")).scalars().all()
    assert len(keys) == 2 and all(len(k) == 64 and k == k.lower() for k in keys)


def test_journeys_follow_the_rule(demo_conn: Connection) -> None:
    q = demo_conn.execute
    lengths = dict(q(text(
        "SELECT conv_id, COUNT(*) FROM `202_conversion_touchpoints` GROUP BY conv_id"
    )).all())
    assert 3 <= statistics.mean(lengths.values()) <= 6
    assert max(lengths.values()) == MAX_TOUCHES + 1
    assert min(lengths.values()) == 1

    disabled = q(text(
        "SELECT scope_id FROM `202_attribution_settings` WHERE multi_touch_enabled = 0"
    )).scalar()
    convs = q(text(
        "SELECT conv_id, click_id, user_id, campaign_id, click_time, conv_time "
        "FROM `202_conversion_logs` ORDER BY conv_id"
    )).all()
    assert {c.conv_id for c in convs} - set(lengths) == {
        c.conv_id for c in convs if c.campaign_id == disabled
    } != set()

    stored: dict[int, list] = defaultdict(list)
    for row in q(text(
        "SELECT conv_id, click_id, click_time, position FROM `202_conversion_touchpoints` "
        "ORDER BY conv_id, position"
    )):
        stored[row.conv_id].append(row)
    longest = max(lengths, key=lengths.__getitem__)
    sample = [c for c in convs[::10] if c.conv_id in stored]
    sample += [c for c in convs if c.conv_id == longest]
    for conv in sample:
        touches = stored[conv.conv_id]
        assert [t.position for t in touches] == list(range(len(touches)))
        assert [t.click_id for t in touches].count(conv.click_id) == 1
        keys = [(t.click_time, t.click_id) for t in touches]
        assert keys == sorted(keys) and len(touches) <= MAX_TOUCHES + 1
        clicks = [Touch(*r) for r in q(text(
            "SELECT click_id, click_time FROM `202_clicks` WHERE user_id = :u AND aff_campaign_id = :c"
        ), {"u": conv.user_id, "c": conv.campaign_id})]
        expected = build_journey(select_candidates(clicks, conv.conv_time),
                                 Touch(conv.click_id, conv.click_time))
        assert [Touch(t.click_id, t.click_time) for t in touches] == expected


def test_snapshots_replay_the_hourly_cron(demo: tuple[str, SeedReport],
                                          demo_conn: Connection) -> None:
    hb = demo[1].hb
    q = demo_conn.execute
    models = q(text(
        "SELECT model_id, user_id FROM `202_attribution_models` WHERE is_active = 1"
    )).all()
    assert len(models) == 5
    for model_id, user_id in models:
        expected = dict(q(text(
            "SELECT conv_time - conv_time % 3600 AS h, COUNT(*) FROM `202_conversion_logs` "
            "WHERE user_id = :u AND deleted = 0 AND conv_time <= :hb GROUP BY h"
        ), {"u": user_id, "hb": hb}).all())
        snapshots = dict(q(text(
            "SELECT date_hour, attributed_conversions FROM `202_attribution_snapshots` "
            "WHERE model_id = :m AND scope_type = 'global' AND scope_id IS NULL"
        ), {"m": model_id}).all())
        assert snapshots == expected, model_id
    sums = q(text(
        "SELECT SUM(credit) FROM `202_attribution_touchpoints` GROUP BY snapshot_id, conv_id"
    )).scalars().all()
    assert sums and all(abs(s - Decimal(1)) <= Decimal("0.001") for s in sums)
    bad_clicks = q(text(
        "SELECT COUNT(*) FROM `202_attribution_snapshots` s WHERE attributed_clicks <> "
        "(SELECT COUNT(*) FROM `202_attribution_touchpoints` t WHERE t.snapshot_id = s.snapshot_id)"
    )).scalar()
    assert bad_clicks == 0
    rebuilds = q(text(
        "SELECT MAX(created_at), COUNT(*) FROM `202_attribution_audit` WHERE action = 'snapshot_rebuild'"
    )).one()
    assert rebuilds[0] == hb and rebuilds[1] > 5 * 100


@pytest.mark.parametrize("defect_id", list(DEFECTS))
def test_each_defect_plants_and_is_found(fresh_db: Callable[[], str], defect_id: str) -> None:
    """The registry is a contract: each finding's check reports it, and nothing else is wrong."""
    url = fresh_db()
    defect = DEFECTS[defect_id]
    report = seed(url, conversions=SMALL, now=NOW, defects=[defect_id])
    assert report.defects == [defect_id]
    assert read_marker(url)["defects"] == [defect_id]
    wanted = {f.check_id.split(".")[0] for f in defect.findings}
    db = Database(url)
    try:
        ctx = checks.CheckContext(db=db, now=NOW)
        results = {r.id: r for r in checks.run_checks(ctx, checks.select(sorted(wanted)))}
    finally:
        db.close()
    for finding in defect.findings:
        result = results[finding.check_id]
        rows = [" ".join(map(str, row)) for row in (result.evidence or {}).get("rows", [])]
        assert result.status == finding.status, (finding, result.details)
        assert any(finding.match in row for row in rows), (finding, rows)
    expected = {f.check_id for f in defect.findings}
    assert {i: r.status for i, r in results.items()
            if i not in expected and r.status not in ("ok", "info")} == {}


def test_refuses_a_remote_host() -> None:
    with pytest.raises(SeedRefused, match=r"10\.1\.2\.3.*allow_remote"):
        seed("mysql+pymysql://root@10.1.2.3:3306/sandbox", now=NOW)


def test_refuses_a_forbidden_url(fresh_db: Callable[[], str]) -> None:
    url = fresh_db()
    same_db = url.replace("127.0.0.1:3306", "localhost")  # other spelling, default port
    with pytest.raises(SeedRefused, match="production or unknown profile"):
        seed(url, now=NOW, forbidden_urls=[same_db])


def test_refuses_an_unmarked_prosper_database(fresh_db: Callable[[], str]) -> None:
    url = fresh_db()
    engine = create_engine(url)
    pt.clicks.create(engine)
    engine.dispose()
    for reset in (False, True):
        with pytest.raises(SeedRefused, match="202_clicks.*not an attribtui sandbox"):
            seed(url, now=NOW, reset=reset)


def test_refuses_a_sandbox_without_reset_and_reseeds_with_it(fresh_db: Callable[[], str]) -> None:
    url = fresh_db()
    seed(url, conversions=SMALL, now=NOW, defects="none")
    with pytest.raises(SeedRefused, match="already an attribtui sandbox.*reset"):
        seed(url, conversions=SMALL, now=NOW)
    report = seed(url, conversions=150, now=NOW, defects="none", reset=True)
    assert read_marker(url)["conversions"] == 150
    for conn in _connect(url):
        count = conn.execute(text("SELECT COUNT(*) FROM `202_conversion_logs`")).scalar()
    assert count == report.counts["202_conversion_logs"] == 150


def test_sqlite_demo(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo' / 'attribtui.sqlite'}"
    report = seed(url, conversions=300, now=NOW)
    assert report.defects == [d.id for d in demo_defects()]
    assert read_marker(url)["hb"] == report.hb
    engine = create_engine(url)
    try:
        indexes = {i["name"] for i in inspect(engine).get_indexes("202_clicks")}
        assert "202_clicks__user_id" in indexes
        assert "202_clicks__user_click_time" not in indexes
        with engine.begin() as conn:  # autoincrement primary keys work on SQLite too
            before = conn.execute(text("SELECT MAX(audit_id) FROM `202_attribution_audit`")).scalar()
            conn.execute(pt.attribution_audit.insert(), {
                "user_id": 1, "model_id": None, "action": "probe", "created_at": NOW})
            after = conn.execute(text("SELECT MAX(audit_id) FROM `202_attribution_audit`")).scalar()
        assert after == before + 1
    finally:
        engine.dispose()
    with pytest.raises(ValueError, match="needs MariaDB"):
        seed(f"sqlite:///{tmp_path / 'other.sqlite'}", defects=["divergent_models_table"])
