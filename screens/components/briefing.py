"""A drill's briefing (`attribtui demo --incident NAME`): what the pager said, before the drill
starts, so the operator knows what to look for and where to begin."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class BriefingScreen(ModalScreen[None]):
    BINDINGS = [Binding("enter,escape,space", "dismiss", "Begin")]

    def __init__(self, text: str) -> None:
        super().__init__()
        self.title_text, _, self.body = text.partition("\n\n")

    def compose(self) -> ComposeResult:
        with Vertical(id="briefing-box", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.body, classes="dialog-body")
            yield Label("Enter: begin (the findings are on Health)", classes="dialog-hint")
