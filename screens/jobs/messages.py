"""What the Jobs screen's workers report (the job's own output is a `JobOutput`).

The tab widgets run their own workers; a message they do not settle themselves bubbles up to
the screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from attribtui.services.jobs import preflight, store


@dataclass
class UsersLoaded(Message, bubble=False):
    users: list[tuple[int, str]]  # (user_id, name), live users only
    preferred: int | None  # the user to select when it is among them


@dataclass
class UsersFailed(Message):
    """Bubbles to the screen: its banner says why (redacted there)."""

    error: str


@dataclass
class HistoryLoaded(Message):
    """The history table shows it, then it bubbles to the screen (which may re-attach)."""

    records: list[store.JobRecord]
    reattach: bool  # follow a job still running from an earlier console


@dataclass
class PreflightDone(Message, bubble=False):
    preflight: preflight.Preflight
    launch: bool  # run on L: confirm the launch next


@dataclass
class JobStarted(Message, bubble=False):
    record: store.JobRecord


@dataclass
class GuardRowDeleted(Message, bubble=False):
    rows: int
    hour: int
    note: str = ""  # how it is known when the commit's reply was lost


@dataclass
class RebuildVerified(Message, bubble=False):
    """After a rebuild: the heartbeat and snapshots re-read, as lines."""

    job_id: str
    lines: list[str]
