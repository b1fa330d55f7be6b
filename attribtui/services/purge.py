"""Surgical purge of polluted journeys, with a replayable backup first.

The hand-typed `DELETE FROM 202_conversion_touchpoints WHERE conv_id IN (...)`, made safe:
- the selection is bounded (a list of conv_ids, or a user/campaign and a conv_time window found
  as a conv_id range on the primary key) and refused when empty or unbounded;
- a dry run says how many conversions and touchpoint rows, with a sample;
- every row that will be deleted is first written to a backup file (JSON lines: a header, then
  one row per line; readable, and replayed exactly by `restore`);
- rows are deleted in one transaction per batch, the conv_ids and touchpoint_ids bound as
  parameters, only those in the backup; a lost connection stops cleanly and says what was and
  was not deleted;
- the work runs under the named lock (docs/architecture.md, promise 8), the journeys' cache keys
  are evicted, the action is recorded, and the backfill for exactly the affected users and window is offered.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from attribtui.infra import actionlog, clock, locks, paths
from attribtui.infra.config import Profile
from attribtui.infra.db import Database, DbError, in_clause
from attribtui.prosper import tables as pt
from attribtui.queries import idrange
from attribtui.services.actions import ActionPlan
from attribtui.services.journeys import cache
from attribtui.vocab import JsonDict, Refused

TOUCHPOINTS = "202_conversion_touchpoints"
COLUMNS = ("touchpoint_id", "conv_id", "click_id", "click_time", "position", "created_at")
MAX_CONVERSIONS = 5000  # per purge: larger incidents are purged in several bounded steps
MAX_WINDOW_S = 31 * 86400
MAX_BATCH = 1000
DEFAULT_BATCH = 200
HANDFUL = 5  # more conversions than this need a typed confirmation
BACKUP_KIND = "attribtui-purge-backup"
Progress = Callable[[str, float], None]


class PurgeRefused(Refused):
    """The selection or request is not safe to run; the message says why and how to fix it."""


@dataclass
class Selection:
    conv_ids: list[int] = field(default_factory=list)
    user_id: int | None = None
    campaign_id: int | None = None
    start: int | None = None
    end: int | None = None

    def check(self) -> None:
        """Refuse an empty, unbounded or oversized selection (one line, with the fix)."""
        by_window = self.user_id is not None or self.campaign_id is not None
        if self.conv_ids and by_window:
            raise PurgeRefused("give either conv_ids or a user/campaign with a window, not both")
        if self.conv_ids:
            if len(self.conv_ids) > MAX_CONVERSIONS:
                raise PurgeRefused(f"{len(self.conv_ids)} conv_ids: at most {MAX_CONVERSIONS} per "
                                   "purge; split the list")
            return
        if not by_window:
            raise PurgeRefused("empty selection: give conv_ids, or a user or campaign with "
                               "--start and --end")
        if self.start is None or self.end is None:
            raise PurgeRefused("unbounded selection: a user or campaign needs both --start and --end")
        if self.start >= self.end:
            raise PurgeRefused(f"start ({clock.iso(self.start)}) must be before end "
                               f"({clock.iso(self.end)})")
        if self.end - self.start > MAX_WINDOW_S:
            raise PurgeRefused("the window is longer than 31 days; purge it in smaller windows")

    def describe(self) -> str:
        if self.conv_ids:
            head = ", ".join(map(str, self.conv_ids[:8]))
            more = f" and {len(self.conv_ids) - 8} more" if len(self.conv_ids) > 8 else ""
            return f"conversions {head}{more}"
        who = " ".join(p for p in (f"user {self.user_id}" if self.user_id is not None else "",
                                   f"campaign {self.campaign_id}" if self.campaign_id is not None else "") if p)
        return f"{who}, conv_time {clock.iso(self.start)} to {clock.iso(self.end)}"


@dataclass
class Affected:
    """One user's share of the purge: the backfill that restores it covers start..end."""

    user_id: int
    start: int
    end: int
    conversions: int

    def backfill_args(self) -> list[str]:
        return [f"--user={self.user_id}", f"--start={self.start}", f"--end={self.end}"]


