"""What the checks worker reports to the Schema Health screen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.message import Message

from attribtui.checks.results import CheckResult
from attribtui.vocab import JsonDict

if TYPE_CHECKING:  # first paint: the runner (and SQLAlchemy) load in the checks worker
    from attribtui.checks.runner import Run


@dataclass
class CoverageRead(Message, bubble=False):
    """The coverage summary of the window (the first check), as one line."""

    text: str


@dataclass
class RunStarted(Message, bubble=False):
    """The checks worker has loaded the checks: how many will run, and the first."""

    total: int
    first_id: str | None


@dataclass
class ChecksRefused(Message, bubble=False):
    """The run could not start: the profile has no usable database (the banner says why)."""

    reason: str


@dataclass
class CheckDone(Message, bubble=False):
    result: CheckResult
    next_id: str | None  # the check running now; None when this was the last


@dataclass
class SavedRunRead(Message, bubble=False):
    """The profile's last saved run, shown until the fresh run replaces it check by check (None:
    there is none)."""

    report: JsonDict | None


@dataclass
class CheckStep(Message, bubble=False):
    """Progress inside a long check; a newer one supersedes one still queued."""

    text: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, CheckStep)


@dataclass
class ChecksFinished(Message, bubble=False):
    """The run is over (finished or cancelled), saved unless `run.save_error` says otherwise."""

    run: Run


@dataclass
class GuardDeleted(Message, bubble=False):
    """A guard row deleted from an evidence row's fix (confirmed first)."""

    rows: int
    hour: int
