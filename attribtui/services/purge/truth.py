"""What really happened to a batch whose transaction failed, re-read on a fresh connection.

A lost connection around a COMMIT leaves the outcome unknown to the client: the server may have
committed (its reply was lost) or rolled back. A result the console could not confirm is
reported as unknown with how to settle it, never as done or untouched (docs/architecture.md,
"Statuses"). So after any error the rows are read again on a connection of their own (the
failed one is dead or suspect), and each conversion is deleted/restored, untouched, or unknown.
Without a commit sent, the server rolled the transaction back: untouched even if the re-read fails.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection

from attribtui.infra.db import Database, DbError, in_clause
from attribtui.services.purge.common import (
    COLUMNS,
    ID_CHUNK,
    MAX_BACKUP_ROWS,
    TOUCHPOINTS,
    Row,
    chunks,
)

DELETED = "deleted"
RESTORED = "restored"
UNTOUCHED = "untouched"
UNKNOWN = "unknown"


@dataclass
class Attempt:
    """How far one transaction got: past its statements, the COMMIT was sent (or about to be)."""

    commit_sent: bool = False

    def run(self, db: Database, fn: Callable[[Connection], int], what: str) -> int:
        def body(conn: Connection) -> int:
            n = fn(conn)
            self.commit_sent = True  # db.write commits right after this returns
            return n

        return db.write(body, what=what)


@dataclass
class Truth:
    """Each conversion's state after a failed batch, and how it was established."""

    states: dict[int, str]
    how: str  # "re-read on a fresh connection" or why that was not possible

    def having(self, state: str) -> list[int]:
        return [c for c, s in self.states.items() if s == state]


def _fresh(db: Database) -> Database:
    """A Database of its own: new engines, so a new connection, not the failed pool's."""
    return Database(db.url, statement_timeout_ms=db.statement_timeout_ms,
                    connect_timeout_s=db.connect_timeout_s, profile=db.profile)


def _fallback(conv_ids: Sequence[int], attempt: Attempt, error: DbError) -> Truth:
    state = UNKNOWN if attempt.commit_sent else UNTOUCHED
    why = ("the COMMIT was sent" if attempt.commit_sent
           else "no COMMIT was sent, so the server rolled back")
    return Truth(dict.fromkeys(conv_ids, state), f"re-reading failed ({error}); {why}")


def after_purge(db: Database, backed_up: Mapping[int, Sequence[Row]], conv_ids: Sequence[int],
                attempt: Attempt) -> Truth:
    """deleted (none of its backed-up rows is left), untouched (all are), else unknown."""
    tp_ids = [r[0] for c in conv_ids for r in backed_up[c]]
    left: dict[int, int] = {}
    check = _fresh(db)
    try:
        for chunk in chunks(tp_ids, ID_CHUNK):
            sql, params = in_clause("t", chunk)
            for conv_id, n in check.read(
                    f"SELECT conv_id, COUNT(*) FROM `{TOUCHPOINTS}` WHERE touchpoint_id IN ({sql}) "
                    f"GROUP BY conv_id LIMIT {len(chunk)}", params, primary=True):
                left[int(conv_id)] = left.get(int(conv_id), 0) + int(n)
    except DbError as e:
        return _fallback(conv_ids, attempt, e)
    finally:
        check.close()
    states = {}
    for c in conv_ids:
        n = left.get(c, 0)
        states[c] = DELETED if n == 0 else UNTOUCHED if n == len(backed_up[c]) else UNKNOWN
    return Truth(states, "re-read on a fresh connection")


def after_restore(db: Database, wanted: Mapping[int, Sequence[Row]],
                  before: Mapping[int, Sequence[Row]], conv_ids: Sequence[int],
                  attempt: Attempt) -> Truth:
    """restored (the rows are the backup's), untouched (they are as before), else unknown."""
    now: dict[int, list[Row]] = {c: [] for c in conv_ids}
    check = _fresh(db)
    try:
        for chunk in chunks(list(conv_ids), ID_CHUNK):
            sql, params = in_clause("c", chunk)
            for r in check.read(f"SELECT {', '.join(COLUMNS)} FROM `{TOUCHPOINTS}` WHERE conv_id "
                                f"IN ({sql}) ORDER BY touchpoint_id LIMIT {MAX_BACKUP_ROWS}",
                                params, primary=True):
                row = tuple(int(v) for v in r)
                now[row[1]].append(row)
    except DbError as e:
        return _fallback(conv_ids, attempt, e)
    finally:
        check.close()
    states = {}
    for c in conv_ids:
        have = sorted(now[c])
        states[c] = (RESTORED if have == sorted(wanted.get(c, [])) else
                     UNTOUCHED if have == sorted(before.get(c, [])) else UNKNOWN)
    return Truth(states, "re-read on a fresh connection")
