"""The grouped candidate read (services/journeys/prefetch.py) against upstream's per-conversion
query (queries/clicks.py candidate_clicks), on the real MariaDB and on SQLite (the demo).

Random clicks and conversions, including ties on click_time, repeated click ids, more than 25
candidates, windows that barely overlap or just miss, clicks exactly at (and one second beyond)
the window bounds, windows clamped at 0, and caps and spreads small enough that groups split into
spans and reads are cut and resumed; and one pass over the table for all of them (by scan).
Every conversion's candidates must be identical, row by row.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from attribtui.infra.config import DbConfig, JourneysConfig, Profile
from attribtui.infra.db import Database, Params, QueryCancelled, QueryTimeout, RawRow
from attribtui.prosper import tables as pt
from attribtui.prosper.journey import LOOKBACK_SECONDS as LB
from attribtui.prosper.journey import MAX_TOUCHES, Touch
from attribtui.queries.clicks import candidate_clicks
from attribtui.sandbox.schema import create_schema
from attribtui.sandbox.seed import seed
from attribtui.services import journeys
from attribtui.services.journeys.groups import MAX_SPREAD, ROW_CAP, GroupBy, Span
from attribtui.services.journeys.prefetch import (
    Prefetch,
    group_by,
    prefetch_all,
    read_scan,
    read_span,
)
from tests.support import NOW, create_database, drop_database

pytestmark = pytest.mark.mariadb

DAY = 86400
# (user_id, campaign_id); (1, 2) and (2, 1) share one axis each; user 1 reads three campaigns
GROUPS = [(1, 1), (1, 2), (2, 1), (1, 3)]
# (cap, max_spread): the defaults, then cuts at the smallest cap, spans split, both at once;
# each grouped by campaign and by user (several campaigns a read, rows split in Python).
CONFIGS: list[tuple[int, int, GroupBy]] = [
    (cap, spread, by) for cap, spread in [(ROW_CAP, MAX_SPREAD), (MAX_TOUCHES, MAX_SPREAD),
                                          (27, DAY), (40, 0)]
    for by in ("campaign", "user")]
Conv = tuple[int, int, int]  # user_id, campaign_id, conv_time
Click = tuple[int, int, int, int]  # user_id, campaign_id, click_id, click_time


@pytest.fixture(scope="module", params=["mariadb", "sqlite"])
def clicks_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[Database]:
    """An empty Prosper202 schema; each example replaces 202_clicks' rows."""
    name = None
    if request.param == "mariadb":
        name, url = create_database()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('groups') / 'groups.sqlite'}"
    engine = create_engine(url)
    create_schema(engine)
    engine.dispose()
    db = Database(url)
    yield db
    db.close()
    if name:
        drop_database(name)


def _replace_clicks(db: Database, clicks: list[Click]) -> None:
    rows = [{"click_id": cid, "user_id": user, "aff_campaign_id": campaign, "landing_page_id": 1,
             "ppc_account_id": 1, "click_cpc": 0, "click_payout": 0, "click_time": t}
            for user, campaign, cid, t in clicks]

    def go(conn: Connection) -> None:
        conn.execute(pt.clicks.delete())
        if rows:
            conn.execute(pt.clicks.insert(), rows)

    db.write(go, what="test clicks")


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[Conv], list[Click]]:
    """Conversions chained by gaps around the lookback, and clicks around their bounds."""
    anchor = draw(st.sampled_from([100 * DAY, 3 * DAY]))  # 3 days: windows clamp at 0
    gaps = draw(st.lists(st.sampled_from([0, 1, 60, DAY, LB - 1, LB, LB + 1, 2 * LB + 5]),
                         max_size=7))
    times = list(itertools.accumulate(gaps, initial=anchor))
    convs = [(*draw(st.sampled_from(GROUPS)), t) for t in times]
    near: set[int] = set()
    for *_, t in convs:
        near |= {t, t - 1, t + 1, t - LB, t - LB - 1, t - LB + 1, max(0, t - LB)}
    near_times = st.sampled_from(sorted(x for x in near if x >= 0))
    any_time = st.integers(max(0, times[0] - LB - 2), times[-1] + 2)
    click = st.tuples(st.sampled_from(GROUPS), st.integers(1, 40),
                      st.one_of(near_times, any_time))
    clicks = [(*g, cid, t) for g, cid, t in draw(st.lists(click, max_size=60))]
    # A burst in one conversion's group: more than 25 candidates, tied on a few times.
    user, campaign, t0 = draw(st.sampled_from(convs))
    burst_times = st.sampled_from([t0, t0 - 1, t0 - 60, max(0, t0 - LB)])
    size = draw(st.sampled_from([0, 10, 26, 45]))
    burst = draw(st.lists(st.tuples(st.integers(1, 60), burst_times), min_size=size,
                          max_size=size))
    clicks += [(user, campaign, cid, t) for cid, t in burst]
    return convs, clicks


