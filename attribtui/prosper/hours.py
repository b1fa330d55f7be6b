"""Hours as Prosper202 counts them: snapshot buckets, hour-aligned windows, 24 h chunks.

A snapshot's hour is hour(conv_time). The rebuild resets every hour from hour(start) to hour(end)
but refills only the conversions between start and end, so a window that neither undercounts its
first hour nor zeroes the hour after it is `--start=H0 --end=H1-1` with H0, H1 whole hours; and
upstream advises runs of at most 24 h (docs/prosper202.md, "Rebuild windows").
"""

from __future__ import annotations

HOUR = 3600
DAY = 24 * HOUR


def hour(t: int) -> int:
    """The whole hour holding t (Prosper202's hour(t) = t - t % 3600)."""
    return t - t % HOUR


def aligned(start: int, end: int) -> tuple[int, int]:
    """The hour-aligned window covering start..end: (H0, H1 - 1)."""
    return hour(start), hour(end) + HOUR - 1


def last_hours(seconds: int, now: int) -> tuple[int, int]:
    """The last complete hours before now, hour-aligned: (H1 - seconds, H1 - 1), H1 = hour(now)."""
    h1 = hour(now)
    return h1 - seconds, h1 - 1


def chunks(start: int, end: int, size: int | None = DAY) -> list[tuple[int, int]]:
    """start..end as consecutive runs of at most `size` seconds, each ending at an hour's last
    second (H-1) except the last; None (or a window shorter than size) runs it at once."""
    if not size or end - start < size:
        return [(start, end)]
    step = max(HOUR, size - size % HOUR)
    out: list[tuple[int, int]] = []
    s = start
    while s <= end:
        e = min(end, hour(s) + step - 1)
        out.append((s, e))
        s = e + 1
    if len(out) > 1 and out[-1][0] >= out[-1][1]:  # a 1-second tail: join it to the last run
        out[-2:] = [(out[-2][0], out[-1][1])]
    return out
