"""`purge restore`: put a verified backup's rows back exactly, one transaction per batch.

The file is verified whole before anything is touched (backup.py). Each conversion is replaced
inside one transaction (its current rows deleted, the backup's inserted), after its current
rows were saved to a pre-restore backup; after an error the failed batch is re-read on a fresh
connection (truth.py), and the result, action log and cache eviction follow what it holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import Connection, text

from attribtui.infra import actionlog, locks
from attribtui.infra.config import Profile
from attribtui.infra.db import Database, DbError, in_clause
from attribtui.services.journeys import cache
from attribtui.services.purge import backup, truth
from attribtui.services.purge.backup import Backup
from attribtui.services.purge.common import (
    COLUMNS,
    DEFAULT_BATCH,
    MAX_BATCH,
    NEEDS_RESTORE,
    TOUCHPOINTS,
    BackupFailed,
    BackupNotWritten,
    PurgeRefused,
    Row,
    chunks,
)
from attribtui.services.purge.guard import locked
from attribtui.vocab import ExitCode


@dataclass
class RestoreResult:
    backup: str
    pre_restore_backup: str | None
    restored_rows: int  # inserted from the backup
    replaced_rows: int  # deleted (a dry run: the rows these conversions have now)
    conv_ids: list[int]
    error: str | None = None
    restored_conv_ids: list[int] = field(default_factory=list)
    untouched_conv_ids: list[int] = field(default_factory=list)
    unknown_conv_ids: list[int] = field(default_factory=list)
    truth: str | None = None  # how the outcome of a failed batch was established
    matching_conv_ids: list[int] = field(default_factory=list)  # a dry run: already as backed up
    profile: str = ""

    @property
    def complete(self) -> bool:
        return not self.untouched_conv_ids and not self.unknown_conv_ids

    @property
    def settle(self) -> str | None:
        """The command that tells which conversions already hold the backup's rows."""
        if not self.unknown_conv_ids:
            return None
        return f"attribtui purge restore --profile={self.profile} {self.backup} --dry-run"

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.worst([ExitCode.FAIL if self.untouched_conv_ids else ExitCode.OK,
                               ExitCode.UNKNOWN if self.unknown_conv_ids else ExitCode.OK])

    def summary(self) -> str:
        line = (f"restore stopped: {self.error}; {len(self.restored_conv_ids)} conversion(s) "
                f"restored, {len(self.untouched_conv_ids)} untouched (rows as before), "
                f"{len(self.unknown_conv_ids)} unknown")
        if self.settle:
            line += f"; settle with `{self.settle}` (it lists the conversions already restored)"
        return line

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "complete": self.complete, "settle": self.settle}


