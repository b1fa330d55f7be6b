"""The one source of "now", and the one parser for durations and instants.

Every age and window in attribtui is relative to `now()`, never to SQL's NOW(), so tests and the
sandbox can freeze time (`freeze(T)`, or ATTRIBTUI_NOW=T for child processes).
"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime
from typing import overload

# Re-exported so time comes in one import; the hour arithmetic itself is Prosper202's.
from attribtui.prosper.hours import DAY as DAY
from attribtui.prosper.hours import HOUR as HOUR
from attribtui.prosper.hours import hour as hour

_frozen: int | None = None


def now() -> int:
    """Epoch seconds: the frozen time if set, else $ATTRIBTUI_NOW, else the wall clock."""
    if _frozen is not None:
        return _frozen
    env = os.environ.get("ATTRIBTUI_NOW")
    if env:
        return parse_instant(env)
    return int(time.time())


def freeze(t: int | None) -> None:
    """Freeze now() at t (None unfreezes)."""
    global _frozen
    _frozen = t


_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": HOUR, "d": DAY, "w": 7 * DAY}
# Every duration and instant is bounded where it is parsed, so a typo like 99999999999d is a
# one-line error that states the limit, not an overflow deep in a query or a date formatter.
MAX_DURATION_S = 3650 * DAY
EARLIEST = 0  # 1970-01-01T00:00:00Z
LATEST = 4102444800  # 2100-01-01T00:00:00Z: Prosper202 keeps epoch seconds in INT columns


def format_duration(seconds: int) -> str:
    """The shortest exact spelling parse_duration reads back: 3600 -> '1h', 90 -> '90s'."""
    for unit, size in (("d", DAY), ("h", HOUR), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_duration(text: str, *, limit: int = MAX_DURATION_S) -> int:
    """'90m', '24h', '7d', '2w', '3600' -> seconds, at most `limit`. Raises ValueError with a
    one-line fix that states the limit."""
    m = _DURATION.match(str(text).lower())
    if not m or not m.group(1).strip("0"):
        raise ValueError(
            f"'{_short(text)}' is not a duration; use a positive number with a unit, e.g. 90m, "
            "24h, 7d"
        )
    digits = m.group(1).lstrip("0")
    seconds = int(digits) * _UNITS[m.group(2)] if len(digits) <= 18 else limit + 1
    if seconds > limit:
        raise ValueError(f"'{_short(text)}' is too long; use at most {format_duration(limit)}")
    return seconds


def _short(text: object) -> str:
    s = str(text)
    return s if len(s) <= 40 else s[:37] + "..."


def _bounded(t: int, text: str) -> int:
    if not EARLIEST <= t < LATEST:
        raise ValueError(f"'{_short(text)}' is out of range; use a time from {iso(EARLIEST)} "
                         f"to before {iso(LATEST)}")
    return t


def parse_instant(text: str) -> int:
    """Epoch seconds or ISO-8601 (UTC unless an offset is given) -> epoch seconds, between
    1970 and 2100."""
    s = str(text).strip()
    if s.isascii() and s.isdigit():
        digits = s.lstrip("0")
        return _bounded(int(digits or "0") if len(digits) <= 18 else LATEST, s)
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00").replace(" ", "T", 1))
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=UTC)
        t = int(dt.timestamp())
    except (ValueError, OverflowError):
        raise ValueError(
            f"'{_short(text)}' is not a time; use epoch seconds or ISO-8601 UTC, e.g. "
            "2026-11-26T14:00:00Z"
        ) from None
    return _bounded(t, s)


def parse_when(text: str, now: int | None = None) -> int:
    """What every form and flag accepts as a time: an instant (epoch or ISO-8601 UTC), `now`,
    or an age like `24h` / `-90m` (that long before now); between 1970 and 2100."""
    s = str(text).strip()
    ref = globals()["now"]() if now is None else now
    if not s:
        raise ValueError("empty; give epoch seconds, ISO-8601 UTC, now, or an age like 24h")
    if s.lower() == "now":
        return ref
    if s[0] == "-" or (s[-1:].lower() in "smhdw" and s[:-1].strip().isdigit()):
        return _bounded(ref - parse_duration(s.lstrip("-")), s)
    return parse_instant(s)


@overload
def iso(t: int) -> str: ...
@overload
def iso(t: None) -> None: ...
@overload
def iso(t: int | None) -> str | None: ...


def iso(t: int | None) -> str | None:
    """Epoch seconds -> '2026-11-26T14:00:00Z' (UTC); None stays None."""
    if t is None:
        return None
    return datetime.fromtimestamp(int(t), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ago(seconds: float) -> str:
    """A compact human age: '45 s', '12 min', '3 h 5 min', '2 d 4 h'."""
    s = int(abs(seconds))
    if s < 60:
        text = f"{s} s"
    elif s < HOUR:
        text = f"{s // 60} min"
    elif s < DAY:
        text = f"{s // HOUR} h {s % HOUR // 60} min" if s % HOUR >= 60 else f"{s // HOUR} h"
    else:
        text = f"{s // DAY} d {s % DAY // HOUR} h" if s % DAY >= HOUR else f"{s // DAY} d"
    return text if seconds >= 0 else f"in {text}"


def describe(t: int | None, ref: int | None = None) -> str:
    """'2026-11-26T14:00:00Z (3 h 5 min ago)'."""
    if t is None:
        return "never"
    ref = now() if ref is None else ref
    delta = ref - t
    rel = f"{ago(delta)} ago" if delta >= 0 else ago(delta)
    return f"{iso(t)} ({rel})"
