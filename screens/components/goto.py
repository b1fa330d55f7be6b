"""Messages that open another screen on a target (Schema Health's fixes as actions). The shell
switches to the screen by its registry name; the message is posted to the screen that arrives."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from attribtui.services.jobs.command import JobRequest


@dataclass
class OpenModel(Message, bubble=False):
    """Models: select this model (user_id: whose it is, when known)."""

    model_id: int | None
    user_id: int | None = None


@dataclass
class LookUpConversions(Message, bubble=False):
    """Journeys: put these conversion ids in the id input and look them up."""

    conv_ids: list[int]


@dataclass
class PrefillJob(Message, bubble=False):
    """Jobs: set the launch form to this request and run its pre-flight (never launches)."""

    request: JobRequest
    attempts: int = 0  # re-posted while the form's user list is still loading
