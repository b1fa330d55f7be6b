"""Integrity checks against the real MariaDB: each planted defect alone, a clean database, the
statement timeout, and the rows each check query examines (ANALYZE FORMAT=JSON)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pymysql
import pytest
from sqlalchemy import create_engine, text

from attribtui import checks
from attribtui.checks import recent as w
from attribtui.infra.db import Database
from attribtui.sandbox.defects import _INTEGRITY, DEFECTS, demo_defects
from attribtui.sandbox.seed import read_marker, seed
from attribtui.vocab import worst
from tests.support import MARIADB_HOST, MARIADB_PORT, NOW, create_database, drop_database

pytestmark = pytest.mark.mariadb

INTEGRITY_GROUPS = ("models", "snapshots", "credits", "journeys", "settings", "exports", "coverage")
INTEGRITY = [s.id for s in checks.select(None)
             if s.group in INTEGRITY_GROUPS or s.id == "cron.rebuild_crosscheck"]
NOT_OK = {"warn", "fail", "error", "skipped"}
# Every defect whose findings include an integrity check (the schema/cron ones are tested in
# test_check_command.py and test_seed.py).
DEFECT_IDS = sorted(d.id for d in DEFECTS.values()
                    if any(f.check_id in INTEGRITY for f in d.findings))


def run(url: str, *, window_s: int = 48 * 3600, timeout_ms: int = 5000,
        only: list[str] | None = None, sql_log: list | None = None) -> dict[str, checks.CheckResult]:
    db = Database(url, statement_timeout_ms=timeout_ms)
    try:
        ctx = checks.CheckContext(db=db, now=NOW, window_s=window_s)
        if sql_log is not None:
            ctx.cache["sql_log"] = sql_log
        return {r.id: r for r in checks.run_checks(ctx, checks.select(only))}
    finally:
        db.close()


def expected_statuses(defects) -> dict[str, str]:
    out: dict[str, str] = {}
    for d in defects:
        for f in d.findings:
            out[f.check_id] = worst([out.get(f.check_id, "ok"), f.status])
    return out


def assert_found_exactly(results: dict[str, checks.CheckResult], defects) -> None:
    found = {cid: r.status for cid, r in results.items() if r.status in NOT_OK}
    found.pop("db.clock_skew", None)  # compares with the real wall clock
    assert found == expected_statuses(defects)
    for d in defects:
        for f in d.findings:
            r = results[f.check_id]
            rows = [" ".join(map(str, row)) for row in (r.evidence or {}).get("rows", [])]
            assert any(f.match in row for row in rows), f"{d.id}: {f.match!r} not in {rows}"
            if f.status in ("warn", "fail"):
                assert r.remediation, f"{f.check_id} has no remediation"


@pytest.mark.parametrize("defect_id", DEFECT_IDS)
def test_each_integrity_defect_is_found_on_its_own(defect_id: str, fresh_db, frozen_clock) -> None:
    url = fresh_db()
    report = seed(url, conversions=300, now=NOW, defects=[defect_id])
    assert_found_exactly(run(url), [DEFECTS[defect_id]])
    if DEFECTS[defect_id] in _INTEGRITY:
        assert report.affected[defect_id], "an integrity plant names what it touched"


def test_clean_database_passes_every_integrity_check(clean_url: str, frozen_clock) -> None:
    results = run(clean_url)
    assert {cid: r.status for cid, r in results.items()
            if cid in INTEGRITY and r.status not in ("ok", "info")} == {}
    assert results["coverage.summary"].status == "info"
    assert "with a journey" in results["coverage.summary"].details


def test_demo_reports_every_planted_defect_with_evidence_and_a_fix(seeded_url: str,
                                                                   frozen_clock) -> None:
    results = run(seeded_url)
    assert_found_exactly(results, demo_defects())
    marker = read_marker(seeded_url)
    journeys = results["journeys.sample"].evidence
    listed = {row[0] for row in journeys["rows"]}
    for defect_id in ("journey_position_gap", "journey_converting_missing",
                      "journey_duplicate_click", "journey_outside_lookback",
                      "journey_too_many_touches"):
        assert set(marker["affected"][defect_id]["conv_ids"]) <= listed, defect_id
    missing = {row[0] for row in results["journeys.missing"].evidence["rows"]}
    assert set(marker["affected"]["journeys_missing"]["conv_ids"]) <= missing
    credits = {row[0] for row in results["credits.conservation"].evidence["rows"]}
    assert set(marker["affected"]["credits_not_one"]["conv_ids"]) <= credits
    # remediation commands use --opt=value and hour-aligned windows (--end = H1 - 1)
    fix = results["snapshots.missing"].remediation
    start, end = (int(x) for x in re.search(r"--start=(\d+) --end=(\d+)", fix).groups())
    assert start % 3600 == 0 and (end + 1) % 3600 == 0 and "--user=1" in fix


def test_window_id_probe_agrees_with_a_scan(clean_url: str) -> None:
    db = Database(clean_url)
    engine = create_engine(clean_url)
    try:
        with engine.connect() as conn:
            times = conn.execute(text("SELECT conv_id, conv_time FROM `202_conversion_logs` "
                                      "ORDER BY conv_id")).all()
        for t in (0, times[0][1], times[100][1] + 1, NOW - 48 * 3600, times[-1][1], NOW + 1):
            ctx = checks.CheckContext(db=db, now=NOW)
            want = next((cid for cid, ct in times if ct >= t), times[-1][0] + 1)
            assert w.conv_id_at(ctx, t) == want
    finally:
        db.close()
        engine.dispose()


@pytest.fixture
def locked_tables(clean_url: str) -> Iterator[None]:
    """Another session holds WRITE locks on every table the integrity checks read."""
    name = clean_url.rsplit("/", 1)[1]
    conn = pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", database=name,
                           autocommit=True)
    tables = ["202_conversion_logs", "202_conversion_touchpoints", "202_attribution_models",
              "202_attribution_settings", "202_attribution_snapshots",
              "202_attribution_touchpoints", "202_attribution_audit", "202_attribution_exports",
              "202_users", "202_aff_campaigns", "202_cronjob_logs"]
    with conn.cursor() as cur:
        cur.execute("LOCK TABLES " + ", ".join(f"`{t}` WRITE" for t in tables))
    try:
        yield
    finally:
        with conn.cursor() as cur:
            cur.execute("UNLOCK TABLES")
        conn.close()


def test_every_check_query_runs_under_the_statement_timeout(clean_url: str, locked_tables,
                                                            frozen_clock) -> None:
    """With the tables locked, each query waits; the statement timeout ends it: `skipped`."""
    started = time.monotonic()
    results = run(clean_url, timeout_ms=300, only=INTEGRITY)
    elapsed = time.monotonic() - started
    for cid in INTEGRITY:
        r = results[cid]
        assert r.status == "skipped", (cid, r.status, r.details)
        assert "not answered within its bound" in r.details
    assert elapsed < 0.3 * len(INTEGRITY) * 4 + 5


def test_cancel_stops_a_check_between_queries(clean_url: str, frozen_clock) -> None:
    db = Database(clean_url)
    try:
        ctx = checks.CheckContext(db=db, now=NOW)
        steps: list[str] = []

        def on_step(text_: str) -> None:
            steps.append(text_)
            ctx.cancel_event.set()

        ctx.on_step = on_step
        res = checks.run_one(checks.load_checks()["journeys.sample"], ctx)
    finally:
        db.close()
    assert steps and res.status == "skipped" and "cancelled" in res.details


# -- rows examined, independent of table size --------------------------------------------------------

WATCHED = ("202_clicks", "202_conversion_logs", "202_conversion_touchpoints",
           "202_attribution_touchpoints")
BOUND = 2500  # rows one query may examine in one watched table (window 6 h, samples of 200)
_ALIAS = re.compile(r"`(202_\w+)`(?:\s+(?:AS\s+)?(?!WHERE|JOIN|ON|ORDER|GROUP|LIMIT)(\w+))?", re.I)


def _examined(plan: object, found: list[tuple[str, float]]) -> None:
    """Rows read per table node: r_loops x r_rows. MariaDB reports no r_rows for an
    index_subquery (the NOT EXISTS probe of journeys.missing): that is one KEY conv_id probe per
    row of the outer 202_conversion_logs range, which is itself bounded and measured here."""
    if isinstance(plan, dict):
        if "table_name" in plan and "r_rows" in plan:
            loops = float(plan.get("r_loops") or 0)
            found.append((plan["table_name"], loops * float(plan.get("r_rows") or 0)))
        for v in plan.values():
            _examined(v, found)
    elif isinstance(plan, list):
        for v in plan:
            _examined(v, found)


def rows_examined(url: str, log: list[tuple[str, dict]]) -> dict[str, tuple[float, str]]:
    """table -> (most rows one recorded query examined there, that query)."""
    worst: dict[str, tuple[float, str]] = {}
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            for sql, params in {(s, json.dumps(p, sort_keys=True)): (s, p) for s, p in log}.values():
                aliases = {a or t: t for t, a in _ALIAS.findall(sql)}
                plan = json.loads(conn.execute(text("ANALYZE FORMAT=JSON " + sql), params).scalar())
                found: list[tuple[str, float]] = []
                _examined(plan, found)
                for name, n in found:
                    table = aliases.get(name, name)
                    if table in WATCHED and n > worst.get(table, (-1, ""))[0]:
                        worst[table] = (n, sql)
    finally:
        engine.dispose()
    return worst


@pytest.fixture(scope="module")
def two_sizes() -> Iterator[tuple[str, str]]:
    names = []
    try:
        urls = []
        for n in (300, 3000):
            name, url = create_database()
            names.append(name)
            seed(url, conversions=n, now=NOW, defects="none")
            urls.append(url)
        yield urls[0], urls[1]
    finally:
        for name in names:
            drop_database(name)


def test_rows_examined_stay_bounded_on_two_sizes(two_sizes: tuple[str, str]) -> None:
    small, big = two_sizes
    engine = create_engine(big)
    with engine.connect() as conn:
        sizes = {t: conn.execute(text(f"SELECT COUNT(*) FROM `{t}`")).scalar() for t in WATCHED}
    engine.dispose()
    assert all(n > BOUND for n in sizes.values()), sizes  # a scan of any of them would show
    for url in (small, big):
        log: list[tuple[str, dict]] = []
        results = run(url, window_s=6 * 3600, only=INTEGRITY, sql_log=log)
        assert {r.status for r in results.values()} <= {"ok", "info"}
        assert len(log) > 20
        for table, (n, sql) in rows_examined(url, log).items():
            assert n <= BOUND, f"{table}: {n:.0f} rows examined by {sql}"


# -- the command line -------------------------------------------------------------------------------


def cli(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "attribtui.cli", *argv], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=120)


def test_prometheus_output_for_the_textfile_collector(seeded_url: str) -> None:
    out = cli(["check", "--format", "prometheus", "--no-save", "--window", "24h"],
              {"ATTRIBTUI_DB_URL": seeded_url, "ATTRIBTUI_NOW": str(NOW)})
    assert out.returncode == 2, out.stderr
    lines = out.stdout.splitlines()
    samples = [ln for ln in lines if not ln.startswith("#")]
    assert all(re.fullmatch(r'[a-z_]+(\{[^}]*\})? -?[0-9.e+-]+', ln) for ln in samples), samples[:5]
    assert ('attribtui_check_status{profile="env",check="exports.stuck",group="exports",'
            'status="fail"} 1') in lines
    assert ('attribtui_check_status{profile="env",check="exports.stuck",group="exports",'
            'status="ok"} 0') in lines
    assert f'attribtui_check_run_timestamp_seconds{{profile="env"}} {NOW}' in lines
    assert 'attribtui_check_exit_code{profile="env"} 2' in lines
    assert any(ln.startswith('attribtui_check_duration_seconds{profile="env",check="credits.'
                             'conservation"') for ln in lines)
    assert "# TYPE attribtui_check_status gauge" in lines


def test_window_option(clean_url: str) -> None:
    env = {"ATTRIBTUI_DB_URL": clean_url, "ATTRIBTUI_NOW": str(NOW)}
    out = cli(["check", "--json", "--no-save", "--only", "coverage", "--window", "6h"], env)
    assert out.returncode == 0, out.stderr
    details = json.loads(out.stdout)["checks"][0]["details"]
    assert "2026-11-26T06:34:56Z .. 2026-11-26T12:34:56Z" in details
    bad = cli(["check", "--window", "soon"], env)
    assert bad.returncode == 64 and "--window: 'soon' is not a duration" in bad.stderr


def test_progress_is_reported_inside_long_checks(seeded_url: str, frozen_clock) -> None:
    db = Database(seeded_url)
    seen: list[str] = []
    lock = threading.Lock()

    def note(text_: str) -> None:
        with lock:
            seen.append(text_)

    try:
        ctx = checks.CheckContext(db=db, now=NOW, on_step=note)
        checks.run_checks(ctx, checks.select(["journeys", "credits"]))
    finally:
        db.close()
    assert any(s.startswith("journeys:") for s in seen) and any(s.startswith("credits:") for s in seen)


