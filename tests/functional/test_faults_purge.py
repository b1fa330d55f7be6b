"""Purge and restore under faults: the real MariaDB behind FaultProxy, real memcached, the real
command in a subprocess. Each scenario checks the exit code, the one line on stderr, and that
the touched table holds exactly what the output says (docs/architecture.md, "Statuses": a result
the console could not confirm is unknown, with the command that settles it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymysql
import pytest
from pymemcache.client.base import Client

from attribtui.cli import purge as purge_cli
from attribtui.infra import actionlog, locks
from attribtui.infra.config import DbConfig, Profile
from attribtui.infra.db import Database
from attribtui.sandbox.seed import seed
from attribtui.services import purge
from attribtui.services.journeys.cache import keys_for
from tests.faults import FaultProxy, fault_proxy
from tests.support import (
    MARIADB_HOST,
    MARIADB_PORT,
    MEMCACHE_HTTP_HOST,
    MEMCACHE_SERVER_ADDR,
    MEMCACHED,
    NOW,
    memcache_config,
)

pytestmark = pytest.mark.mariadb

BACKUP_READ = b"ORDER BY conv_id, position, touchpoint_id LIMIT"  # backup.read_rows
PURGE_DELETE = b"DELETE FROM `202_conversion_touchpoints` WHERE conv_id IN"  # not the probe
PURGE_RECHECK = b"WHERE touchpoint_id IN"  # truth.after_purge
RESTORE_RECHECK = b"ORDER BY touchpoint_id LIMIT"  # truth.after_restore
AT = r"the database at mysql 127\.0\.0\.1:\d+/attribtui_\w+"  # db.label: no user, no password
LOST = rf"lost the connection to {AT} \(Lost connection to MySQL server during query\); check " \
       r"db\.url and that the server is running \(connect timeout \d+ s\)"


@dataclass
class Env:
    """A seeded database, the proxy in front of it, and a config whose profile goes through it."""

    name: str
    url: str  # direct, for the test's own reads
    proxy: FaultProxy
    config: Path

    def profile(self) -> Profile:
        return Profile(name="faults", environment="staging",
                       db=DbConfig(url=self.proxy.url(self.name)), memcache=memcache_config())

    def cli(self, *args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("ATTRIBTUI_") or k == "ATTRIBTUI_DATA_DIR"}
        env.update(ATTRIBTUI_CONFIG=str(config or self.config), ATTRIBTUI_NOW=str(NOW),
                   ATTRIBTUI_PROFILE="faults")
        return subprocess.run([sys.executable, "-m", "attribtui.cli", *args], capture_output=True,
                              text=True, env=env, timeout=120, stdin=subprocess.DEVNULL)

    def rows(self) -> dict[int, list[tuple[int, ...]]]:
        """conv_id -> its touchpoint rows, read directly (not through the proxy)."""
        with pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root",
                             database=self.name) as c, c.cursor() as cur:
            cur.execute("SELECT touchpoint_id, conv_id, click_id, click_time, position, created_at "
                        "FROM `202_conversion_touchpoints` ORDER BY touchpoint_id")
            out: dict[int, list[tuple[int, ...]]] = {}
            for r in cur.fetchall():
                out.setdefault(int(r[1]), []).append(tuple(int(v) for v in r))
            return out

    def journeys(self, n: int) -> list[int]:
        return sorted(self.rows())[:n]


def write_config(path: Path, name: str, url: str, **extra: str) -> Path:
    lines = ['[profiles.faults]', 'environment = "staging"', f'db = {{ url = "{url}" }}',
             *(f"{k} = {v}" for k, v in extra.items()),
             '[profiles.faults.memcache]', f'servers = ["{MEMCACHED}"]',
             f'http_host = "{MEMCACHE_HTTP_HOST}"', f'server_addr = "{MEMCACHE_SERVER_ADDR}"']
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)  # it may hold a password
    return path


@pytest.fixture
def env(fresh_db, tmp_path: Path) -> Iterator[Env]:
    url = fresh_db()
    seed(url, conversions=450, now=NOW, defects="none")
    name = url.rsplit("/", 1)[1]
    with fault_proxy() as proxy:
        yield Env(name, url, proxy, write_config(tmp_path / "config.toml", name, proxy.url(name)))


def one_line(out: subprocess.CompletedProcess[str], pattern: str) -> str:
    """stderr is exactly one line, and it matches pattern (in full)."""
    lines = out.stderr.splitlines()
    assert len(lines) == 1, out.stderr
    assert re.fullmatch(pattern, lines[0]), lines[0]
    return lines[0]


def backups() -> list[Path]:
    """Everything in backups/, hidden partial files included."""
    folder = purge.backups_dir()
    return sorted(folder.iterdir()) if folder.exists() else []


def set_cache_keys(profile: Profile, conv_ids: list[int]) -> dict[int, list[str]]:
    mc = Client(MEMCACHED)
    keys = {c: [k for s, k in keys_for(profile, c) if s.name == "web"] for c in conv_ids}
    for ks in keys.values():
        for k in ks:
            mc.set(k, b"stale journey")
    return keys


def cached(keys: dict[int, list[str]]) -> set[int]:
    mc = Client(MEMCACHED)
    return {c for c, ks in keys.items() if any(mc.get(k) is not None for k in ks)}


def last_action() -> dict[str, object]:
    return list(actionlog.entries())[-1]


def ids_arg(ids: list[int]) -> str:
    return "--conv-ids=" + ",".join(map(str, ids))


# -- purge -----------------------------------------------------------------------------------------


def test_a_backup_cut_short_stops_the_purge_and_leaves_no_file(env: Env) -> None:
    """Issue 12.1: the connection drops while the backup is read (after 200 of 424 conversions)."""
    ids = env.journeys(424)
    before = env.rows()
    fired = env.proxy.cut_on(BACKUP_READ, 2)
    out = env.cli("purge", ids_arg(ids), "--yes", "--confirm=purge 424")
    assert fired.is_set()
    assert out.returncode == 3
    one_line(out, r"attribtui: the purge stopped before deleting anything: the backup could not "
                  rf"be finished \({LOST}\); no backup file was kept")
    assert env.rows() == before
    assert backups() == []  # neither a named file nor a partial one
    entry = last_action()
    assert entry["action"] == "purge" and entry["result"]["deleted_rows"] == 0


def test_a_lost_commit_reply_is_re_read_as_deleted(env: Env) -> None:
    """Issue 12.2: the server deleted the first batch, its reply was lost; the rest untouched."""
    ids = env.journeys(3)
    before = env.rows()
    keys = set_cache_keys(env.profile(), ids)
    fired = env.proxy.drop_commit_reply(1)
    out = env.cli("purge", ids_arg(ids), "--yes", "--batch-size=1")
    assert fired.is_set()
    assert out.returncode == 2
    one_line(out, rf"attribtui: purge stopped: {LOST}; 1 conversion\(s\) deleted, 2 untouched "
                  r"\(rows in place and in the backup\), 0 unknown")
    assert "re-read on a fresh connection" in out.stdout
    assert f"deleted: {ids[0]}\n" in out.stdout
    assert f"untouched (rows in place, all in the backup): {ids[1]}, {ids[2]}\n" in out.stdout
    after = env.rows()
    assert ids[0] not in after and {c: after[c] for c in ids[1:]} == {c: before[c] for c in ids[1:]}
    assert {c: v for c, v in after.items() if c not in ids} == \
        {c: v for c, v in before.items() if c not in ids}
    assert cached(keys) == set(ids[1:])  # evicted exactly where the rows are gone
    result = last_action()["result"]
    assert (result["deleted_rows"], result["deleted_conversions"],
            result["not_deleted_conversions"], result["unknown_conversions"]) == \
        (len(before[ids[0]]), 1, 2, 0)


def test_a_lost_reply_on_the_last_batch_is_a_complete_purge(env: Env) -> None:
    ids = env.journeys(3)
    before = env.rows()
    fired = env.proxy.drop_commit_reply(3)
    out = env.cli("purge", ids_arg(ids), "--yes", "--batch-size=1", "--json")
    assert fired.is_set()
    assert out.returncode == 0
    one_line(out, rf"attribtui: note: {LOST}; re-read on a fresh connection: all 3 "
                  r"conversion\(s\) were deleted")
    doc = json.loads(out.stdout)
    assert doc["complete"] and doc["deleted_conv_ids"] == ids and doc["unknown_conv_ids"] == []
    assert doc["deleted_rows"] == sum(len(before[c]) for c in ids)
    assert not set(ids) & set(env.rows())


def test_a_lost_reply_that_cannot_be_re_read_is_unknown_and_settled(env: Env) -> None:
    ids = env.journeys(1)
    before = env.rows()
    keys = set_cache_keys(env.profile(), ids)
    env.proxy.drop_commit_reply(1)
    recheck = env.proxy.cut_on(PURGE_RECHECK, 1)
    out = env.cli("purge", ids_arg(ids), "--yes")
    assert recheck.is_set()
    assert out.returncode == 3
    settle = f"attribtui purge --profile=faults --conv-ids={ids[0]} --dry-run"
    one_line(out, rf"attribtui: purge stopped: {LOST}; 0 conversion\(s\) deleted, 0 untouched "
                  rf"\(rows in place and in the backup\), 1 unknown; settle with `{re.escape(settle)}` "
                  r"\(0 touchpoint rows: deleted\)")
    assert f"unknown (the COMMIT's reply was lost): {ids[0]}" in out.stdout
    assert cached(keys) == set()  # it may be gone: its key is evicted too
    assert last_action()["result"]["unknown_conv_ids"] == ids
    # The server did commit; the settle command says so.
    assert ids[0] not in env.rows() and before[ids[0]]
    settled = env.cli(*settle.split()[1:], "--json")
    assert settled.returncode == 0, settled.stderr
    assert json.loads(settled.stdout)["touchpoint_rows"] == 0


def test_a_cut_before_the_commit_leaves_the_batch_untouched(env: Env) -> None:
    ids = env.journeys(4)
    before = env.rows()
    fired = env.proxy.cut_on(PURGE_DELETE, 2)
    out = env.cli("purge", ids_arg(ids), "--yes", "--batch-size=2")
    assert fired.is_set()
    assert out.returncode == 2
    one_line(out, rf"attribtui: purge stopped: {LOST}; 2 conversion\(s\) deleted, 2 untouched "
                  r"\(rows in place and in the backup\), 0 unknown")
    after = env.rows()
    assert not set(ids[:2]) & set(after)
    assert {c: after[c] for c in ids[2:]} == {c: before[c] for c in ids[2:]}
    # The backup is whole and holds every selected row.
    (path,) = backups()
    header, rows = purge.read_backup(path)
    assert header["conv_ids"] == ids
    assert sorted(tuple(r.values()) for r in rows) == sorted(r for c in ids for r in before[c])


def test_an_unreachable_database_is_one_line(env: Env) -> None:
    before = env.rows()
    env.proxy.cut()
    out = env.cli("purge", ids_arg(env.journeys(2)), "--yes")
    assert out.returncode == 3
    # The proxy accepts and drops at once: the handshake's connection is lost.
    one_line(out, rf"attribtui: {LOST}")
    assert env.rows() == before and backups() == []


def test_a_connection_lost_while_taking_the_lock_is_one_line(env: Env) -> None:
    before = env.rows()
    fired = env.proxy.cut_on(b"GET_LOCK(", 1)
    out = env.cli("purge", ids_arg(env.journeys(2)), "--yes")
    assert fired.is_set()
    assert out.returncode == 3
    one_line(out, r"attribtui: cannot take the attribtui:\S+ lock: lost the connection to the "
                  r"database at .*")
    assert "internal error" not in out.stderr
    assert env.rows() == before and backups() == []


def test_a_held_lock_refuses_purge_and_restore_with_exit_1(env: Env) -> None:
    ids = env.journeys(2)
    done = env.cli("purge", ids_arg(ids), "--yes")
    assert done.returncode == 0, done.stderr
    (backup,) = backups()
    before = env.rows()
    with locks.acquire(env.url, "rebuild", operator="bob"):
        for args in (("purge", ids_arg(env.journeys(2)), "--yes"),
                     ("purge", "restore", str(backup), "--yes")):
            out = env.cli(*args)
            assert out.returncode == 1
            one_line(out, rf"attribtui: refused: the attribtui:{env.name} lock is held by bob@\S+ "
                          r"\(rebuild\) since .*; wait for it to finish or ask them")
    assert env.rows() == before and backups() == [backup]


@pytest.fixture
def select_only(env: Env, tmp_path: Path) -> Iterator[Path]:
    """A config whose profile's database user may only SELECT."""
    user = f"ro_{os.getpid()}_{env.name[-6:]}"[:32]
    admin = pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", autocommit=True)
    with admin.cursor() as cur:
        cur.execute(f"CREATE USER '{user}'@'%' IDENTIFIED BY 'pw'")
        cur.execute(f"GRANT SELECT ON `{env.name}`.* TO '{user}'@'%'")
    yield write_config(tmp_path / "ro.toml", env.name,
                       f"mysql+pymysql://{user}:pw@{MARIADB_HOST}:{MARIADB_PORT}/{env.name}")
    with admin.cursor() as cur:
        cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
    admin.close()