def restore(db: Database, profile: Profile, source: Path | Backup, *, dry_run: bool = False,
            batch_size: int = DEFAULT_BATCH, other_database: bool = False) -> RestoreResult:
    """Put a backup's rows back exactly, replacing the conversions' current rows (backed up first).

    A backup replays only onto the database it was taken from, unless other_database is set
    (a staging backup must not land on production by a slip of --profile).
    """
    b = source if isinstance(source, Backup) else backup.load(Path(source))
    if b.header.get("database") != db.label and not other_database:
        raise PurgeRefused(f"{b.path} was taken from {b.header.get('database')} (profile "
                           f"{b.header.get('profile')}), not {db.label}; pass --to-other-database "
                           "if replaying it here is really intended")
    conv_ids = sorted(b.conv_ids)
    wanted = b.by_conv()
    if dry_run:
        current: dict[int, list[Row]] = {c: [] for c in conv_ids}
        for row in backup.read_rows(db, conv_ids):
            current[row[1]].append(row)
        matching = [c for c in conv_ids if sorted(current[c]) == sorted(wanted[c])]
        return RestoreResult(str(b.path), None, len(b.rows), sum(map(len, current.values())),
                             conv_ids, matching_conv_ids=matching, profile=profile.name)
    if profile.read_only:
        raise PurgeRefused(f"profile '{profile.name}' is read-only: restore is not available")
    if not 1 <= batch_size <= MAX_BATCH:
        raise PurgeRefused(f"batch size must be between 1 and {MAX_BATCH}")
    restored_rows = replaced = 0
    done: list[int] = []
    error, found = None, None
    with locked(db, "purge restore", NEEDS_RESTORE, "the restore") as lock:
        try:
            pre = _pre_backup(db, profile, b, conv_ids)
        except (BackupFailed, BackupNotWritten, PurgeRefused) as e:
            actionlog.record("purge.restore", profile=profile, target=str(b.path),
                             params={"conversions": len(conv_ids), "sha256": b.sha256},
                             result={"restored_rows": 0, "replaced_rows": 0, "error": str(e)})
            raise
        for chunk in chunks(conv_ids, batch_size):
            try:
                lock.ensure()  # promise 8: no batch runs once another operator could start
            except locks.LockLost as e:
                error = str(e)
                break
            attempt = truth.Attempt()
            try:
                replaced += attempt.run(db, _replace(chunk, wanted), "the restore")
            except DbError as e:
                error = str(e)
                found = truth.after_restore(db, wanted, pre.rows, chunk, attempt)
                ok = found.having(truth.RESTORED)
                done += ok
                restored_rows += sum(len(wanted[c]) for c in ok)
                replaced += sum(len(pre.rows.get(c, [])) for c in ok)
                break
            done += chunk
            restored_rows += sum(len(wanted[c]) for c in chunk)
        unknown = found.having(truth.UNKNOWN) if found else []
        evicted = cache.evict_many(profile, done + unknown)  # unknown may have changed: evict
    untouched = [c for c in conv_ids if c not in set(done) | set(unknown)]
    result = RestoreResult(str(b.path), str(pre.path), restored_rows, replaced, conv_ids, error,
                           done, untouched, unknown, found.how if found else None,
                           profile=profile.name)
    actionlog.record("purge.restore", profile=profile, target=str(b.path),
                     params={"conversions": len(conv_ids), "pre_restore_backup": str(pre.path),
                             "sha256": b.sha256},
                     result={"restored_rows": restored_rows, "replaced_rows": replaced,
                             "restored_conversions": len(done), "untouched_conversions":
                             len(untouched), "unknown_conversions": len(unknown),
                             "unknown_conv_ids": unknown, "error": error, "truth": result.truth,
                             "had_rows": pre.row_count, "cache": evicted})
    return result


def _pre_backup(db: Database, profile: Profile, b: Backup, conv_ids: Sequence[int]
                ) -> backup.Taken:
    try:
        return backup.take(db, profile, "pre-restore", conv_ids, {"restoring": str(b.path)})
    except DbError as e:
        raise BackupFailed(f"the restore stopped before changing anything: the backup of the "
                           f"current rows could not be finished ({e}); no backup file was "
                           "kept") from None
    except OSError as e:
        raise BackupNotWritten(f"the restore stopped before changing anything: the backup of the "
                               f"current rows could not be written under {backup.backups_dir()} "
                               f"({e.strerror or type(e).__name__})") from None


def _replace(conv_ids: Sequence[int], wanted: Mapping[int, Sequence[Row]]
             ) -> Callable[[Connection], int]:
    """One transaction: each conversion's rows deleted and the backup's inserted, or neither."""
    sql, params = in_clause("c", conv_ids)
    delete = text(f"DELETE FROM `{TOUCHPOINTS}` WHERE conv_id IN ({sql})")
    insert = text(f"INSERT INTO `{TOUCHPOINTS}` ({', '.join(COLUMNS)}) VALUES "
                  f"({', '.join(':' + c for c in COLUMNS)})")
    rows = [dict(zip(COLUMNS, r, strict=True)) for c in conv_ids for r in wanted[c]]

    def run(conn: Connection) -> int:
        n: int = conn.execute(delete, params).rowcount
        if rows:
            conn.execute(insert, rows)
        return n

    return run
