"""Confirmations: a yes/no question, and an `ActionPlan` with typed text where it is required."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from attribtui.infra.config import Profile
from attribtui.services.actions import ActionPlan, typed_requirement, where


def if_yes(action: Callable[[], object]) -> Callable[[bool | None], None]:
    """A confirmation's callback that runs action on yes (and nothing on no or escape)."""

    def answered(yes: bool | None) -> None:
        if yes:
            action()

    return answered


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question; dismissed with True to go ahead."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, body: str, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.title_text, self.body, self.yes, self.no = title, body, yes, no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Static(self.body, classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} [y]", id="yes", variant="error")
                yield Button(f"{self.no} [n]", id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # the safe answer is the default

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ActionConfirmScreen(ModalScreen[bool]):
    """Confirm an `ActionPlan`: where it goes, what it does; typed text on production/deletes."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, profile: Profile, plan: ActionPlan) -> None:
        super().__init__()
        self.profile, self.plan = profile, plan
        self.needed = typed_requirement(profile, plan)

    def compose(self) -> ComposeResult:
        lines = where(self.profile) + [""] + [f"• {e}" for e in self.plan.effects]
        if self.plan.request:
            lines += ["", f"Request: {self.plan.request}"]
        with Vertical(id="action-box", classes="dialog"):
            yield Label(self.plan.title, classes="dialog-title")
            # Scrolls on a small terminal, so the typed field and the buttons stay in view.
            with VerticalScroll(id="action-body"):
                yield Static(Text("\n".join(lines)), classes="dialog-body")
            if self.needed:
                yield Label(f"Type {self.needed!r} to go ahead:")
                yield Input(placeholder=self.needed, id="typed")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Go ahead" if self.needed else "Yes [y]", id="yes",
                             variant="error", disabled=bool(self.needed))
                yield Button("Cancel", id="no", variant="primary")

    def on_mount(self) -> None:
        if self.needed:
            self.query_one("#typed", Input).focus()
        else:
            self.query_one("#no", Button).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_one("#yes", Button).disabled = event.value.strip() != self.needed

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() == self.needed:
            self.dismiss(True)

    def on_key(self, event: events.Key) -> None:
        if event.key == "y" and not self.needed:
            event.stop()
            self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_cancel(self) -> None:
        self.dismiss(False)
