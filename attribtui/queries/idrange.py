"""Time windows as id ranges, found on the primary key.

202_conversion_logs has no conv_time index and 202_attribution_audit no time index, so a window
of either is never a scan of the time column: ids grow with time, so the first id at or after t
is found by a binary search of one-row `ORDER BY id LIMIT 1` probes on the primary key.
"""

from __future__ import annotations

from sqlalchemy import Table

from attribtui.infra.db import Read


def _cols(table: Table, time_col: str) -> tuple[str, str, str]:
    (pk,) = table.primary_key.columns
    return f"`{table.name}`", pk.name, table.c[time_col].name


def first_id_at_or_after(read: Read, table: Table, time_col: str, t: int) -> int | None:
    """The first id whose time is >= t: about log2(id range) one-row probes.

    None when the table is empty; the id after the newest when every row is older than t (so
    `id >= result` selects nothing).
    """
    name, id_col, ts = _cols(table, time_col)
    first = read(f"SELECT {id_col}, {ts} FROM {name} ORDER BY {id_col} LIMIT 1")
    if not first:
        return None
    last = read(f"SELECT {id_col}, {ts} FROM {name} ORDER BY {id_col} DESC LIMIT 1")
    lo_id, lo_t = int(first[0][0]), int(first[0][1])
    hi_id, hi_t = int(last[0][0]), int(last[0][1])
    if lo_t >= t:
        return lo_id
    if hi_t < t:
        return hi_id + 1
    a, b, found = lo_id, hi_id, hi_id  # time(first row >= a) < t <= time(first row >= b)
    probe = f"SELECT {id_col}, {ts} FROM {name} WHERE {id_col} >= :x ORDER BY {id_col} LIMIT 1"
    while b - a > 1:
        m = (a + b) // 2
        row = read(probe, {"x": m})[0]
        if int(row[1]) >= t:
            b, found = m, int(row[0])
        else:
            a = m
    return found


def id_range(read: Read, table: Table, time_col: str, start: int, end: int
             ) -> tuple[int, int] | None:
    """The ids [lo, hi) whose rows fall in start..end (inclusive times), or None when none do."""
    lo = first_id_at_or_after(read, table, time_col, start)
    hi = first_id_at_or_after(read, table, time_col, end + 1)
    if lo is None or hi is None or lo >= hi:
        return None
    return lo, hi
