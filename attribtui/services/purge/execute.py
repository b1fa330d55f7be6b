"""The purge itself: back up, then delete in batches, and report the truth per conversion.

Under the lock (docs/architecture.md, "Promise 8"), after the privilege pre-flight: every row
to delete is first written to a whole, checksummed backup (a backup that could not be finished
stops the purge before any delete); rows are deleted in one transaction per batch, only those
in the backup; after an error the failed batch is re-read on a fresh connection (truth.py), and
the result, the action log and the cache eviction follow what the database really holds.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from sqlalchemy import Connection, text

from attribtui.infra import actionlog, locks
from attribtui.infra.config import Profile
from attribtui.infra.db import Database, DbError, in_clause
from attribtui.services.journeys import cache
from attribtui.services.purge import backup, truth
from attribtui.services.purge.common import (
    DEFAULT_BATCH,
    MAX_BATCH,
    NEEDS_PURGE,
    TOUCHPOINTS,
    BackupFailed,
    BackupNotWritten,
    PurgeRefused,
    chunks,
)
from attribtui.services.purge.guard import locked
from attribtui.services.purge.selection import Affected, PurgePlan, check_size
from attribtui.vocab import ExitCode

Progress = Callable[[str, float], None]


@dataclass
class PurgeResult:
    backup: str
    backed_up_rows: int
    deleted_rows: int
    deleted_conv_ids: list[int]
    not_deleted_conv_ids: list[int]  # untouched: their rows are in place (and in the backup)
    cache: str
    error: str | None
    affected: list[Affected]
    unknown_conv_ids: list[int] = field(default_factory=list)  # settle with `settle`
    truth: str | None = None  # how the outcome of a failed batch was established
    sha256: str = ""  # the backup's checksum (its trailer)
    profile: str = ""

    @property
    def complete(self) -> bool:
        """Every selected conversion's rows are gone (a lost reply re-read as done counts)."""
        return not self.not_deleted_conv_ids and not self.unknown_conv_ids

    @property
    def settle(self) -> str | None:
        """The command that tells whether the unknown conversions were deleted."""
        if not self.unknown_conv_ids:
            return None
        return (f"attribtui purge --profile={self.profile} --conv-ids="
                f"{','.join(map(str, self.unknown_conv_ids))} --dry-run")

    @property
    def exit_code(self) -> ExitCode:
        """2 when conversions were left untouched (stopped part-way), 3 when unknown, else 0."""
        return ExitCode.worst([ExitCode.FAIL if self.not_deleted_conv_ids else ExitCode.OK,
                               ExitCode.UNKNOWN if self.unknown_conv_ids else ExitCode.OK])

    def summary(self) -> str:
        """One line: what stopped the purge and what each conversion's state is."""
        line = (f"purge stopped: {self.error}; {len(self.deleted_conv_ids)} conversion(s) "
                f"deleted, {len(self.not_deleted_conv_ids)} untouched (rows in place and in the "
                f"backup), {len(self.unknown_conv_ids)} unknown")
        if self.settle:
            line += f"; settle with `{self.settle}` (0 touchpoint rows: deleted)"
        return line

    def to_json(self) -> dict[str, object]:
        return {**asdict(self), "complete": self.complete, "settle": self.settle}


def execute(db: Database, profile: Profile, the_plan: PurgePlan, *, batch_size: int = DEFAULT_BATCH,
            progress: Progress | None = None) -> PurgeResult:
    """Back up, then delete in batches, under the named lock; never raises once deleting began."""
    if profile.read_only:
        raise PurgeRefused(f"profile '{profile.name}' is read-only: purge is not available")
    if not 1 <= batch_size <= MAX_BATCH:
        raise PurgeRefused(f"batch size must be between 1 and {MAX_BATCH}")
    check_size(the_plan.touchpoint_rows)
    ids = list(the_plan.conv_ids)
    report = progress or (lambda _s, _f: None)
    with locked(db, "purge", NEEDS_PURGE, "the purge") as lock:
        report("backing up", 0.0)
        try:
            taken = _backup(db, profile, the_plan)
        except (BackupFailed, BackupNotWritten, PurgeRefused) as e:
            actionlog.record("purge", profile=profile, target=the_plan.selection.describe(),
                             params={"conv_ids": len(ids), "batch_size": batch_size},
                             result={"deleted_rows": 0, "backup": None, "error": str(e)})
            raise
        written = taken.rows
        todo = [c for c in ids if c in written]
        deleted_rows, done, error, found = 0, [], None, None
        for i, chunk in enumerate(chunks(todo, batch_size)):
            try:
                lock.ensure()  # promise 8: no batch runs once another operator could start
            except locks.LockLost as e:
                error = str(e)
                break
            report("deleting", i * batch_size / max(1, len(todo)))
            attempt = truth.Attempt()
            try:
                deleted_rows += attempt.run(db, _delete(chunk, written), "the purge")
            except DbError as e:
                error = str(e)
                found = truth.after_purge(db, written, chunk, attempt)
                done += found.having(truth.DELETED)
                deleted_rows += sum(len(written[c]) for c in found.having(truth.DELETED))
                break
            done += chunk
        unknown = found.having(truth.UNKNOWN) if found else []
        evicted = cache.evict_many(profile, done + unknown)  # unknown may be gone: evict too
    untouched = [c for c in todo if c not in set(done) | set(unknown)]
    result = PurgeResult(str(taken.path), taken.row_count, deleted_rows, done, untouched, evicted,
                         error, the_plan.affected, unknown, found.how if found else None,
                         taken.sha256, profile.name)
    actionlog.record("purge", profile=profile, target=the_plan.selection.describe(),
                     params={"conv_ids": len(ids), "backup": str(taken.path),
                             "batch_size": batch_size},
                     result={"deleted_rows": deleted_rows, "deleted_conversions": len(done),
                             "not_deleted_conversions": len(untouched),
                             "unknown_conversions": len(unknown), "unknown_conv_ids": unknown,
                             "error": error, "truth": result.truth, "cache": evicted})
    report("done", 1.0)
    return result


def _backup(db: Database, profile: Profile, the_plan: PurgePlan) -> backup.Taken:
    """The whole backup, or an exception saying that nothing was deleted."""
    try:
        return backup.take(db, profile, "purge", the_plan.conv_ids,
                           {"selection": asdict(the_plan.selection)})
    except DbError as e:
        raise BackupFailed(f"the purge stopped before deleting anything: the backup could not be "
                           f"finished ({e}); no backup file was kept") from None
    except OSError as e:
        raise BackupNotWritten(f"the purge stopped before deleting anything: the backup could "
                               f"not be written under {backup.backups_dir()} "
                               f"({e.strerror or type(e).__name__}); no backup file was kept") from None


def _delete(conv_ids: Sequence[int], written: dict[int, list[tuple[int, ...]]]
            ) -> Callable[[Connection], int]:
    """One transaction's statement: only rows that are in the backup are deleted."""
    c_sql, c_params = in_clause("c", conv_ids)
    t_sql, t_params = in_clause("t", [r[0] for c in conv_ids for r in written[c]])
    stmt = text(f"DELETE FROM `{TOUCHPOINTS}` WHERE conv_id IN ({c_sql}) AND touchpoint_id IN ({t_sql})")

    def run(conn: Connection) -> int:
        n: int = conn.execute(stmt, c_params | t_params).rowcount
        return n

    return run
