"""What the Models screen's workers report."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from attribtui.services import models as core


@dataclass
class ModelsLoaded(Message, bubble=False):
    listing: core.ModelList


@dataclass
class PanelsLoaded(Message, bubble=False):
    """The audit trail and snapshot series of a model (or the user); a string says why not."""

    model_id: int | None
    audit: list[core.AuditRow] | str
    series: core.Series | str | None


@dataclass
class DeletePlanned(Message, bubble=False):
    """The delete's plan, with what goes with the model counted: to be confirmed."""

    action: core.ModelAction


@dataclass
class ModelChanged(Message, bubble=False):
    action: core.ModelAction
    result: core.ChangeResult