@dataclass
class PurgePlan:
    selection: Selection
    conv_ids: list[int]  # existing conversions selected (with or without a journey)
    missing_ids: list[int]  # asked for but not in 202_conversion_logs
    touchpoint_rows: int
    with_journey: int
    sample: list[dict[str, int]]
    affected: list[Affected]

    def action(self, profile: Profile) -> ActionPlan:
        typed = f"purge {len(self.conv_ids)}" if len(self.conv_ids) > HANDFUL else None
        return ActionPlan(
            title=f"Purge the journeys of {len(self.conv_ids)} conversion(s)",
            effects=[
                f"Deletes {self.touchpoint_rows} row(s) of {TOUCHPOINTS} for "
                f"{self.with_journey} conversion(s) ({self.selection.describe()}).",
                f"First writes every one of those rows to a backup under {backups_dir()}; "
                "`attribtui purge restore FILE` puts them back exactly.",
                "Evicts the journeys' cache keys; holds the one-operator lock while it runs.",
                "Afterwards: " + "; ".join(
                    f"backfill user {a.user_id} {clock.iso(a.start)}..{clock.iso(a.end)}"
                    for a in self.affected) + " to rebuild the journeys from 202_clicks.",
            ],
            request=(f"DELETE FROM {TOUCHPOINTS} WHERE conv_id IN (…{len(self.conv_ids)} bound "
                     "ids…) AND touchpoint_id IN (…backed-up ids…), in batches"),
            typed=typed,
            destructive=True,
        )


@dataclass
class PurgeResult:
    backup: str
    backed_up_rows: int
    deleted_rows: int
    deleted_conv_ids: list[int]
    not_deleted_conv_ids: list[int]
    cache: str
    error: str | None
    affected: list[Affected]

    @property
    def complete(self) -> bool:
        return self.error is None and not self.not_deleted_conv_ids


# -- selection -------------------------------------------------------------------------------------


def _conversions(db: Database, sel: Selection) -> list[Any]:
    cols = "conv_id, user_id, campaign_id, conv_time"
    if sel.conv_ids:
        rows: list[Any] = []
        for chunk in _chunks(sorted(set(sel.conv_ids)), 500):
            sql, params = in_clause("c", chunk)
            rows += db.read(f"SELECT {cols} FROM `{pt.conversion_logs.name}` WHERE conv_id IN ({sql}) "
                            f"LIMIT {len(chunk)}", params, primary=True)
        return rows
    assert sel.start is not None and sel.end is not None  # Selection.check() made sure
    ids = idrange.id_range(db.reader(primary=True), pt.conversion_logs, "conv_time", sel.start,
                           sel.end)
    if ids is None:
        return []
    lo, hi = ids
    where, params = ["conv_id >= :lo", "conv_id < :hi", "conv_time BETWEEN :t0 AND :t1"], {
        "lo": lo, "hi": hi, "t0": sel.start, "t1": sel.end}
    if sel.user_id is not None:
        where.append("user_id = :u")
        params["u"] = sel.user_id
    if sel.campaign_id is not None:
        where.append("campaign_id = :cmp")
        params["cmp"] = sel.campaign_id
    rows = db.read(f"SELECT {cols} FROM `{pt.conversion_logs.name}` WHERE {' AND '.join(where)} "
                   f"ORDER BY conv_id LIMIT {MAX_CONVERSIONS + 1}", params, primary=True)
    if len(rows) > MAX_CONVERSIONS:
        raise PurgeRefused(f"more than {MAX_CONVERSIONS} conversions in this window; narrow it")
    return rows


def plan(db: Database, sel: Selection) -> PurgePlan:
    """The dry run: what a purge of this selection would delete (reads the primary)."""
    sel.check()
    convs = _conversions(db, sel)
    ids = [int(r[0]) for r in convs]
    missing = sorted(set(sel.conv_ids) - set(ids)) if sel.conv_ids else []
    counts: dict[int, int] = {}
    for chunk in _chunks(ids, 500):
        sql, params = in_clause("c", chunk)
        for conv_id, n in db.read(f"SELECT conv_id, COUNT(*) FROM `{TOUCHPOINTS}` WHERE conv_id "
                                  f"IN ({sql}) GROUP BY conv_id LIMIT {len(chunk)}", params,
                                  primary=True):
            counts[int(conv_id)] = int(n)
    sample: list[dict[str, int]] = []
    if counts:
        sql, params = in_clause("c", sorted(counts)[:5])
        sample = [dict(zip(COLUMNS, map(int, r), strict=True)) for r in db.read(
            f"SELECT {', '.join(COLUMNS)} FROM `{TOUCHPOINTS}` WHERE conv_id IN ({sql}) "
            "ORDER BY conv_id, position LIMIT 10", params, primary=True)]
    per_user: dict[int, list[int]] = {}
    for r in convs:
        per_user.setdefault(int(r[1]), []).append(int(r[3]))
    affected = [Affected(u, min(ts), max(ts), len(ts)) for u, ts in sorted(per_user.items())]
    return PurgePlan(sel, ids, missing, sum(counts.values()), len(counts), sample, affected)


