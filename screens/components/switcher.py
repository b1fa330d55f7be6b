"""ctrl+g from anywhere: go to a screen by its number. The number keys alone switch screens
only where digits are not typed: on Journeys they start the next conv_id, so without this the
keyboard could leave Journeys only through the command palette."""

from __future__ import annotations

from collections.abc import Sequence

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from screens.registry import ScreenSpec


class ScreenSwitcher(ModalScreen[str | None]):
    """The screens by number, the current one highlighted; a number or Enter goes there, Esc
    stays. Dismisses with the screen's name."""

    BINDINGS = [Binding("escape", "dismiss", "Stay")]

    def __init__(self, specs: Sequence[ScreenSpec], current: str) -> None:
        super().__init__()
        self.by_key = {spec.key: spec.name for spec in specs}
        self.specs, self.current = specs, current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="switch-box"):
            yield Label("Go to screen", classes="dialog-title")
            yield OptionList(*(Option(f"{s.key}  {s.title}", id=s.name) for s in self.specs),
                             id="switch-list")
            yield Static("Its number or Enter goes there; Esc stays.", classes="help-note")

    def on_mount(self) -> None:
        names = [spec.name for spec in self.specs]
        if self.current in names:
            self.query_one("#switch-list", OptionList).highlighted = names.index(self.current)

    def on_key(self, event: events.Key) -> None:
        if event.character in self.by_key:
            event.stop()
            self.dismiss(self.by_key[event.character])

    @on(OptionList.OptionSelected, "#switch-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
