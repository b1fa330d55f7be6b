"""What every part of the purge shares: the table, its columns, the caps and the errors."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

from attribtui.vocab import Failed, Refused, Unreachable

T = TypeVar("T")
TOUCHPOINTS = "202_conversion_touchpoints"
COLUMNS = ("touchpoint_id", "conv_id", "click_id", "click_time", "position", "created_at")
Row = tuple[int, ...]  # one touchpoint row, in COLUMNS order

MAX_CONVERSIONS = 5000  # per purge: deleted in batches; larger incidents in several purges
MAX_WINDOW_S = 31 * 86400
MAX_BATCH = 1000
DEFAULT_BATCH = 200
HANDFUL = 5  # more conversions than this need a typed confirmation
# A journey holds at most 26 touches (docs/prosper202.md, "persistJourney"); nothing stops a
# polluted one from holding more ("What nothing enforces"), so a purge backs up at most 50 rows
# per conversion on average. Restore reads no more than a purge can write.
MAX_BACKUP_ROWS = MAX_CONVERSIONS * 50
MAX_BACKUP_BYTES = 64 * 1024 * 1024  # a row line is at most 216 bytes: 250000 rows < 52 MiB
MAX_LINE_BYTES = 1024 * 1024  # the header lists up to MAX_CONVERSIONS ids; a row is ~200 bytes
ID_CHUNK = 500  # ids per IN list of a read

# What a purge and a restore need, checked before the lock and the backup (promise 2).
NEEDS_PURGE = (("SELECT", TOUCHPOINTS), ("DELETE", TOUCHPOINTS))
NEEDS_RESTORE = (("SELECT", TOUCHPOINTS), ("DELETE", TOUCHPOINTS), ("INSERT", TOUCHPOINTS))


class PurgeRefused(Refused):
    """The selection or request is not safe to run; the message says why and how to fix it."""


class BackupFailed(Unreachable):
    """The backup could not be finished (the database went away): nothing changed (exit 3)."""


class BackupNotWritten(Failed):
    """The backup file could not be written (disk full, permissions): nothing changed (exit 2)."""


def chunks(items: Sequence[T], size: int) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield list(items[i:i + size])


def mib(n: int) -> str:
    return f"{n // (1024 * 1024)} MiB"
