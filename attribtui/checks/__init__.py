"""The checks framework: a registry of checks, a runner, and the result shape (DESIGN).

A check is a function `fn(ctx) -> Outcome` registered with `@check(id, title)`. The runner times
each one, turns an exception into an `error` result (one line, never a traceback), and stops
between checks when cancelled. `CheckResult` fields are the JSON keys.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from attribtui.infra import clock
from attribtui.infra.db import (
    Database,
    DbError,
    DbUnreachable,
    MissingTable,
    QueryCancelled,
    QueryTimeout,
)

STATUSES = ("ok", "info", "warn", "skipped", "fail", "error")
# Display order (the health screen and the Markdown export group by it).
GROUPS = (
    "schema", "cron", "models", "snapshots", "credits", "journeys", "settings", "exports",
    "coverage", "db",
)
# Severity for "worst of": fail > error > warn > skipped > info > ok.
_RANK = {"ok": 0, "info": 1, "skipped": 2, "warn": 3, "error": 4, "fail": 5}
MAX_EVIDENCE_ROWS = 20

# Modules that register checks, imported lazily so `--help` stays fast.
# Registry (= run) order: the coverage summary first, so it heads `attribtui check`.
CHECK_MODULES = (
    "attribtui.checks.coverage",
    "attribtui.checks.dbhealth",
    "attribtui.checks.schema",
    "attribtui.checks.cron",
    "attribtui.checks.crosscheck",
    "attribtui.checks.models",
    "attribtui.checks.snapshots",
    "attribtui.checks.credits",
    "attribtui.checks.journeys",
    "attribtui.checks.settings",
    "attribtui.checks.exports",
)


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=_RANK.__getitem__, default="ok")


@dataclass
class Evidence:
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = False

    @classmethod
    def of(cls, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Evidence:
        rows = [[_plain(v) for v in r] for r in rows]
        return cls(list(columns), rows[:MAX_EVIDENCE_ROWS], len(rows) > MAX_EVIDENCE_ROWS)


def _plain(v: Any) -> Any:
    """Decimals as strings (DESIGN), everything else JSON-friendly."""
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)


@dataclass
class Outcome:
    """What a check function returns; the runner adds id, group, title and duration."""

    status: str
    details: str
    evidence: Evidence | None = None
    remediation: str = ""


@dataclass
class CheckResult:
    id: str
    group: str
    title: str
    status: str
    details: str
    evidence: dict[str, Any] | None
    remediation: str
    duration_ms: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class CheckContext:
    """What every check may use: the database, the profile, and the frozen 'now'."""

    db: Database
    now: int
    profile: Any = None
    window_s: int = 48 * 3600
    primary: bool = False  # read the primary, not the replica (a purge's or report's bounds)
    cancel_event: threading.Event = field(default_factory=threading.Event)
    cache: dict[str, Any] = field(default_factory=dict)
    # Progress inside a long check ("journeys: 120 of 200"), e.g. for the health screen.
    on_step: Callable[[str], None] | None = None

    def memo(self, key: str, fn: Callable[[], Any]) -> Any:
        """Share one expensive read (e.g. schema introspection) between checks of a run."""
        if key not in self.cache:
            self.cache[key] = fn()
        return self.cache[key]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    fn: Callable[[CheckContext], Outcome]

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]


REGISTRY: dict[str, CheckSpec] = {}


def check(check_id: str, title: str) -> Callable[[Callable[[CheckContext], Outcome]], Any]:
    group = check_id.split(".", 1)[0]
    if group not in GROUPS:
        raise ValueError(f"unknown check group {group!r}")

    def register(fn: Callable[[CheckContext], Outcome]) -> Callable[[CheckContext], Outcome]:
        REGISTRY[check_id] = CheckSpec(check_id, title, fn)
        return fn

    return register


def load_checks() -> dict[str, CheckSpec]:
    for name in CHECK_MODULES:
        importlib.import_module(name)
    return REGISTRY


def select(only: Sequence[str] | None) -> list[CheckSpec]:
    """Checks in registry order, filtered by ids or group names; unknown names raise ValueError."""
    specs = list(load_checks().values())
    if not only:
        return specs
    wanted = {w.strip() for item in only for w in item.split(",") if w.strip()}
    unknown = wanted - {s.id for s in specs} - {s.group for s in specs}
    if unknown:
        known = ", ".join(sorted({s.group for s in specs}))
        raise ValueError(
            f"--only: unknown check or group {', '.join(sorted(unknown))}; groups: {known} "
            "(run `attribtui check --list` for ids)"
        )
    return [s for s in specs if s.id in wanted or s.group in wanted]


def run_one(spec: CheckSpec, ctx: CheckContext) -> CheckResult:
    t0 = time.perf_counter()
    try:
        if "unreachable" in ctx.cache:  # one connect timeout per run, not one per check
            raise DbUnreachable(ctx.cache["unreachable"])
        out = spec.fn(ctx)
    except DbUnreachable as e:
        ctx.cache["unreachable"] = str(e)
        out = Outcome("error", str(e))
    except QueryTimeout as e:
        out = Outcome("skipped", f"not answered within its bound: {e}")
    except MissingTable as e:
        out = Outcome("skipped", f"cannot run: {e}")
    except QueryCancelled:
        out = Outcome("skipped", "cancelled by the operator")
    except DbError as e:
        out = Outcome("error", str(e))
    except Exception as e:  # a bug in a check must not take the run down
        out = Outcome("error", f"internal error in this check: {type(e).__name__}: {e}")
    ms = round((time.perf_counter() - t0) * 1000, 1)
    evidence = asdict(out.evidence) if out.evidence else None
    return CheckResult(spec.id, spec.group, spec.title, out.status, out.details, evidence,
                       out.remediation, ms)


def run_checks(
    ctx: CheckContext,
    specs: Sequence[CheckSpec],
    progress: Callable[[int, int, CheckResult], None] | None = None,
) -> list[CheckResult]:
    """Run specs in order; stop early (remaining ones `skipped`) when ctx.cancel_event is set."""
    results: list[CheckResult] = []
    with ctx.db.hold():  # one connection for the whole run, not one checkout per query
        for i, spec in enumerate(specs):
            if ctx.cancel_event.is_set():
                res = CheckResult(spec.id, spec.group, spec.title, "skipped",
                                  "cancelled by the operator before it ran", None, "", 0.0)
            else:
                res = run_one(spec, ctx)
            results.append(res)
            if progress:
                progress(i + 1, len(specs), res)
    return results


def summary(results: Iterable[CheckResult]) -> dict[str, int]:
    out = {s: 0 for s in STATUSES}
    for r in results:
        out[r.status] += 1
    return out


def exit_code(results: Sequence[CheckResult]) -> int:
    """DESIGN: 2 fail, then 3 could not tell (error), then 1 warn/skipped, else 0."""
    statuses = {r.status for r in results}
    if "fail" in statuses:
        return 2
    if "error" in statuses:
        return 3
    if statuses & {"warn", "skipped"}:
        return 1
    return 0


def report(results: Sequence[CheckResult], *, profile: str, now: int | None = None,
           overrides: Sequence[str] = ()) -> dict[str, Any]:
    """The JSON document of a run (DESIGN's check output)."""
    now = clock.now() if now is None else now
    return {
        "profile": profile,
        "generated_at": now,
        "generated_at_iso": clock.iso(now),
        "overrides": list(overrides),
        "summary": summary(results),
        "checks": [r.to_json() for r in results],
    }