def test_a_select_only_user_is_refused_before_the_lock_and_the_backup(env: Env,
                                                                     select_only: Path) -> None:
    ids = env.journeys(2)
    done = env.cli("purge", ids_arg(ids), "--yes")
    assert done.returncode == 0, done.stderr
    (backup,) = backups()
    before = env.rows()
    out = env.cli("purge", ids_arg(env.journeys(2)), "--yes", config=select_only)
    assert out.returncode == 3
    one_line(out, r"attribtui: the purge needs DELETE on 202_conversion_touchpoints for database "
                  r"user ro_\S+ on mysql \S+; grant it \(GRANT DELETE ON \.\.\.\) or use a profile "
                  r"whose user has it\. Nothing was written")
    out = env.cli("purge", "restore", str(backup), "--yes", "--to-other-database",
                  config=select_only)
    assert out.returncode == 3
    one_line(out, r"attribtui: the restore needs DELETE on 202_conversion_touchpoints, INSERT on "
                  r"202_conversion_touchpoints for database user ro_\S+ on mysql \S+; grant it .*"
                  r"Nothing was written")
    assert env.rows() == before and backups() == [backup]
    assert not list(Path(os.environ["ATTRIBTUI_DATA_DIR"], "locks").glob("*.json"))


def test_conv_ids_are_capped_at_the_purge_limit_not_the_lookup_one(env: Env) -> None:
    assert purge_cli.MAX_CONV_IDS == purge.MAX_CONVERSIONS
    many = ",".join(str(i) for i in range(1, 601))  # more than a lookup's 500
    out = env.cli("purge", f"--conv-ids={many}", "--dry-run", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["conversions"] == 450
    too_many = ",".join(str(i) for i in range(1, purge.MAX_CONVERSIONS + 2))
    out = env.cli("purge", f"--conv-ids={too_many}", "--dry-run")
    assert out.returncode == 1
    one_line(out, r"attribtui: refused: 5001 conv_ids: at most 5000 per purge \(it deletes them in "
                  r"batches\); split the list")


# -- restore ---------------------------------------------------------------------------------------


def purged(env: Env, n: int) -> tuple[Path, dict[int, list[tuple[int, ...]]]]:
    """Purge the first n journeys (no fault); the backup and the rows before."""
    ids = env.journeys(n)
    before = env.rows()
    out = env.cli("purge", ids_arg(ids), "--yes", *(["--confirm", f"purge {n}"] if n > 5 else []))
    assert out.returncode == 0, out.stderr
    (path,) = backups()
    return path, before


def refused_restore(env: Env, path: Path, reason: str) -> None:
    before = env.rows()
    files = backups()
    out = env.cli("purge", "restore", str(path), "--yes", "--confirm=restore 424")
    assert out.returncode == 1
    one_line(out, rf"attribtui: refused: {re.escape(str(path))} cannot be restored: {reason}; "
                  r"nothing was changed")
    assert env.rows() == before and backups() == files


def test_a_truncated_backup_is_refused(env: Env, tmp_path: Path) -> None:
    """Issue 12.1: a file whose header lists 424 conversions but which holds rows for 200."""
    path, _ = purged(env, 424)
    lines = path.read_bytes().splitlines(keepends=True)
    kept = [lines[0]] + [ln for ln in lines[1:-1] if json.loads(ln)["row"]["conv_id"] in
                         json.loads(lines[0])["conv_ids"][:200]]
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(b"".join(kept))
    refused_restore(env, cut, rf"it is incomplete: it ends after line {len(kept)} without its "
                              rf"trailer \(the backup was cut short; it holds {len(kept) - 1} "
                              r"row\(s\) for 200 of 424 conversion\(s\)\)")


def test_an_edited_or_shortened_backup_is_refused(env: Env, tmp_path: Path) -> None:
    path, _ = purged(env, 3)
    lines = path.read_bytes().splitlines(keepends=True)
    edited = tmp_path / "edited.jsonl"
    doc = json.loads(lines[1])
    doc["row"]["click_id"] += 1
    edited.write_bytes(b"".join([lines[0], (json.dumps(doc) + "\n").encode(), *lines[2:]]))
    refused_restore(env, edited, r"its checksum does not match its trailer \(damaged or edited\)")
    short = tmp_path / "short.jsonl"
    short.write_bytes(b"".join([lines[0], *lines[2:]]))
    n = len(lines) - 2
    refused_restore(env, short, rf"it holds {n - 1} row\(s\) but its trailer says {n} \(damaged\)")


def test_restore_reads_under_caps(env: Env, tmp_path: Path) -> None:
    refused_restore(env, Path("/dev/zero"), r"line 1 is longer than 1 MiB, the limit for a line "
                                            r"of a purge backup")
    path, _ = purged(env, 1)
    head, row = path.read_bytes().splitlines(keepends=True)[:2]
    padded = row.rstrip()[:-1] + b" " * (purge.MAX_LINE_BYTES - len(row)) + b"}\n"
    assert len(padded) == purge.MAX_LINE_BYTES  # a valid row, as long as a line may be
    big = tmp_path / "big.jsonl"
    big.write_bytes(head + padded * (purge.MAX_BACKUP_BYTES // purge.MAX_LINE_BYTES))
    refused_restore(env, big, r"it is larger than 64 MiB, the limit for a purge backup")
    refused_restore(env, tmp_path / "absent.jsonl", r"it cannot be read \(No such file or "
                                                    r"directory\)")


def test_a_lost_restore_commit_reply_is_re_read_as_restored(env: Env) -> None:
    path, before = purged(env, 2)
    fired = env.proxy.drop_commit_reply(1)
    out = env.cli("purge", "restore", str(path), "--yes")
    assert fired.is_set()
    assert out.returncode == 0
    one_line(out, rf"attribtui: note: {LOST}; re-read on a fresh connection: all 2 "
                  r"conversion\(s\) were restored")
    assert env.rows() == before


def test_a_restore_cut_before_the_commit_restores_whole_conversions_only(env: Env) -> None:
    path, before = purged(env, 2)
    ids = sorted(purge.load(path).conv_ids)
    purged_rows = env.rows()
    fired = env.proxy.cut_on(PURGE_DELETE, 2)
    out = env.cli("purge", "restore", str(path), "--yes", "--batch-size=1")
    assert fired.is_set()
    assert out.returncode == 2
    one_line(out, rf"attribtui: restore stopped: {LOST}; 1 conversion\(s\) restored, 1 untouched "
                  r"\(rows as before\), 0 unknown")
    after = env.rows()
    assert after[ids[0]] == before[ids[0]] and ids[1] not in after  # as the output says
    assert {c: v for c, v in after.items() if c != ids[0]} == purged_rows


def test_a_lost_restore_reply_that_cannot_be_re_read_is_unknown_and_settled(env: Env) -> None:
    path, before = purged(env, 1)
    (conv,) = purge.load(path).conv_ids
    env.proxy.drop_commit_reply(1)
    recheck = env.proxy.cut_on(RESTORE_RECHECK, 1)
    out = env.cli("purge", "restore", str(path), "--yes")
    assert recheck.is_set()
    assert out.returncode == 3
    settle = f"attribtui purge restore --profile=faults {path} --dry-run"
    one_line(out, rf"attribtui: restore stopped: {LOST}; 0 conversion\(s\) restored, 0 untouched "
                  rf"\(rows as before\), 1 unknown; settle with `{re.escape(settle)}` \(it lists "
                  r"the conversions already restored\)")
    assert env.rows()[conv] == before[conv]  # the server did commit
    settled = env.cli(*settle.split()[1:])
    assert settled.returncode == 0, settled.stderr
    assert f"Already as in the backup: {conv}\n" in settled.stdout


# -- in process: the lock vanishing, and what the dialog shows ----------------------------------------


def test_a_lock_lost_mid_purge_stops_before_the_next_batch(env: Env) -> None:
    """The lock's connection is killed after the second batch began: the third never runs."""
    profile = Profile(name="faults", environment="staging", db=DbConfig(url=env.url),
                      memcache=memcache_config())
    db = Database(env.url)
    ids = env.journeys(3)
    before = env.rows()
    the_plan = purge.plan(db, purge.Selection(conv_ids=ids))
    killed: list[int] = []

    def kill_the_lock(stage: str, fraction: float) -> None:
        if stage == "deleting" and fraction > 0 and not killed:
            holder = locks.holder_of(env.url)
            assert holder is not None and holder.connection_id
            with pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root") as c, \
                    c.cursor() as cur:
                cur.execute(f"KILL {int(holder.connection_id)}")
            killed.append(holder.connection_id)

    result = purge.execute(db, profile, the_plan, batch_size=1, progress=kill_the_lock)
    db.close()
    assert killed and result.exit_code == 2
    assert re.fullmatch(rf"the attribtui:{env.name} lock's connection {killed[0]} is gone .*; "
                        r"stopped before the next batch so that no other operator's work runs "
                        r"over this one", result.error or "")
    assert (result.deleted_conv_ids, result.not_deleted_conv_ids) == (ids[:2], ids[2:])
    after = env.rows()
    assert not set(ids[:2]) & set(after) and after[ids[2]] == before[ids[2]]


def test_the_purge_dialog_shows_an_unknown_outcome_and_how_to_settle_it(env: Env) -> None:
    from screens.rollback.purge import result_lines

    profile = env.profile()
    db = Database(profile.db.url)
    ids = env.journeys(1)
    the_plan = purge.plan(db, purge.Selection(conv_ids=ids))
    env.proxy.drop_commit_reply(1)
    env.proxy.cut_on(PURGE_RECHECK, 1)
    result = purge.execute(db, profile, the_plan)
    db.close()
    assert result.unknown_conv_ids == ids and result.exit_code == 3
    lines = result_lines(result, profile)
    assert lines[0] == "✘ Purge stopped before the end."
    assert f"Unknown (reply lost): {ids[0]}" in lines
    assert f"Settle with: attribtui purge --profile=faults --conv-ids={ids[0]} --dry-run" in lines
    assert any(ln.startswith("Checked: re-reading failed (") and
               ln.endswith("the COMMIT was sent") for ln in lines)
