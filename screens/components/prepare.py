"""Progress of the start-up preparation (the demo seeds its database here), over the first screen."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Label, ProgressBar


@dataclass
class PrepareProgress(Message, bubble=False):
    """Posted from the preparation's thread; a newer one supersedes one still queued."""

    stage: str
    fraction: float

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, PrepareProgress)


class PrepareScreen(ModalScreen[None]):
    def compose(self) -> ComposeResult:
        with Vertical(id="prepare-box", classes="dialog"):
            yield Label("Preparing…", classes="dialog-title")
            yield ProgressBar(total=1.0, show_eta=False, id="prepare-bar")
            yield Label("starting", id="prepare-stage")

    @on(PrepareProgress)
    def _progress(self, message: PrepareProgress) -> None:
        self.show(message.stage, message.fraction)

    def show(self, stage: str, fraction: float) -> None:
        self.query_one("#prepare-bar", ProgressBar).update(progress=max(0.0, min(1.0, fraction)))
        self.query_one("#prepare-stage", Label).update(stage)
