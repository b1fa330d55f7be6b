"""`--pace=S`: the stand-ins wait S seconds after each batch (backfill) or user (rebuild), so a
demo job runs long enough to practise cancel and re-attach. Not an upstream flag (PHP's getopt
ignores it); the real scripts run at the database's speed.

The value comes from `--pace=S` on the command line, else from $P202_SANDBOX_PACE (how a profile's
`jobs.env`, and `attribtui demo --pace`, hand it to every job), else 0.
"""

from __future__ import annotations

import math
import os
import time

PACE_ENV = "P202_SANDBOX_PACE"
MAX_PACE_S = 60.0


def parse(text: str) -> float:
    """Seconds from 0 to MAX_PACE_S; ValueError names the limit."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 <= value <= MAX_PACE_S):
        raise ValueError(f"--pace={text[:20]!s} is not a number of seconds from 0 to "
                         f"{MAX_PACE_S:g}; e.g. --pace=2")
    return value


def take(argv: list[str]) -> list[str]:
    """argv without --pace=S, whose value goes to the environment (read by step())."""
    rest = []
    for arg in argv:
        if arg.startswith("--pace="):
            os.environ[PACE_ENV] = str(parse(arg.split("=", 1)[1]))
        else:
            rest.append(arg)
    if os.environ.get(PACE_ENV):
        parse(os.environ[PACE_ENV])  # a bad value fails before any work, not halfway
    return rest


def step() -> None:
    """After one batch or user: wait the pace (a deliberate slowdown of this child process)."""
    seconds = os.environ.get(PACE_ENV)
    if seconds:
        time.sleep(float(seconds))
