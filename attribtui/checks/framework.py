"""What a check is: the result shape (JSON keys), the context a check reads through, the registry.

A check is a function `fn(ctx) -> Outcome` registered with `@check(id, title)`; the runner
(runner.py) times it and turns it into a `CheckResult`, whose fields are the JSON keys
(docs/architecture.md, "Check results").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar, cast

# Evidence is re-exported: a check module imports all it writes with from this one module.
from attribtui.checks.results import GROUPS
from attribtui.checks.results import Evidence as Evidence
from attribtui.infra.config import Profile
from attribtui.infra.db import Database, QueryCancelled, RawRow
from attribtui.vocab import JsonDict, Status

T = TypeVar("T")

@dataclass
class Outcome:
    """What a check function returns; the runner adds id, group, title and duration."""

    status: Status
    details: str
    evidence: Evidence | None = None
    remediation: str = ""
    # The check had nothing to look at (no snapshot in the window, nothing credited, ...): `info`,
    # never `ok`, because an empty window is not proof of health (docs/architecture.md, "Statuses").
    nothing_to_examine: bool = False


def nothing_to_examine(details: str, evidence: Evidence | None = None) -> Outcome:
    """The outcome of a check that found nothing to examine; `details` says what was empty."""
    return Outcome(Status.INFO, details, evidence, nothing_to_examine=True)


class RunDeadline(QueryCancelled):
    """The check run reached its deadline: this check stops, the ones left are skipped."""


DEADLINE_HINT = "check --deadline, checks.deadline_s"


@dataclass
class CheckContext:
    """What every check may use: the database, the profile, and the frozen 'now'."""

    db: Database
    now: int
    profile: Profile | None = None
    window_s: int = 48 * 3600
    primary: bool = False  # read the primary, not the replica
    cancel_event: threading.Event = field(default_factory=threading.Event)
    # Reads shared by the checks of one run (memo); "sql_log" records every query when set.
    cache: JsonDict = field(default_factory=dict)
    # Progress inside a long check ("journeys: 120 of 200"), e.g. for the health screen.
    on_step: Callable[[str], None] | None = None
    # Seconds the whole run may take (a database answering slowly must not hold a run for
    # minutes); None: the profile's checks.deadline_s, or none without a profile.
    deadline_s: float | None = None
    deadline_at: float | None = None  # time.monotonic() when it is reached (set by the runner)

    def run_deadline_s(self) -> float | None:
        if self.deadline_s is not None:
            return self.deadline_s
        return self.profile.checks.deadline_s if self.profile is not None else None

    def past_deadline(self) -> bool:
        return self.deadline_at is not None and time.monotonic() >= self.deadline_at

    def memo(self, key: str, fn: Callable[[], T]) -> T:
        """Share one expensive read (e.g. schema introspection) between checks of a run."""
        if key not in self.cache:
            self.cache[key] = fn()
        return cast(T, self.cache[key])

    def read(self, sql: str, params: Mapping[str, object] | None = None, /) -> list[RawRow]:
        """One bounded read under the statement timeout; honours cancel; records when asked."""
        self.step()
        log = self.cache.get("sql_log")
        if log is not None:
            log.append((sql, dict(params or {})))
        return self.db.read(sql, params, primary=self.primary)

    def step(self, text: str | None = None) -> None:
        """A cancellation point, with progress inside a long check (shown by the screen)."""
        if self.cancel_event.is_set():
            raise QueryCancelled("cancelled by the operator")
        if self.past_deadline():
            raise RunDeadline(f"stopped: the check run reached its deadline of "
                              f"{self.run_deadline_s():g} s ({DEADLINE_HINT})")
        if text is not None and self.on_step is not None:
            self.on_step(text)


CheckFn = Callable[[CheckContext], Outcome]


@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    fn: CheckFn

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]


REGISTRY: dict[str, CheckSpec] = {}


def check(check_id: str, title: str) -> Callable[[CheckFn], CheckFn]:
    """Register a check; registration order is run order (catalog.py imports the modules)."""
    if check_id.split(".", 1)[0] not in GROUPS:
        raise ValueError(f"unknown check group in {check_id!r}")

    def register(fn: CheckFn) -> CheckFn:
        REGISTRY[check_id] = CheckSpec(check_id, title, fn)
        return fn

    return register