def _assert_same(db: Database, convs: list[Conv], clicks: list[Click], drawn_cap: int = ROW_CAP
                 ) -> dict[Conv, list[Touch]]:
    """The grouped read under every config equals the per-conversion query; returns the latter."""
    _replace_clicks(db, clicks)
    read = db.reader()
    reference = {c: candidate_clicks(read, *c) for c in convs}
    drawn: list[tuple[int, int, GroupBy]] = [(drawn_cap, DAY, "campaign"),
                                             (drawn_cap, DAY, "user"), (drawn_cap, DAY, "scan")]
    for cap, spread, by in [*CONFIGS, *drawn]:
        grouped = prefetch_all(db, convs, workers=2, cap=cap, max_spread=spread, by=by)
        for conv in convs:
            assert grouped[conv] == reference[conv], (conv, cap, spread, by)
    return reference


def _note_coverage(convs: list[Conv], clicks: list[Click], reference: dict[Conv, list[Touch]],
                   drawn_cap: int) -> None:
    """What an example covers, for --hypothesis-show-statistics."""
    for rows in reference.values():
        event(f"{MAX_TOUCHES} candidates (the cap)" if len(rows) == MAX_TOUCHES else "fewer")
        if len({t.click_id for t in rows}) < len(rows):
            event("a repeated click id among the candidates")
        if len({t.click_time for t in rows}) < len(rows):
            event("candidates tied on click_time")
    if any(len({c for u, c, _ in convs if u == user}) > 1 for user in {c[0] for c in convs}):
        event("one user's conversions on several campaigns (one read by user)")
    for user, campaign in {c[:2] for c in convs}:
        times = sorted(t for u, c, t in convs if (u, c) == (user, campaign))
        mine = [t for u, c, _, t in clicks if (u, c) == (user, campaign)]
        if sum(max(0, times[0] - LB) <= t <= times[-1] for t in mine) > drawn_cap:
            event("a group's read cut at the drawn cap")
        if any(b - a in (LB - 1, LB, LB + 1) for a, b in itertools.combinations(times, 2)):
            event("windows that barely overlap or just miss")
        if set(mine) & {x for t in times for x in (t, max(0, t - LB))}:
            event("a click exactly at a window bound")

T = 100 * DAY


@given(scenarios(), st.integers(MAX_TOUCHES, 60))
@settings(max_examples=150, deadline=None, derandomize=True, database=None)
# 30 clicks tied on conv_time (two repeated ids) and the window's two bounds, one beyond each.
@example(([(1, 1, T), (1, 1, T + LB), (1, 1, T + LB + 1)],
          [(1, 1, i % 28, T) for i in range(30)]
          + [(1, 1, 5, T - LB), (1, 1, 6, T - LB - 1), (1, 1, 7, T + 1), (1, 1, 5, T + LB)]), 25)
# A read cut inside 20 clicks tied on a conversion's window start: the rows at that second not
# read yet are still candidates, so that conversion is read again.
@example(([(1, 1, T + LB), (1, 1, T + LB + 100)],
          [(1, 1, i, T) for i in range(1, 21)] + [(1, 1, 100 + i, T + LB + 50) for i in range(10)]),
         25)
def test_grouped_candidates_match_the_per_conversion_query(
        clicks_db: Database, scenario: tuple[list[Conv], list[Click]], cap: int) -> None:
    convs, clicks = scenario
    reference = _assert_same(clicks_db, convs, clicks, cap)
    _note_coverage(convs, clicks, reference, cap)