# -- backup ----------------------------------------------------------------------------------------


def backups_dir() -> Path:
    return paths.folder("backups")


def _new_backup(kind: str, profile: Profile) -> Any:
    stem = f"{kind}-{paths.stamp(clock.iso(clock.now()) or '')}-{profile.name}"
    return paths.new_private_file(backups_dir(), stem, ".jsonl")


def _write_rows(db: Database, conv_ids: Sequence[int], fh: Any) -> dict[int, list[int]]:
    """Copy every touchpoint row of conv_ids to fh; returns conv_id -> touchpoint_ids written."""
    written: dict[int, list[int]] = {}
    for chunk in _chunks(list(conv_ids), 200):
        sql, params = in_clause("c", chunk)
        rows = db.read(f"SELECT {', '.join(COLUMNS)} FROM `{TOUCHPOINTS}` WHERE conv_id IN ({sql}) "
                       "ORDER BY conv_id, position, touchpoint_id LIMIT 100000", params, primary=True)
        for r in rows:
            row = dict(zip(COLUMNS, map(int, r), strict=True))
            fh.write(json.dumps({"table": TOUCHPOINTS, "row": row}) + "\n")
            written.setdefault(row["conv_id"], []).append(row["touchpoint_id"])
    fh.flush()
    os.fsync(fh.fileno())
    return written


def _header(kind: str, profile: Profile, db: Database, conv_ids: Sequence[int], **extra: Any) -> str:
    return json.dumps({
        "kind": kind, "version": 1, "created_at": clock.now(), "created_at_iso": clock.iso(clock.now()),
        "operator": actionlog.operator(getattr(profile, "operator", None)), "profile": profile.name,
        "environment": profile.environment, "database": db.label, "table": TOUCHPOINTS,
        "columns": list(COLUMNS), "conv_ids": list(conv_ids), **extra,
    }) + "\n"


def read_backup(path: Path) -> tuple[JsonDict, list[dict[str, int]]]:
    """(header, rows) of a backup file; PurgeRefused if it is not one."""
    try:
        lines = Path(path).read_text().splitlines()
        header = json.loads(lines[0])
        rows = [json.loads(line)["row"] for line in lines[1:] if line.strip()]
    except (OSError, ValueError, IndexError, KeyError, TypeError) as e:
        raise PurgeRefused(f"{path} is not a readable purge backup ({type(e).__name__}); "
                           "give a file from `attribtui paths` → backups") from None
    if header.get("kind") != BACKUP_KIND or header.get("table") != TOUCHPOINTS:
        raise PurgeRefused(f"{path} is not an attribtui purge backup")
    return header, rows


# -- purge -----------------------------------------------------------------------------------------


def execute(db: Database, profile: Profile, the_plan: PurgePlan, *, batch_size: int = DEFAULT_BATCH,
            progress: Progress | None = None) -> PurgeResult:
    """Back up, then delete in batches, under the named lock; never raises for a lost connection."""
    if profile.read_only:
        raise PurgeRefused(f"profile '{profile.name}' is read-only: purge is not available")
    if not 1 <= batch_size <= MAX_BATCH:
        raise PurgeRefused(f"batch size must be between 1 and {MAX_BATCH}")
    ids = [c for c in the_plan.conv_ids]
    report = progress or (lambda _s, _f: None)
    with locks.acquire(db.url, "purge"):
        with _new_backup("purge", profile) as (path, fh):
            fh.write(_header(BACKUP_KIND, profile, db, ids, selection=asdict(the_plan.selection)))
            report("backing up", 0.0)
            written = _write_rows(db, ids, fh)
        backed_up = sum(len(v) for v in written.values())
        deleted_rows, done, error = 0, [], None
        todo = [c for c in ids if c in written]
        for i, chunk in enumerate(_chunks(todo, batch_size)):
            report("deleting", i * batch_size / max(1, len(todo)))
            tp_ids = [t for c in chunk for t in written[c]]
            try:
                deleted_rows += _delete(db, chunk, tp_ids)
            except DbError as e:
                error = str(e)
                break
            done += chunk
        evicted = cache.evict_many(profile, done)
    not_done = [c for c in todo if c not in set(done)]
    result = PurgeResult(str(path), backed_up, deleted_rows, done, not_done, evicted, error,
                         the_plan.affected)
    actionlog.record("purge", profile=profile, target=the_plan.selection.describe(),
                     params={"conv_ids": len(ids), "backup": str(path), "batch_size": batch_size},
                     result={"deleted_rows": deleted_rows, "deleted_conversions": len(done),
                             "not_deleted_conversions": len(not_done), "error": error,
                             "cache": evicted})
    report("done", 1.0)
    return result


