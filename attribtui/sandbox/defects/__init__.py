"""The planted-defect registry: what the sandbox can break on purpose, and what must notice it.

- registry.py: the table (``DEFECTS``, ``demo_defects()``), one source of truth for the seeder, the
  functional tests and the README's defect table;
- defect.py: what a defect is (``Defect``, ``ExpectedFinding``, ``PlantContext``);
- timeline.py: the simulated timeline a seed follows (``SeedPlan``, ``last_cron_run``);
- plants/: the functions that break a freshly seeded database, by what they break.
"""

from attribtui.sandbox.defects.defect import (
    Defect,
    ExpectedFinding,
    Plant,
    PlantContext,
    Touched,
    Tweak,
)
from attribtui.sandbox.defects.registry import _INTEGRITY, DEFECTS, demo_defects
from attribtui.sandbox.defects.timeline import (
    CRON_MINUTE_OFFSET,
    SeedPlan,
    last_cron_run,
    next_cron_run,
)

__all__ = [
    "CRON_MINUTE_OFFSET",
    "DEFECTS",
    "_INTEGRITY",
    "Defect",
    "ExpectedFinding",
    "Plant",
    "PlantContext",
    "SeedPlan",
    "Touched",
    "Tweak",
    "demo_defects",
    "last_cron_run",
    "next_cron_run",
]
