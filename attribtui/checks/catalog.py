"""Every check, in run order: importing a group's module registers its checks.

Run order is RUN_ORDER's module order, then each module's definition order; the coverage summary
runs first, so it heads `attribtui check` and the health screen.
"""

from __future__ import annotations

from collections.abc import Sequence

from attribtui.checks import (
    coverage,
    credits,
    cron,
    crosscheck,
    dbhealth,
    exports,
    journeys,
    models,
    schema,
    settings,
    snapshots,
)
from attribtui.checks.framework import REGISTRY, CheckSpec
from attribtui.vocab import UsageError

RUN_ORDER = (coverage, dbhealth, schema, cron, crosscheck, models, snapshots, credits, journeys,
             settings, exports)
_MODULES = [m.__name__ for m in RUN_ORDER]
_ordered = sorted(REGISTRY.values(), key=lambda s: _MODULES.index(s.fn.__module__))
REGISTRY.clear()
REGISTRY.update((s.id, s) for s in _ordered)


def all_checks() -> dict[str, CheckSpec]:
    return REGISTRY


def select(only: Sequence[str] | None) -> list[CheckSpec]:
    """Checks in run order, filtered by ids or group names; unknown names raise UsageError."""
    specs = list(REGISTRY.values())
    if not only:
        return specs
    wanted = {w.strip() for item in only for w in item.split(",") if w.strip()}
    unknown = wanted - {s.id for s in specs} - {s.group for s in specs}
    if unknown:
        known = ", ".join(sorted({s.group for s in specs}))
        raise UsageError(
            f"--only: unknown check or group {', '.join(sorted(unknown))}; groups: {known} "
            "(run `attribtui check --list` for ids)")
    return [s for s in specs if s.id in wanted or s.group in wanted]
