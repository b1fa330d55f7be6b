"""Purge with backup and restore against the real MariaDB and memcached."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from pymemcache.client.base import Client

from attribtui.infra import actionlog, locks
from attribtui.infra.config import DbConfig, Profile
from attribtui.infra.db import Database
from attribtui.sandbox.seed import seed
from attribtui.services import purge
from attribtui.services.journeys.cache import keys_for
from attribtui.vocab import UsageError
from tests.support import NOW, TcpProxy, memcache_config

TP = "SELECT touchpoint_id, conv_id, click_id, click_time, position, created_at " \
     "FROM `202_conversion_touchpoints` ORDER BY touchpoint_id"


def profile_for(url: str, **kw) -> Profile:
    return Profile(name="staging", environment="staging",
                   db=DbConfig(url=url), memcache=memcache_config(), **kw)


@pytest.fixture
def seeded(fresh_db, frozen_clock) -> str:
    url = fresh_db()
    seed(url, conversions=200, now=NOW, defects="none")
    return url


def journey_convs(db: Database, n: int) -> list[int]:
    return [r[0] for r in db.read("SELECT DISTINCT conv_id FROM `202_conversion_touchpoints` "
                                  f"ORDER BY conv_id LIMIT {n}")]


def test_dry_run_equals_the_real_deletion_and_restore_is_byte_identical(seeded: str) -> None:
    db = Database(seeded)
    before = [tuple(r) for r in db.read(TP)]
    ids = journey_convs(db, 12) + [999999]
    plan = purge.plan(db, purge.Selection(conv_ids=ids))
    assert plan.missing_ids == [999999] and len(plan.conv_ids) == 12
    expected = {r[0] for r in before if r[1] in ids}
    assert plan.touchpoint_rows == len(expected) and plan.with_journey == 12
    assert plan.action(profile_for(seeded)).typed == "purge 12"  # more than a handful: typed
    result = purge.execute(db, profile_for(seeded), plan, batch_size=5)
    assert result.complete and result.deleted_rows == len(expected)
    after = [tuple(r) for r in db.read(TP)]
    assert {r[0] for r in before} - {r[0] for r in after} == expected
    # The backup is readable JSON lines holding exactly the deleted rows.
    header, rows = purge.read_backup(Path(result.backup))
    assert header["kind"] == "attribtui-purge-backup" and header["profile"] == "staging"
    assert {r["touchpoint_id"] for r in rows} == expected
    assert oct(Path(result.backup).stat().st_mode & 0o777) == "0o600"
    # Restore gives back byte-identical rows.
    dry = purge.restore(db, profile_for(seeded), Path(result.backup), dry_run=True)
    assert dry.restored_rows == len(expected) and dry.replaced_rows == 0
    restored = purge.restore(db, profile_for(seeded), Path(result.backup))
    assert restored.error is None and restored.restored_rows == len(expected)
    assert [tuple(r) for r in db.read(TP)] == before
    assert [e["action"] for e in actionlog.entries()] == ["purge", "purge.restore"]
    db.close()


def test_restore_replaces_rows_written_since_and_backs_them_up_first(seeded: str) -> None:
    db = Database(seeded)
    conv = journey_convs(db, 1)
    result = purge.execute(db, profile_for(seeded), purge.plan(db, purge.Selection(conv_ids=conv)))
    db.write(lambda c: c.exec_driver_sql(
        "INSERT INTO `202_conversion_touchpoints` (conv_id, click_id, click_time, position, created_at) "
        f"VALUES ({conv[0]}, 1, 1, 0, 1)"))
    restored = purge.restore(db, profile_for(seeded), Path(result.backup))
    assert restored.replaced_rows == 1
    _, pre_rows = purge.read_backup(Path(restored.pre_restore_backup))
    assert [r["click_id"] for r in pre_rows] == [1]
    assert db.scalar(f"SELECT COUNT(*) FROM `202_conversion_touchpoints` WHERE click_id = 1 "
                     f"AND conv_id = {conv[0]}") == 0
    db.close()


def test_window_selection_is_bounded_by_conv_id_and_gives_the_backfill(seeded: str) -> None:
    db = Database(seeded)
    plan = purge.plan(db, purge.Selection(user_id=1, start=NOW - 6 * 3600, end=NOW))
    rows = db.read("SELECT conv_id, conv_time FROM `202_conversion_logs` WHERE user_id = 1 "
                   "AND conv_time BETWEEN :a AND :b ORDER BY conv_id", {"a": NOW - 6 * 3600, "b": NOW})
    assert plan.conv_ids == [r[0] for r in rows] and plan.conv_ids
    (aff,) = plan.affected
    assert (aff.user_id, aff.start, aff.end) == (1, rows[0][1], rows[-1][1])
    assert aff.backfill_args() == ["--user=1", f"--start={rows[0][1]}", f"--end={rows[-1][1]}"]
    db.close()


@pytest.mark.parametrize(("sel", "message"), [
    (purge.Selection(), "empty selection"),
    (purge.Selection(user_id=1), "unbounded selection"),
    (purge.Selection(user_id=1, start=NOW, end=NOW - 1), "must be before end"),
    (purge.Selection(user_id=1, start=0, end=NOW), "longer than 31 days"),
    (purge.Selection(conv_ids=list(range(1, 6002))), "at most 5000"),
    (purge.Selection(conv_ids=[1], user_id=1, start=0, end=1), "not both"),
])
def test_unsafe_selections_are_refused(sel: purge.Selection, message: str) -> None:
    with pytest.raises(purge.PurgeRefused, match=message):
        sel.check()


def test_read_only_profile_cannot_purge(seeded: str) -> None:
    db = Database(seeded)
    plan = purge.plan(db, purge.Selection(conv_ids=journey_convs(db, 1)))
    with pytest.raises(purge.PurgeRefused, match="read-only"):
        purge.execute(db, profile_for(seeded, read_only=True), plan)
    db.close()


def test_purge_evicts_the_journey_cache_keys(seeded: str) -> None:
    db = Database(seeded)
    profile = profile_for(seeded)
    conv = journey_convs(db, 1)[0]
    mc = Client(("127.0.0.1", 11211))
    keys = [key for seed, key in keys_for(profile, conv) if seed.name == "web"]  # this run's own
    assert keys
    for key in keys:
        mc.set(key, b"stale journey")
    result = purge.execute(db, profile, purge.plan(db, purge.Selection(conv_ids=[conv])))
    assert result.cache.startswith("evicted")
    assert all(mc.get(key) is None for key in keys)
    db.close()


def test_a_second_operator_is_refused_while_the_lock_is_held(seeded: str) -> None:
    db = Database(seeded)
    plan = purge.plan(db, purge.Selection(conv_ids=journey_convs(db, 1)))
    with locks.acquire(seeded, "rebuild", operator="bob"), pytest.raises(locks.LockBusy, match="bob"):
        purge.execute(db, profile_for(seeded), plan)
    db.close()


def test_a_lost_connection_stops_cleanly_with_the_backup_intact(seeded: str) -> None:
    proxy = TcpProxy()
    name = seeded.rsplit("/", 1)[1]
    via_proxy = proxy.url(name)
    db = Database(via_proxy, connect_timeout_s=2)
    direct = Database(seeded)
    ids = journey_convs(direct, 10)
    plan = purge.plan(db, purge.Selection(conv_ids=ids))

    def cut_after_first_batch(stage: str, fraction: float) -> None:
        if stage == "deleting" and fraction > 0:
            proxy.cut()

    result = purge.execute(db, profile_for(via_proxy), plan, batch_size=4,
                           progress=cut_after_first_batch)
    assert result.error and "database" in result.error
    assert result.deleted_conv_ids == ids[:4] and result.not_deleted_conv_ids == ids[4:]
    remaining = {r[0] for r in direct.read("SELECT DISTINCT conv_id FROM `202_conversion_touchpoints`")}
    assert not set(ids[:4]) & remaining and set(ids[4:]) <= remaining
    _, rows = purge.read_backup(Path(result.backup))
    assert {r["conv_id"] for r in rows} == set(ids)  # every selected row was backed up first
    entry = list(actionlog.entries())[-1]
    assert entry["result"]["not_deleted_conversions"] == 6
    db.close()
    direct.close()


def test_a_damaged_backup_is_refused(tmp_path: Path, seeded: str) -> None:
    bad = tmp_path / "x.jsonl"
    bad.write_text(json.dumps({"kind": "something else"}) + "\n")
    with pytest.raises(purge.PurgeRefused, match="not an attribtui purge backup"):
        purge.restore(Database(seeded), profile_for(seeded), bad)


def test_headless_purge_and_restore(seeded: str, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    from attribtui.cli.main import main

    monkeypatch.setenv("ATTRIBTUI_DB_URL", seeded)
    db = Database(seeded)
    ids = ",".join(map(str, journey_convs(db, 2)))
    before = [tuple(r) for r in db.read(TP)]
    assert main(["purge", "--conv-ids", ids, "--dry-run", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["dry_run"] and doc["conversions"] == 2 and doc["touchpoint_rows"] > 0
    assert main(["purge", "--conv-ids", ids, "--yes"]) == 1  # implicit profile: --confirm needed
    assert "--confirm=env" in capsys.readouterr().err
    assert len(db.read(TP)) == len(before)
    assert main(["purge", "--conv-ids", ids, "--yes", "--confirm", "env", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["deleted_rows"] == doc["touchpoint_rows"]
    assert main(["purge", "restore", result["backup"], "--yes", "--confirm", "env"]) == 0
    assert [tuple(r) for r in db.read(TP)] == before
    assert main(["purge", "--conv-ids", "12x"]) == 64
    assert main(["purge", "--user", "1"]) == 1
    db.close()


def test_a_backup_replays_only_onto_its_own_database(seeded: str, fresh_db) -> None:
    db = Database(seeded)
    conv = journey_convs(db, 1)
    result = purge.execute(db, profile_for(seeded), purge.plan(db, purge.Selection(conv_ids=conv)))
    other_url = fresh_db()
    seed(other_url, conversions=50, now=NOW, defects="none")
    other = Database(other_url)
    with pytest.raises(purge.PurgeRefused, match="--to-other-database"):
        purge.restore(other, profile_for(other_url), Path(result.backup))
    db.close()
    other.close()


def test_a_backup_is_published_whole_with_a_checksummed_trailer(seeded: str) -> None:
    db = Database(seeded)
    result = purge.execute(db, profile_for(seeded), purge.plan(db, purge.Selection(
        conv_ids=journey_convs(db, 3))))
    path = Path(result.backup)
    lines = path.read_bytes().splitlines(keepends=True)
    trailer = json.loads(lines[-1])
    assert trailer["kind"] == "attribtui-purge-backup-end" and trailer["rows"] == len(lines) - 2
    assert trailer["sha256"] == hashlib.sha256(b"".join(lines[:-1])).hexdigest() == result.sha256
    assert sum(trailer["counts"].values()) == result.backed_up_rows
    assert [p.name for p in purge.backups_dir().iterdir()] == [path.name]  # no partial file left
    db.close()


def test_restore_dry_run_says_which_conversions_already_hold_the_backup(seeded: str) -> None:
    db = Database(seeded)
    ids = journey_convs(db, 2)
    result = purge.execute(db, profile_for(seeded), purge.plan(db, purge.Selection(conv_ids=ids)))
    dry = purge.restore(db, profile_for(seeded), Path(result.backup), dry_run=True)
    assert dry.matching_conv_ids == [] and dry.replaced_rows == 0
    done = purge.restore(db, profile_for(seeded), Path(result.backup), batch_size=1)
    assert done.complete and done.restored_conv_ids == ids and done.exit_code == 0
    dry = purge.restore(db, profile_for(seeded), Path(result.backup), dry_run=True)
    assert dry.matching_conv_ids == ids
    db.close()


def test_a_version_1_backup_cannot_be_verified_and_is_refused(tmp_path: Path, seeded: str) -> None:
    old = tmp_path / "v1.jsonl"
    old.write_text(json.dumps({"kind": purge.BACKUP_KIND, "version": 1, "table": purge.TOUCHPOINTS,
                               "columns": list(purge.COLUMNS), "conv_ids": [1]}) + "\n")
    with pytest.raises(purge.PurgeRefused, match="version 1 backup without a trailer"):
        purge.restore(Database(seeded), profile_for(seeded), old)


def test_conv_ids_for_a_purge_go_past_the_lookup_limit() -> None:
    assert purge.parse_ids(" ".join(map(str, range(1, 601)))) == list(range(1, 601))
    assert purge.parse_ids("3, 3;4") == [3, 4]
    with pytest.raises(UsageError, match="'12x' is not a conv_id"):
        purge.parse_ids("1 12x")
    with pytest.raises(UsageError, match="no conv_id given"):
        purge.parse_ids(" , ")
