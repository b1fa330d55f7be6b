"""Journey lookup against the real MariaDB and memcached, and `attribtui journey` as a subprocess.

A clean sandbox (300 conversions) gets the journey defects planted here with plain SQL writes,
one conversion each; every defect must be named by the lookup and by the headless command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pymysql
import pytest
from pymemcache.client.base import Client

from attribtui.infra import actionlog
from attribtui.infra.config import DbConfig, JobsConfig, MemcacheConfig, Profile
from attribtui.infra.db import Database
from attribtui.prosper.cachekey import CLI_SYSTEM_HASH, journey_cache_key, system_hash
from attribtui.services import journeys
from attribtui.services.journeys import cache as journey_cache
from tests.support import (
    MARIADB_HOST,
    MARIADB_PORT,
    MEMCACHE_HTTP_HOST,
    MEMCACHE_SERVER_ADDR,
    NOW,
    create_database,
    drop_database,
    memcache_config,
)

pytestmark = pytest.mark.mariadb

DAY = 86400
BIN = Path(sys.executable).parent / "attribtui"


def _conn(url: str) -> pymysql.connections.Connection:
    return pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root",
                           database=url.rsplit("/", 1)[1], autocommit=True)


def _pick(cur, min_touches: int, exclude: set[int], user: int = 1) -> int:
    """A credited, non-deleted conversion of an enabled campaign with at least min_touches."""
    cur.execute(
        "SELECT c.conv_id FROM `202_conversion_logs` c JOIN `202_conversion_touchpoints` t "
        "ON t.conv_id = c.conv_id WHERE c.deleted = 0 AND c.user_id = %s AND c.conv_time < %s "
        "AND c.campaign_id NOT IN (SELECT scope_id FROM `202_attribution_settings` "
        "WHERE scope_type = 'campaign' AND multi_touch_enabled = 0) "
        "GROUP BY c.conv_id HAVING COUNT(*) >= %s ORDER BY c.conv_id", (user, NOW - 2 * 3600,
                                                                        min_touches))
    conv_id = next(int(r[0]) for r in cur.fetchall() if int(r[0]) not in exclude)
    exclude.add(conv_id)
    return conv_id


def plant_journey_defects(url: str) -> dict[str, int]:
    """Plant one journey defect per conversion; returns {defect: conv_id} plus a clean one."""
    used: set[int] = set()
    planted: dict[str, int] = {}
    with _conn(url) as conn, conn.cursor() as cur:
        planted["clean"] = _pick(cur, 3, used)
        # gap in positions: 0, 2, 3, ...
        c = planted["position_gap"] = _pick(cur, 3, used)
        cur.execute("UPDATE `202_conversion_touchpoints` SET position = position + 1 "
                    "WHERE conv_id = %s AND position >= 1", (c,))
        # the converting click missing
        c = planted["converting_missing"] = _pick(cur, 3, used)
        cur.execute("DELETE t FROM `202_conversion_touchpoints` t JOIN `202_conversion_logs` l "
                    "ON l.conv_id = t.conv_id AND l.click_id = t.click_id WHERE t.conv_id = %s",
                    (c,))
        # a click stored twice (the copy appended at the next position)
        c = planted["duplicate_click"] = _pick(cur, 3, used)
        cur.execute("INSERT INTO `202_conversion_touchpoints` (conv_id, click_id, click_time, "
                    "position, created_at) SELECT conv_id, click_id, click_time, "
                    "(SELECT COUNT(*) FROM `202_conversion_touchpoints` WHERE conv_id = %s), "
                    "created_at FROM `202_conversion_touchpoints` WHERE conv_id = %s "
                    "AND position = 0", (c, c))
        # the first touch moved 31 days before the conversion
        c = planted["outside_lookback"] = _pick(cur, 3, used)
        cur.execute("UPDATE `202_conversion_touchpoints` t JOIN `202_conversion_logs` l ON "
                    "l.conv_id = t.conv_id SET t.click_time = l.conv_time - %s "
                    "WHERE t.conv_id = %s AND t.position = 0", (31 * DAY, c))
        # soft-deleted after the rebuild credited it
        c = planted["soft_deleted"] = _pick(cur, 2, used)
        cur.execute("UPDATE `202_conversion_logs` SET deleted = 1 WHERE conv_id = %s", (c,))
        # one stored credit raised by 0.25: the sum is 1.25
        c = planted["credits_not_one"] = _pick(cur, 3, used)
        cur.execute("UPDATE `202_attribution_touchpoints` SET credit = credit + 0.25 "
                    "WHERE conv_id = %s ORDER BY touchpoint_id DESC LIMIT 1", (c,))
        # a valid journey that a backfill would change: a new click of its campaign, in window
        c = planted["differs"] = _pick(cur, 2, used)
        cur.execute("INSERT INTO `202_clicks` (click_id, user_id, aff_campaign_id, "
                    "landing_page_id, ppc_account_id, click_cpc, click_payout, click_time) "
                    "SELECT 9000000 + conv_id, user_id, campaign_id, 1, 1, 0.1, 0, conv_time - 60 "
                    "FROM `202_conversion_logs` WHERE conv_id = %s", (c,))
        cur.execute("SELECT scope_id FROM `202_attribution_settings` WHERE scope_type = "
                    "'campaign' AND multi_touch_enabled = 0 LIMIT 1")
        campaign = cur.fetchone()[0]
        cur.execute("SELECT MIN(conv_id) FROM `202_conversion_logs` WHERE campaign_id = %s",
                    (campaign,))
        planted["disabled"] = int(cur.fetchone()[0])
    return planted


@pytest.fixture(scope="module")
def planted_db() -> Iterator[tuple[str, dict[str, int]]]:
    from attribtui.sandbox.seed import seed

    name, url = create_database()
    seed(url, conversions=300, now=NOW, defects="none")
    yield url, plant_journey_defects(url)
    drop_database(name)


def _profile(url: str, **kw) -> Profile:
    memcache = kw.pop("memcache", MemcacheConfig())
    return Profile(name=kw.pop("name", "staging"), environment=kw.pop("environment", "staging"),
                   db=DbConfig(url=url), memcache=memcache, **kw)


def _report(url: str, conv_id: int, profile: Profile | None = None) -> journeys.JourneyReport:
    db = Database(url)
    try:
        [report] = journeys.lookup(db, [conv_id])
        journeys.enrich(db, profile or _profile(url), report)
        return report
    finally:
        db.close()


def _codes(report: journeys.JourneyReport) -> set[str]:
    return {f.code for f in report.findings}


# -- each planted defect is named ------------------------------------------------------------------


def test_clean_journey_is_ok_and_matches(planted_db, frozen_clock) -> None:
    url, planted = planted_db
    report = _report(url, planted["clean"])
    assert report.status == "ok", report.findings
    assert report.recomputed is not None and not report.recomputed.changes
    assert report.recomputed.verdict == "A backfill for this conversion would change nothing."
    assert report.credits and all(mc.ok for mc in report.credits)
    assert {mc.model_type for mc in report.credits} == {"last_touch", "time_decay",
                                                         "position_based"}
    for mc in report.credits:
        assert abs(mc.stored_sum - 1) < Decimal("0.0002")


@pytest.mark.parametrize(("defect", "code", "status"), [
    ("position_gap", "positions", "fail"),
    ("converting_missing", "converting_missing", "fail"),
    ("duplicate_click", "duplicate_click", "fail"),
    ("outside_lookback", "lookback", "fail"),
    ("soft_deleted", "deleted", "warn"),
    ("credits_not_one", "credits_sum", "fail"),
    ("differs", "differs", "warn"),
])
def test_each_defect_is_named(planted_db, frozen_clock, defect: str, code: str,
                              status: str) -> None:
    url, planted = planted_db
    report = _report(url, planted[defect])
    assert code in _codes(report), report.findings
    assert report.status == status


def test_converting_missing_diff_and_command(planted_db, frozen_clock) -> None:
    url, planted = planted_db
    conv_id = planted["converting_missing"]
    profile = _profile(url, jobs=JobsConfig(php="/usr/bin/php8.3",
                                            prosper_root=Path("/var/www/prosper202")))
    report = _report(url, conv_id, profile)
    rec = report.recomputed
    conv = report.conversion
    assert rec is not None and conv is not None
    assert [t.click_id for t in rec.diff.missing] == [conv.click_id]
    assert rec.verdict.startswith("A backfill for this conversion would change: add 1 missing")
    assert rec.command == (
        "/usr/bin/php8.3 /var/www/prosper202/202-cronjobs/backfill-conversion-journeys.php "
        f"--user={conv.user_id} --start={conv.conv_time} --end={conv.conv_time}")


def test_soft_deleted_is_loud_and_skipped(planted_db, frozen_clock) -> None:
    url, planted = planted_db
    report = _report(url, planted["soft_deleted"])
    assert report.conversion is not None and report.conversion.deleted
    assert report.recomputed is not None
    assert "skip it: the conversion is soft-deleted" in report.recomputed.verdict
    # the rebuild credited it before it was deleted: the credits are flagged
    assert any("soft-deleted" in p for mc in report.credits or [] for p in mc.problems)


def test_disabled_scope_would_be_skipped(planted_db, frozen_clock) -> None:
    url, planted = planted_db
    report = _report(url, planted["disabled"])
    rec = report.recomputed
    assert rec is not None and not rec.enabled and rec.scope.startswith("campaign:")
    assert rec.verdict == f"A backfill would skip it: multi-touch disabled for {rec.scope}."
    assert report.touches == []  # the seeder never wrote it: nothing to purge either
    assert report.status == "ok"


def test_undecidable_settings_row_is_named(planted_db, frozen_clock) -> None:
    """A settings row MariaDB matches to 'global' only through its collation ('GLOBAL') makes
    upstream's isMultiTouchEnabled throw, so the backfill dies: the lookup says so instead of
    offering a backfill (tests/golden/settings.json has upstream's answers)."""
    url, planted = planted_db
    conv_id = planted["clean"]
    with _conn(url) as conn, conn.cursor() as cur:
        cur.execute("SELECT user_id FROM `202_conversion_logs` WHERE conv_id = %s", (conv_id,))
        user = cur.fetchone()[0]
        cur.execute("INSERT INTO `202_attribution_settings` (user_id, scope_type, scope_id, "
                    "model_id, multi_touch_enabled, effective_at, created_at, updated_at) "
                    "VALUES (%s, 'GLOBAL', NULL, 0, 1, 0, 0, 0)", (user,))
        setting_id = cur.lastrowid
    try:
        report = _report(url, conv_id)
        rec = report.recomputed
        assert rec is not None and not rec.enabled
        assert "exit 255" in rec.verdict
        assert '"GLOBAL" is not a valid backing value for enum' in rec.verdict
        assert "settings_unloadable" in _codes(report)
    finally:
        with _conn(url) as conn, conn.cursor() as cur:
            cur.execute("DELETE FROM `202_attribution_settings` WHERE setting_id = %s",
                        (setting_id,))


def test_unknown_id_and_many_ids_in_two_reads(planted_db, frozen_clock) -> None:
    url, planted = planted_db
    db = Database(url)
    try:
        ids = [planted["clean"], 4000000000, *range(1, 120)]
        reports = journeys.lookup(db, list(dict.fromkeys(ids)))
    finally:
        db.close()
    assert reports[0].conv_id == planted["clean"] and reports[0].found
    missing = reports[1]
    assert not missing.found and _codes(missing) == {"not_found"}
    assert "4000000000 does not exist" in missing.findings[0].message


def test_reverse_lookup_by_click(planted_db, frozen_clock) -> None:
    url, planted = planted_db
    clean = _report(url, planted["clean"])
    first = min(clean.touches, key=lambda t: t.position).click_id
    db = Database(url)
    try:
        result = journeys.reverse_lookup(db, first)
        nothing = journeys.reverse_lookup(db, 987654321987)
    finally:
        db.close()
    assert planted["clean"] in result.in_journeys and not result.truncated
    assert nothing.conv_ids == []


def test_unreachable_database_is_one_line(frozen_clock) -> None:
    from attribtui.infra.db import DbUnreachable

    db = Database("mysql+pymysql://root@127.0.0.1:9/p202", connect_timeout_s=1)
    with pytest.raises(DbUnreachable, match="cannot reach the database"):
        journeys.lookup(db, [1])


# -- memcached -------------------------------------------------------------------------------------


@pytest.mark.memcached
def test_cache_key_found_then_evicted(planted_db, frozen_clock) -> None:
    url, planted = planted_db
    conv_id = planted["clean"]
    profile = _profile(url, memcache=memcache_config())
    web_key = journey_cache_key(conv_id, system_hash(MEMCACHE_HTTP_HOST, MEMCACHE_SERVER_ADDR))
    client = Client(("127.0.0.1", 11211))
    client.set(web_key, b'{"journey": []}', expire=600, noreply=False)
    try:
        state = journey_cache.probe(profile, conv_id)
        assert state.available
        assert [s.name for s in state.seeds] == ["web", "cli"]
        [hit] = [k for k in state.keys if k.present and k.seed == "web"]
        assert hit.key == web_key and hit.size == len(b'{"journey": []}') and hit.ttl
        assert "never sets this key" in state.message and state.message.startswith("PRESENT")
        cli = next(k for k in state.keys if k.seed == "cli")
        assert cli.key == journey_cache_key(conv_id, CLI_SYSTEM_HASH)

        after = journey_cache.evict(profile, conv_id)
        assert after.evicted is not None and after.evicted >= 1
        assert not any(k.present and k.seed == "web" for k in after.keys)
        assert client.get(web_key) is None
        entry = list(actionlog.entries())[-1]
        assert entry["action"] == "journey.cache_evict" and web_key in entry["params"]["entries"]
    finally:
        client.delete(web_key)
        client.close()


def test_cache_refused_read_only_and_down(planted_db, frozen_clock) -> None:
    url, planted = planted_db
    read_only = _profile(url, read_only=True,
                         memcache=memcache_config())
    with pytest.raises(journey_cache.CacheRefused, match="read-only"):
        journey_cache.evict(read_only, planted["clean"])
    down = replace(read_only, read_only=False, memcache=MemcacheConfig(servers=["127.0.0.1:9"]))
    state = journey_cache.probe(down, planted["clean"], timeout_s=0.5)
    assert not state.available and state.message.startswith("cache unavailable")
    # the rest of the lookup still works
    assert _report(url, planted["clean"], down).status == "ok"


# -- the headless command --------------------------------------------------------------------------


def _run(*argv: str, url: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "ATTRIBTUI_DB_URL": url, "ATTRIBTUI_NOW": str(NOW), **env}
    return subprocess.run([str(BIN), "journey", *argv], capture_output=True, text=True,
                          env=full_env, timeout=60, check=False,
                          stdin=subprocess.DEVNULL)


def test_command_json_mirrors_findings(planted_db) -> None:
    url, planted = planted_db
    ids = [planted[k] for k in ("clean", "position_gap", "differs", "credits_not_one")]
    out = _run(",".join(map(str, ids)), "--json", url=url)
    assert out.returncode == 2, out.stderr
    data = json.loads(out.stdout)
    by_id = {c["conv_id"]: c for c in data["conversions"]}
    assert [c["conv_id"] for c in data["conversions"]] == ids
    assert by_id[planted["clean"]]["status"] == "ok"
    assert by_id[planted["clean"]]["violations"] == []
    gap = by_id[planted["position_gap"]]
    assert gap["status"] == "fail" and "positions" in {v["code"] for v in gap["violations"]}
    differs = by_id[planted["differs"]]
    assert differs["status"] == "warn" and differs["recomputed"]["would_change"]
    assert differs["recomputed"]["missing"] == [9000000 + planted["differs"]]
    assert differs["recomputed"]["backfill_command"].startswith(
        "php 202-cronjobs/backfill-conversion-journeys.php --user=")
    sums = {c["stored_sum"] for c in by_id[planted["credits_not_one"]]["credits"]}
    assert any(s.startswith("1.25") for s in sums)
    assert data["summary"] == {"ok": 1, "warn": 1, "fail": 2, "error": 0}


@pytest.mark.parametrize(("key", "code"), [("clean", 0), ("differs", 1), ("duplicate_click", 2)])
def test_command_exit_codes(planted_db, key: str, code: int) -> None:
    url, planted = planted_db
    out = _run(str(planted[key]), url=url)
    assert out.returncode == code, out.stdout + out.stderr
    assert f"conv {planted[key]}" in out.stdout


@pytest.mark.parametrize(("argv", "message"), [
    (["abc"], "'abc' is not a conv_id"),
    (["-5"], "is negative"),
    (["0"], "conv_id 0 does not exist"),
    (["4294967296"], "at most 4294967295"),
    ([], "no conv_id given"),
    ([" ".join(str(i) for i in range(1, 502))], "at most 500 at once"),
])
def test_command_bad_ids_exit_64(planted_db, argv: list[str], message: str) -> None:
    url, _ = planted_db
    out = _run(*(["--", *argv] if argv else []), url=url)
    assert out.returncode == 64, out.stderr
    assert message in out.stderr and out.stderr.count("\n") == 1 and out.stdout == ""


def test_command_unreachable_db_exit_3(planted_db) -> None:
    out = _run("1", url="mysql+pymysql://root:s3cret@127.0.0.1:9/p202",
               ATTRIBTUI_DB_CONNECT_TIMEOUT_S="1")
    assert out.returncode == 3
    assert "lookup failed: cannot reach the database" in out.stderr
    assert "s3cret" not in out.stderr + out.stdout


def test_command_reverse_lookup_and_refused_eviction(planted_db) -> None:
    url, planted = planted_db
    clean = _report(url, planted["clean"])
    click = clean.conversion.click_id if clean.conversion else 0
    out = _run("--click", str(click), "--json", url=url)
    data = json.loads(out.stdout)
    assert data["reverse"]["converted"] == [planted["clean"]]
    assert planted["clean"] in [c["conv_id"] for c in data["conversions"]]
    # eviction without --yes on a non-terminal stdin: refused, nothing changed, exit 1
    refused = _run(str(planted["clean"]), "--evict-cache", url=url,
                   ATTRIBTUI_MEMCACHE_SERVERS='["127.0.0.1:11211"]')
    assert refused.returncode == 1 and "not confirmed; pass --yes" in refused.stderr
    dry = _run(str(planted["clean"]), "--evict-cache", "--dry-run", url=url,
               ATTRIBTUI_MEMCACHE_SERVERS='["127.0.0.1:11211"]')
    key = journey_cache_key(planted["clean"], CLI_SYSTEM_HASH)
    assert dry.returncode == 0 and f"delete {key}" in dry.stderr
