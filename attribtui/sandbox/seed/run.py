"""seed(): check the target, build the story, write it, plant the defects, mark the sandbox.

Safety first (target.py): only loopback databases unless allowed, never a forbidden URL, never a
database that is not already a sandbox; the marker rows are written last (marker.py).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from attribtui import __version__
from attribtui.infra import clock
from attribtui.sandbox.defects import (
    DEFECTS,
    Defect,
    PlantContext,
    SeedPlan,
    Touched,
    demo_defects,
    last_cron_run,
)
from attribtui.sandbox.drills import DRILLS, Drill
from attribtui.sandbox.schema import create_schema
from attribtui.sandbox.seed.marker import write_marker
from attribtui.sandbox.seed.story import Story
from attribtui.sandbox.seed.target import (
    check_contents,
    check_target,
    open_target,
    parse_url,
    redact,
)
from attribtui.sandbox.seed.write import Progress, gc_paused, write_rows


@dataclass
class SeedReport:
    url: str
    now: int
    hb: int
    counts: dict[str, int]
    defects: list[str]
    seconds: float
    # defect id -> the ids its plant touched (conv_ids, model_ids, ...), also in the marker
    affected: dict[str, Touched] = field(default_factory=dict)


def _resolve_defects(defects: str | Sequence[str], sqlite: bool) -> list[Defect]:
    if defects == "demo":
        chosen = demo_defects()
    elif defects == "none":
        chosen = []
    else:
        ids = [defects] if isinstance(defects, str) else list(defects)
        unknown = [d for d in ids if d not in DEFECTS]
        if unknown:
            raise ValueError(
                f"unknown defect {', '.join(unknown)}; choose from {', '.join(DEFECTS)}"
            )
        chosen = [DEFECTS[d] for d in dict.fromkeys(ids)]
    if sqlite:
        mariadb_only = [d.id for d in chosen if not d.sqlite]
        if mariadb_only:
            raise ValueError(
                f"defect {', '.join(mariadb_only)} needs MariaDB; seed a mysql+pymysql:// database"
            )
    return chosen


def _resolve_drill(name: str | None) -> Drill | None:
    if name is None:
        return None
    if name not in DRILLS:
        raise ValueError(f"unknown drill {name}; choose from {', '.join(DRILLS)}")
    return DRILLS[name]


def seed(
    url: str,
    *,
    conversions: int = 2000,
    now: int | None = None,
    defects: str | Sequence[str] = "demo",
    reset: bool = False,
    allow_remote: bool = False,
    forbidden_urls: Sequence[str] = (),
    rng_seed: int = 202,
    progress: Progress | None = None,
    drill: str | None = None,
) -> SeedReport:
    """Create and fill a sandbox Prosper202 database at url, then plant the chosen defects.

    Deterministic for (rng_seed, now, conversions): one random.Random, never the wall clock
    (except the marker's seeded_at). A drill (sandbox/drills.py) is planted after the defects;
    the marker keeps its name, what it touched and the faults it planted for the stand-ins.
    """
    started = time.perf_counter()
    if conversions < 1:
        raise ValueError(f"conversions must be at least 1, not {conversions}")
    u = parse_url(url)
    shown = redact(u)
    chosen = _resolve_defects(defects, u.get_backend_name() == "sqlite")
    staged = _resolve_drill(drill)
    now = clock.now() if now is None else now
    plan = SeedPlan(now=now, hb=last_cron_run(now))
    for d in chosen:
        if d.tweak:
            plan = d.tweak(plan)
    check_target(u, allow_remote, forbidden_urls)
    engine = open_target(u)
    try:
        check_contents(engine, shown, reset)
        create_schema(engine)
        story = Story(plan, conversions, rng_seed)
        if progress:
            progress("generate", 0.0)
        with gc_paused():
            rows = story.build()
            write_rows(engine, rows, progress)
        ctx = PlantContext(engine.dialect.name, plan.now, plan.hb)
        affected: dict[str, Touched] = {}
        for d in chosen:
            if d.plant:
                with engine.begin() as conn:
                    touched = d.plant(conn, ctx)
                if touched:
                    affected[d.id] = dict(touched)
        extra: dict[str, object] = {}
        if staged:
            touched = staged.plant(engine, ctx)
            extra = {"drill": staged.name, "drill_affected": touched,
                     "faults": staged.faults(touched)}
        ids = [d.id for d in chosen]
        write_marker(engine, {
            "seeded_at": int(time.time()), "now": plan.now, "hb": plan.hb,
            "version": __version__, "conversions": conversions, "rng_seed": rng_seed,
            "defects": ids, "affected": affected, **extra,
        })
        if progress:
            progress("done", 1.0)
    finally:
        engine.dispose()
    return SeedReport(
        url=shown, now=plan.now, hb=plan.hb, counts={k: len(v) for k, v in rows.items()},
        defects=ids, seconds=round(time.perf_counter() - started, 3), affected=affected,
    )
