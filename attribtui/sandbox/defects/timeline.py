"""The simulated timeline a seed follows: now, and when the attribution cron last ran.

The seeder replays the hourly rebuild on its documented schedule, 15 minutes past each hour
(docs/prosper202.md §Cron scripts). A defect may change the timeline before any row is written
(a cron that stopped), so that snapshots, audit rows and heartbeat all agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from attribtui.prosper.hours import HOUR
from attribtui.prosper.scripts import CRON_MINUTE

CRON_MINUTE_OFFSET = CRON_MINUTE * 60  # seconds past each hour


def last_cron_run(t: int) -> int:
    """The most recent :15 at or before t (the attribution cron's heartbeat if it runs hourly)."""
    return t - (t - CRON_MINUTE_OFFSET) % HOUR


def next_cron_run(t: int) -> int:
    """The first :15 at or after t."""
    return t + (CRON_MINUTE_OFFSET - t) % HOUR


@dataclass(frozen=True)
class SeedPlan:
    """The simulated timeline: ``hb`` is the last attribution cron run (202_cronjob_logs id 2)."""

    now: int
    hb: int
