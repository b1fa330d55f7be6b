"""Seed an embedded Prosper202: realistic data relative to `now`, then the planted defects.

The data follows docs/prosper202.md, not convenience: journeys are written by the real rule
(prosper/journey.py), credits by the real strategies (prosper/credit.py), and snapshots, audit rows
and cron logs by replaying the hourly rebuild, so a healthy sandbox passes the console's checks and
only the planted defects show.

- run.py: ``seed()`` and its ``SeedReport``;
- target.py: the safety checks on the target (``SeedRefused``);
- story.py, replay.py, records.py: the simulated story, what the crons made of it, its parts;
- write.py: writing the rows; marker.py: the rows that mark a finished sandbox (``read_marker``).
"""

from attribtui.sandbox.seed.marker import read_marker, write_marker
from attribtui.sandbox.seed.run import SeedReport, seed
from attribtui.sandbox.seed.target import SeedRefused
from attribtui.sandbox.seed.write import Progress

__all__ = ["Progress", "SeedRefused", "SeedReport", "read_marker", "seed", "write_marker"]
