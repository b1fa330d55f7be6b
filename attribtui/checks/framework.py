"""What a check is: the result shape (JSON keys), the context a check reads through, the registry.

A check is a function `fn(ctx) -> Outcome` registered with `@check(id, title)`; the runner
(runner.py) times it and turns it into a `CheckResult`, whose fields are the JSON keys
(docs/architecture.md, "Check results").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from attribtui.infra.config import Profile
from attribtui.infra.db import Database, QueryCancelled, RawRow
from attribtui.vocab import JsonDict, Status

T = TypeVar("T")

# Display order (the health screen and the Markdown export group by it).
GROUPS = ("schema", "cron", "models", "snapshots", "credits", "journeys", "settings", "exports",
          "coverage", "db")
MAX_EVIDENCE_ROWS = 20
MAX_EVIDENCE_IDS = 1000


@dataclass
class Evidence:
    columns: list[str]
    rows: list[list[object]]
    truncated: bool = False
    # Every (conv_id, user_id) of the rows, truncated or not (at most MAX_EVIDENCE_IDS): what a
    # fix acts on must not stop at the rows shown (the rollback form's conv_ids).
    conv_ids: list[list[int]] | None = None

    @classmethod
    def of(cls, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Evidence:
        plain = [[_plain(v) for v in r] for r in rows]
        ids = None
        if "conv_id" in columns and "user_id" in columns:
            ci, ui = columns.index("conv_id"), columns.index("user_id")
            ids = [list(k) for k in dict.fromkeys((r[ci], r[ui]) for r in plain
                                                  if isinstance(r[ci], int)
                                                  and isinstance(r[ui], int))]
        return cls(list(columns), plain[:MAX_EVIDENCE_ROWS], len(plain) > MAX_EVIDENCE_ROWS,
                   ids[:MAX_EVIDENCE_IDS] if ids is not None else None)


def _plain(v: Any) -> Any:
    """Decimals as strings (docs/architecture.md), everything else JSON-friendly."""
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)


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


@dataclass
class CheckResult:
    id: str
    group: str
    title: str
    status: Status
    details: str
    evidence: JsonDict | None
    remediation: str
    duration_ms: float
    nothing_to_examine: bool = False

    @classmethod
    def from_json(cls, doc: JsonDict) -> CheckResult:
        return cls(str(doc["id"]), str(doc["group"]), str(doc["title"]), Status(doc["status"]),
                   str(doc["details"]), doc.get("evidence"), str(doc.get("remediation", "")),
                   float(doc.get("duration_ms", 0.0)), bool(doc.get("nothing_to_examine", False)))

    def to_json(self) -> JsonDict:
        return {"id": self.id, "group": self.group, "title": self.title,
                "status": str(self.status), "details": self.details, "evidence": self.evidence,
                "remediation": self.remediation, "duration_ms": self.duration_ms,
                "nothing_to_examine": self.nothing_to_examine}


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