def _delete(db: Database, conv_ids: Sequence[int], touchpoint_ids: Sequence[int]) -> int:
    """One transaction: only rows that are in the backup are deleted."""
    c_sql, c_params = in_clause("c", conv_ids)
    t_sql, t_params = in_clause("t", touchpoint_ids)
    stmt = text(f"DELETE FROM `{TOUCHPOINTS}` WHERE conv_id IN ({c_sql}) AND touchpoint_id IN ({t_sql})")
    return db.write(lambda conn: conn.execute(stmt, c_params | t_params).rowcount,
                    what="the purge")


# -- restore ---------------------------------------------------------------------------------------


@dataclass
class RestoreResult:
    backup: str
    pre_restore_backup: str | None
    restored_rows: int
    replaced_rows: int
    conv_ids: list[int]
    error: str | None = None


def restore(db: Database, profile: Profile, path: Path, *, dry_run: bool = False,
            batch_size: int = DEFAULT_BATCH, other_database: bool = False) -> RestoreResult:
    """Put a backup's rows back exactly, replacing the conversions' current rows (backed up first).

    A backup replays only onto the database it was taken from, unless other_database is set
    (a staging backup must not land on production by a slip of --profile).
    """
    header, rows = read_backup(path)
    if header.get("database") != db.label and not other_database:
        raise PurgeRefused(f"{path} was taken from {header.get('database')} (profile "
                           f"{header.get('profile')}), not {db.label}; pass --to-other-database "
                           "if replaying it here is really intended")
    conv_ids = sorted({int(c) for c in header.get("conv_ids", [])} | {r["conv_id"] for r in rows})
    by_conv: dict[int, list[dict[str, int]]] = {}
    for r in rows:
        by_conv.setdefault(r["conv_id"], []).append(r)
    if dry_run:
        current = 0
        for chunk in _chunks(conv_ids, 500):
            sql, params = in_clause("c", chunk)
            current += int(db.scalar(f"SELECT COUNT(*) FROM `{TOUCHPOINTS}` WHERE conv_id IN ({sql})",
                                     params, primary=True) or 0)
        return RestoreResult(str(path), None, len(rows), current, conv_ids)
    if profile.read_only:
        raise PurgeRefused(f"profile '{profile.name}' is read-only: restore is not available")
    restored = replaced = 0
    error = None
    with locks.acquire(db.url, "purge restore"):
        with _new_backup("pre-restore", profile) as (pre, fh):
            fh.write(_header(BACKUP_KIND, profile, db, conv_ids, restoring=str(path)))
            replaced_rows = _write_rows(db, conv_ids, fh)
        insert = text(f"INSERT INTO `{TOUCHPOINTS}` ({', '.join(COLUMNS)}) VALUES "
                      f"({', '.join(':' + c for c in COLUMNS)})")
        for chunk in _chunks(conv_ids, batch_size):
            sql, params = in_clause("c", chunk)
            batch_rows = [r for c in chunk for r in by_conv.get(c, [])]

            def replace(conn: Connection, sql: str = sql, params: dict[str, object] = params,
                        batch_rows: list[dict[str, int]] = batch_rows) -> int:
                n: int = conn.execute(text(f"DELETE FROM `{TOUCHPOINTS}` WHERE conv_id IN ({sql})"),
                                 params).rowcount
                if batch_rows:
                    conn.execute(insert, batch_rows)
                return n

            try:
                replaced += db.write(replace, what="the restore")
            except DbError as e:
                error = str(e)
                break
            restored += len(batch_rows)
        cache.evict_many(profile, conv_ids)
    actionlog.record("purge.restore", profile=profile, target=str(path),
                     params={"conversions": len(conv_ids), "pre_restore_backup": str(pre)},
                     result={"restored_rows": restored, "replaced_rows": replaced, "error": error,
                             "had_rows": sum(len(v) for v in replaced_rows.values())})
    return RestoreResult(str(path), str(pre), restored, replaced, conv_ids, error)


def _chunks(items: Sequence[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield list(items[i:i + size])
