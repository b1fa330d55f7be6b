"""What a finished check is, and what a run of them adds up to: the result shape (the JSON keys,
docs/architecture.md "Check results"), the summary, the exit code and the report document.

Kept apart from framework.py and runner.py, which need the database layer: the health screen
paints a saved run from these alone, before SQLAlchemy has loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from attribtui.infra import clock
from attribtui.vocab import ExitCode, JsonDict, Status

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


def summary(results: Iterable[CheckResult]) -> dict[str, int]:
    out = {str(s): 0 for s in Status}
    for r in results:
        out[str(r.status)] += 1
    return out


def nothing_to_examine(results: Iterable[CheckResult]) -> list[str]:
    """Ids of the checks that had nothing to examine (each one `info`)."""
    return [r.id for r in results if r.nothing_to_examine]


def mostly_empty(report: JsonDict) -> bool:
    """More than half of the checks had nothing to examine: a quiet board says little."""
    total = len(report.get("checks", []))
    return total > 0 and 2 * len(report.get("nothing_to_examine", [])) > total


def empty_text(report: JsonDict) -> str:
    """'7 of 12 checks had nothing to examine' ('' when none had)."""
    n, total = len(report.get("nothing_to_examine", [])), len(report.get("checks", []))
    return f"{n} of {total} checks had nothing to examine" if n else ""


def exit_code(results: Iterable[CheckResult]) -> ExitCode:
    """2 fail, then 3 could not tell (error), then 1 warn/skipped, else 0."""
    return ExitCode.of(r.status for r in results)


def report(results: Sequence[CheckResult], *, profile: str, now: int | None = None,
           overrides: Sequence[str] = ()) -> JsonDict:
    """The JSON document of a run (docs/architecture.md, "Check results")."""
    now = clock.now() if now is None else now
    return {
        "profile": profile,
        "generated_at": now,
        "generated_at_iso": clock.iso(now),
        "overrides": list(overrides),
        "summary": summary(results),
        "nothing_to_examine": nothing_to_examine(results),
        "checks": [r.to_json() for r in results],
    }