def test_a_read_cut_at_its_cap_resumes_below_the_conversions_it_settled(
        clicks_db: Database) -> None:
    """200 clicks a minute apart and 10 conversions of one campaign: a cap of 30 rows cuts the
    read many times, and every conversion still gets exactly its 25."""
    clicks = [(1, 1, i, T + 60 * i) for i in range(200)]
    convs = [(1, 1, T + 60 * i) for i in range(5, 200, 20)]
    _assert_same(clicks_db, convs, clicks)
    for by in ("campaign", "user"):
        grouped = prefetch_all(clicks_db, convs, workers=1, cap=30, by=by)
        assert all(len(grouped[c]) == min(MAX_TOUCHES, (c[2] - T) // 60 + 1) for c in convs)


def test_a_sweep_by_user_trims_cut_pages_and_ends_on_a_crowded_second(
        clicks_db: Database) -> None:
    """Campaign 2's 100 newer clicks crowd a 30-row page of both campaigns, and 40 clicks share
    one second: pages cut at the cap are trimmed to whole seconds, and the crowded second is
    read per campaign; every conversion still gets exactly the per-conversion query's rows."""
    clicks = [(1, 2, 1000 + i, T + 10_000 + i) for i in range(100)]
    clicks += [(1, 1, i, T + 60 * i) for i in range(40)]
    clicks += [(1, 3, 500 + i, T + 5_000) for i in range(40)]
    convs = [(1, 1, T + 60 * 30), (1, 1, T + 60 * 39), (1, 2, T + 10_050), (1, 3, T + 5_000),
             (1, 3, T + 5_001)]
    _assert_same(clicks_db, convs, clicks, 30)
    reads: list[str] = []
    real = clicks_db.reader()

    def counted(sql: str, params: Params | None = None, /) -> Sequence[RawRow]:
        reads.append(sql)
        return real(sql, params)

    for by in ("user", "campaign"):
        reads.clear()
        span = Span(1, tuple(sorted(((c, t) for _, c, t in convs), key=lambda m: m[1])), by)
        assert read_span(counted, span, 30) == {(c, t): candidate_clicks(real, 1, c, t)
                                                 for c, t in span.conversions}
        assert "IN (1, 2, 3)" in reads[0]
        assert by == "campaign" or any("IN (3)" in r for r in reads)  # the crowded second


@pytest.mark.parametrize(("key", "expected"), [
    ("user_click_time", "user"), ("overview_index", "user"), (None, "user"),
    ("aff_campaign_id", "campaign"), ("an_operators_own_index", "campaign")])
def test_the_servers_plan_decides_the_grouping(key: str | None, expected: str) -> None:
    """An index leading with user_id (or a table scan) reads the user's clicks: group by user."""
    def explain(sql: str, params: Params | None = None, /) -> Sequence[RawRow]:
        assert sql.startswith("EXPLAIN SELECT")
        row = type("Row", (), {"_mapping": {"key": key}})()
        return [row]  # type: ignore[list-item]

    assert group_by(explain, [(1, 1, T)], sqlite=False) == expected
    assert group_by(explain, [(1, 1, T)], sqlite=True) == "campaign"  # no EXPLAIN of that shape


@pytest.mark.parametrize(("campaign_rows", "table_rows", "timeout_ms", "expected"), [
    (10, 1000, 5000, "campaign"), (49, 1000, 5000, "campaign"), (50, 1000, 5000, "scan"),
    (900, 1000, 5000, "scan"), (0, 0, 5000, "campaign"),
    # 5M rows: 2.5 s a pass; within half of 5 s, not of 4 s
    (10**6, 5 * 10**6, 5000, "scan"), (10**6, 5 * 10**6, 4000, "campaign")])
def test_campaigns_holding_a_large_share_of_the_table_are_read_in_one_scan(
        campaign_rows: int, table_rows: int, timeout_ms: int, expected: str) -> None:
    """Under the campaign key, several campaigns whose index rows reach SCAN_SHARE (5 %) of the
    table's (EXPLAIN's estimates) are read in one pass, when the pass fits in half the statement
    timeout at SCAN_ROWS_PER_S; one campaign never is."""
    def explain(sql: str, params: Params | None = None, /) -> Sequence[RawRow]:
        rows = campaign_rows if "IN (1, 2)" in sql else table_rows
        row = type("Row", (), {"_mapping": {"key": "aff_campaign_id", "rows": rows}})()
        return [row]  # type: ignore[list-item]

    keys = [(1, 1, T), (1, 2, T)]
    assert group_by(explain, keys, sqlite=False, timeout_ms=timeout_ms) == expected
    assert group_by(explain, [(1, 1, T), (1, 1, T + 1)], sqlite=False) == "campaign"


def test_mariadb_explains_the_candidate_query(clicks_db: Database) -> None:
    if clicks_db.is_sqlite:
        pytest.skip("MariaDB's EXPLAIN")
    assert group_by(clicks_db.reader(), [(1, 1, T)], sqlite=False) in ("campaign", "user")
    _replace_clicks(clicks_db, [(1, c, c, T) for c in range(1, 21)])
    assert group_by(clicks_db.reader(), [(1, 1, T), (1, 2, T)], sqlite=False) in ("scan", "user")


def test_a_scan_past_the_statement_timeout_falls_back_to_the_reads_by_span(
        clicks_db: Database) -> None:
    """The server stops the pass over the table (a statement timeout, or no window functions):
    the reads by span still bring the per-conversion query's rows."""
    clicks = [(1, 1 + i % 3, i, T + DAY * i) for i in range(40)]
    convs = [(1, 1 + i % 3, T + DAY * i + 5) for i in range(0, 40, 3)]
    _replace_clicks(clicks_db, clicks)
    real = clicks_db.reader()
    stopped = []

    def strict(sql: str, params: Params | None = None, /) -> Sequence[RawRow]:
        if "ROW_NUMBER" in sql:
            stopped.append(sql)
            raise QueryTimeout("query exceeded 5000 ms (db.statement_timeout_ms)")
        return real(sql, params)

    found = read_scan(strict, convs, sqlite=clicks_db.is_sqlite)
    assert found == {c: candidate_clicks(real, *c) for c in convs}
    assert len(stopped) == 1
    assert read_scan(real, convs, sqlite=clicks_db.is_sqlite) == found


@pytest.mark.parametrize("by", ["campaign", "user"])
def test_a_span_whose_read_times_out_falls_back_to_the_per_conversion_query(
        clicks_db: Database, by: GroupBy) -> None:
    """The server stops reads wider than one lookback (as a statement timeout would stop the
    span's wider scan, or a sweep's page once its width has grown past the lookback): the real
    rows still arrive, through upstream's own query."""
    clicks = [(1, 1, i, T + DAY * i) for i in range(40)] + [(1, 1, 7, T + DAY * 7)]
    convs = [(1, 1, T + DAY * i + 5) for i in range(0, 40, 3)]
    _replace_clicks(clicks_db, clicks)
    real = clicks_db.reader()
    stopped = []

    def strict(sql: str, params: Params | None = None, /) -> Sequence[RawRow]:
        bounds = dict(params or {})
        if int(str(bounds["end"])) - int(str(bounds["start"])) > LB:
            stopped.append(bounds)
            raise QueryTimeout("query exceeded 5000 ms (db.statement_timeout_ms)")
        return real(sql, params)

    found = read_span(strict, Span(1, tuple((1, c[2]) for c in convs), by))
    assert found == {(1, c[2]): candidate_clicks(real, *c) for c in convs}
    assert len(stopped) == 1
    assert any(len(v) == MAX_TOUCHES for v in found.values())


@pytest.fixture(scope="module", params=["mariadb", "sqlite"])
def seeded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[str]:
    """A sandbox with the demo's defects (journeys that differ, duplicated clicks, ...)."""
    name = None
    if request.param == "mariadb":
        name, url = create_database()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('seeded') / 'seeded.sqlite'}"
    seed(url, conversions=400, now=NOW, defects="demo")
    yield url
    if name:
        drop_database(name)


@pytest.mark.parametrize("workers", [1, 3])
def test_enrich_many_reports_what_enrich_reports(seeded: str, workers: int) -> None:
    """Whole reports (expected journey, diff, verdict, findings, credits) through both paths."""
    profile = Profile(name="t", environment="dev", db=DbConfig(url=seeded),
                      journeys=JourneysConfig(recompute_workers=workers))
    db = Database(seeded)
    try:
        ids = list(range(1, 401))
        reference = journeys.lookup(db, ids)
        memo = journeys.Memo()
        for r in reference:
            journeys.enrich(db, profile, r, memo)
        grouped = journeys.lookup(db, ids)
        journeys.enrich_many(db, profile, grouped)
    finally:
        db.close()
    found = [r for r in reference if r.found]
    assert len(found) > 300
    assert any(r.recomputed and r.recomputed.changes for r in found)  # not a trivial sample
    for a, b in zip(reference, grouped, strict=True):
        assert replace(a, cache=None) == replace(b, cache=None), a.conv_id


def test_group_reads_go_to_the_replica_and_verification_to_the_primary(tmp_path: Path) -> None:
    """Two SQLite files stand for a primary and its replica, each with a click of its own."""
    urls = {}
    for role, click_id in (("primary", 1), ("replica", 2)):
        urls[role] = f"sqlite:///{tmp_path / role}.sqlite"
        engine = create_engine(urls[role])
        create_schema(engine)
        engine.dispose()
        db = Database(urls[role])
        _replace_clicks(db, [(1, 1, click_id, T - 60)])
        db.close()
    db = Database(urls["primary"], read_url=urls["replica"])
    try:
        key = (1, 1, T)
        assert [t.click_id for t in prefetch_all(db, [key], workers=2)[key]] == [2]
        assert [t.click_id for t in prefetch_all(db, [key], workers=2, primary=True)[key]] == [1]
    finally:
        db.close()


def test_a_left_prefetch_issues_no_more_reads(clicks_db: Database) -> None:
    """Leaving a lookup (a cancelled screen, a profile switch) stops its spans between two
    reads: a read after close is refused at once instead of running to the statement timeout."""
    with Prefetch(clicks_db, [(1, 1, T)], workers=1) as pre:
        assert pre.candidates((1, 1, T)) == candidate_clicks(clicks_db.reader(), 1, 1, T)
    with pytest.raises(QueryCancelled):
        pre._stoppable(clicks_db.reader())(f"SELECT COUNT(*) FROM `{pt.clicks.name}`")
