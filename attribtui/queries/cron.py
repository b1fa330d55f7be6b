"""The cron's own records: heartbeats (202_cronjob_logs) and the rebuild's guard rows."""

from __future__ import annotations

from collections.abc import Iterable

from attribtui.infra.db import Read, in_clause
from attribtui.prosper import tables as pt

REBUILD_HEARTBEAT, EXPORT_HEARTBEAT = 2, 3  # 202_cronjob_logs ids (1 is the main cron)
GUARD_TYPE = "attr"


def heartbeats(read: Read) -> dict[int, int]:
    """202_cronjob_logs id -> last_execution_time, for the main, rebuild and export crons."""
    rows = read(f"SELECT id, last_execution_time FROM `{pt.cronjob_logs.name}` "
                "WHERE id IN (1, 2, 3) LIMIT 3")
    return {int(r[0]): int(r[1]) for r in rows}


def newest_guard(read: Read) -> int | None:
    """The newest guarded hour ('attr' row of 202_cronjobs), or None."""
    value = read(f"SELECT MAX(cronjob_time) FROM `{pt.cronjobs.name}` "
                 f"WHERE cronjob_type = '{GUARD_TYPE}'")
    return None if not value or value[0][0] is None else int(value[0][0])


def guarded(read: Read, hours: Iterable[int]) -> list[int]:
    """Which of these hours already have a guard row (a rebuild ending in them would skip)."""
    wanted = sorted(set(hours))
    if not wanted:
        return []
    part, params = in_clause("h", wanted)
    rows = read(f"SELECT cronjob_time FROM `{pt.cronjobs.name}` WHERE cronjob_type = "
                f"'{GUARD_TYPE}' AND cronjob_time IN ({part}) LIMIT 1000", params)
    return sorted({int(r[0]) for r in rows})


DELETE_GUARD_SQL = (f"DELETE FROM `{pt.cronjobs.name}` WHERE cronjob_type = '{GUARD_TYPE}' "
                    "AND cronjob_time = :h")
