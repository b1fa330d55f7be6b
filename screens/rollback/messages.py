"""What the Rollback screen's and the purge dialog's workers report (a followed job's output
is a `JobOutput`)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from attribtui.services import purge
from attribtui.services import rollback as rb


@dataclass
class WalkthroughLoaded(Message, bubble=False):
    """The walkthrough to show: loaded and resumed, just started, or None (none active)."""

    state: rb.Walkthrough | None
    notes: list[str]  # what resuming found and settled


@dataclass
class IncidentSuggested(Message, bubble=False):
    """The new-walkthrough form's starting values, read in a worker."""

    user: int | None
    suggestion: rb.Suggestion


@dataclass
class RollbackFailed(Message):
    """Bubbles from the step pane (a followed job) to the screen."""

    message: str  # one line, redacted


@dataclass
class StepPlanned(Message, bubble=False):
    plan: rb.StepPlan


@dataclass
class StepProgress(Message, bubble=False):
    """A newer one supersedes one still queued."""

    text: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StepProgress)


@dataclass
class StepRan(Message):
    """A step ran, or its job was settled (this bubbles from the step pane to the screen);
    running: its job is to be followed."""

    step: rb.Step


@dataclass
class FollowStarted(Message, bubble=False):
    step_id: str
    job_id: str


@dataclass
class GuardDeleted(Message, bubble=False):
    rows: int
    hour: int


# -- the purge dialog -----------------------------------------------------------------------------


@dataclass
class PurgePlanned(Message, bubble=False):
    plan: purge.PurgePlan
    raw: tuple[str, ...]  # the input it was made from


@dataclass
class PurgeProgress(Message, bubble=False):
    text: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PurgeProgress)


@dataclass
class Purged(Message, bubble=False):
    result: purge.PurgeResult


@dataclass
class PurgeFailed(Message, bubble=False):
    """stage: "plan" (the dry run) or "purge"."""

    stage: str
    message: str  # one line, redacted
