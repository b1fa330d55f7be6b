"""The words every layer shares: statuses, exit codes, their labels, and the error bases.

One ordering of statuses, one exit-code precedence and one label per state, so a check, a journey,
a job and a command never disagree on what is "worse" or on how a state reads on screen (a symbol
and a word, never colour alone). docs/architecture.md lists the conventions these encode.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum, StrEnum
from typing import Any, ClassVar, TypeAlias

# A JSON object as read from a file or the wire, before it is decoded into a typed record. The one
# place `Any` may cross a module boundary (tests/unit/test_typed_seams.py enforces that).
JsonDict: TypeAlias = dict[str, Any]


class Status(StrEnum):
    """A check's (or a journey's) verdict; the values are the JSON words."""

    OK = "ok"
    INFO = "info"
    WARN = "warn"
    SKIPPED = "skipped"
    FAIL = "fail"
    ERROR = "error"

    @property
    def label(self) -> str:
        return LABELS[self]


# Severity, for "the worst of" (lists, group headings): fail > error > warn > skipped > info > ok.
_SEVERITY = {Status.OK: 0, Status.INFO: 1, Status.SKIPPED: 2, Status.WARN: 3, Status.ERROR: 4,
             Status.FAIL: 5}

LABELS: dict[str, str] = {
    Status.OK: "✔ ok",
    Status.INFO: "ℹ info",
    Status.WARN: "▲ WARN",
    Status.SKIPPED: "… skipped",
    Status.FAIL: "✖ FAIL",
    Status.ERROR: "‼ ERROR",
    "off": "–",  # a backend that is not configured (the header)
    "pending": "… checking",  # a result still being computed (the journeys list)
}


def label(state: str) -> str:
    """The symbol and word of a status (or of the header's "off", the list's "pending")."""
    return LABELS.get(state, state)


def worst(statuses: Iterable[str]) -> Status:
    """The most severe status (ok for none)."""
    return max((Status(s) for s in statuses), key=_SEVERITY.__getitem__, default=Status.OK)


class ExitCode(IntEnum):
    """Every command's exit code (Nagios-like; docs/architecture.md, "Exit codes")."""

    OK = 0  # done; all ok or info
    WARN = 1  # warnings or skipped; or refused as invalid and nothing changed
    FAIL = 2  # fail-level findings, or the operation failed
    UNKNOWN = 3  # could not tell: unreachable, 401/403, server or internal error
    USAGE = 64  # the command line could not be parsed

    @classmethod
    def worst(cls, codes: Iterable[int]) -> ExitCode:
        """With several results the worst wins in this order: 2, then 3, then 1, then 0."""
        found = set(codes)
        return next((c for c in _EXIT_PRECEDENCE if c in found), cls.OK)

    @classmethod
    def of(cls, statuses: Iterable[str]) -> ExitCode:
        """The exit code of a set of statuses: fail 2, error 3, warn or skipped 1, else 0."""
        return cls.worst(_STATUS_EXIT[Status(s)] for s in statuses)


_EXIT_PRECEDENCE = (ExitCode.USAGE, ExitCode.FAIL, ExitCode.UNKNOWN, ExitCode.WARN, ExitCode.OK)
_STATUS_EXIT = {Status.OK: ExitCode.OK, Status.INFO: ExitCode.OK, Status.WARN: ExitCode.WARN,
                Status.SKIPPED: ExitCode.WARN, Status.FAIL: ExitCode.FAIL,
                Status.ERROR: ExitCode.UNKNOWN}


# Thresholds the header and the db.* checks share, so a warning and a verdict never disagree.
LAG_WARN_S = 60  # read replica behind the primary
LAG_FAIL_S = 15 * 60
SKEW_WARN_S = 60  # DB clock vs this machine's: every age shown depends on it
# Profiles a fleet check runs at once (`check --parallel`, the fleet screen).
FLEET_PARALLEL = 4
FLEET_PARALLEL_MAX = 32


class StepStatus(StrEnum):
    """A rollback walkthrough step."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"

    @property
    def symbol(self) -> str:
        return _STEP_SYMBOLS[self]


_STEP_SYMBOLS = {StepStatus.PENDING: "·", StepStatus.RUNNING: "▶", StepStatus.DONE: "✔",
                 StepStatus.SKIPPED: "↷", StepStatus.FAILED: "✘", StepStatus.INTERRUPTED: "▲"}


class JobOutcome(StrEnum):
    """How a cron-script job ended, read from its exit codes AND its output."""

    SUCCEEDED = "succeeded"
    SKIPPED = "skipped"
    SUSPICIOUS = "suspicious"
    FAILED = "failed"
    CANCELLED = "cancelled"
    NOT_STARTED = "not-started"
    RUNNING = "running"

    @property
    def exit_code(self) -> ExitCode:
        return _OUTCOME_EXIT[self]

    @property
    def label(self) -> str:
        return _OUTCOME_LABELS[self]


_OUTCOME_EXIT = {JobOutcome.SUCCEEDED: ExitCode.OK, JobOutcome.SKIPPED: ExitCode.WARN,
                 JobOutcome.SUSPICIOUS: ExitCode.WARN, JobOutcome.FAILED: ExitCode.FAIL,
                 JobOutcome.CANCELLED: ExitCode.FAIL, JobOutcome.NOT_STARTED: ExitCode.UNKNOWN,
                 JobOutcome.RUNNING: ExitCode.UNKNOWN}
_OUTCOME_LABELS = {JobOutcome.SUCCEEDED: "✔ succeeded", JobOutcome.SKIPPED: "▲ skipped by the guard",
                   JobOutcome.SUSPICIOUS: "▲ SUSPICIOUS", JobOutcome.FAILED: "✖ FAILED",
                   JobOutcome.CANCELLED: "✖ cancelled", JobOutcome.NOT_STARTED: "‼ could not start",
                   JobOutcome.RUNNING: "… running"}


# -- errors -----------------------------------------------------------------------------------------


class AttribtuiError(Exception):
    """An expected failure: str() is one line naming the thing and the fix; it carries its exit
    code, so every command maps errors to exits in one place (cli/main.py)."""

    exit_code: ClassVar[ExitCode] = ExitCode.UNKNOWN
    prefix: ClassVar[str] = ""  # what a headless command prints before the message


class Refused(AttribtuiError):
    """The request was refused as invalid or unsafe and nothing changed."""

    exit_code = ExitCode.WARN
    prefix = "refused: "


class Unreachable(AttribtuiError):
    """A backend could not be reached or did not answer: the console cannot tell."""

    exit_code = ExitCode.UNKNOWN


class Failed(AttribtuiError):
    """The operation started and failed."""

    exit_code = ExitCode.FAIL


class UsageError(AttribtuiError, ValueError):
    """Input that cannot be parsed (a command-line flag, a form field)."""

    exit_code = ExitCode.USAGE
