"""The Rollback screen's dialogs: a new walkthrough's incident, and a reason to skip a step."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from attribtui.infra import clock
from attribtui.services import rollback as rb
from attribtui.services.journeys import parse_conv_ids


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


class NewWalkthroughScreen(ModalScreen[rb.Incident | None]):
    """The incident: user, bad model, mitigation, and the conversions (ids or a window)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, user_id: int | None, suggestion: rb.Suggestion | None = None) -> None:
        super().__init__()
        self.user_id, self.suggestion = user_id, suggestion or rb.Suggestion()

    def compose(self) -> ComposeResult:
        sug = self.suggestion
        with Vertical(id="new-box", classes="dialog"):
            yield Label("New rollback walkthrough", classes="dialog-title")
            for fid, label, value, hint in (
                ("user", "User", str(self.user_id or ""), "(user_id of the incident)"),
                ("model", "Bad model", _text(sug.model_id), "(model_id to take out of use)"),
                ("safe", "Safe model", _text(sug.safe_model_id),
                 "(new default; needed if the bad one is default)"),
            ):
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="lbl")
                    yield Input(value, placeholder=hint, id=f"f-{fid}", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Mitigation", classes="lbl")
                yield Select([("deactivate the bad model", "deactivate"),
                              ("make the safe model the default", "set-default"),
                              ("none (already mitigated)", "none")],
                             value="deactivate", allow_blank=False, id="f-mitigation",
                             compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Affected", classes="lbl")
                yield Select([("conv_ids or a window: these conv_ids", "convs"),
                              ("conv_ids or a window: a conv_time window", "window")],
                             value="convs" if sug.conv_ids else "window", allow_blank=False,
                             id="f-affected", compact=True)
            for fid, label, value, hint in (
                ("convs", "conv_ids", ", ".join(map(str, sug.conv_ids)),
                 "(affected conv_ids, comma-separated)"),
                ("start", "From", clock.iso(sug.since) if sug.since else "",
                 "(window start: ISO-8601 UTC or epoch)"),
                ("end", "To", "", "(window end: ISO-8601 UTC or epoch)"),
                ("note", "Note", "", "(what happened; goes in the report)"),
            ):
                with Horizontal(classes="form-row", id=f"row-{fid}"):
                    yield Label(label, classes="lbl")
                    yield Input(value, placeholder=hint, id=f"f-{fid}", compact=True)
            if sug.hints:
                yield Static("\n".join(f"• {h}" for h in sug.hints), classes="hint")
            yield Static("", id="new-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Start", id="start", variant="primary")
                yield Button("Cancel [esc]", id="cancel")

    def on_mount(self) -> None:
        self._show_affected()
        self.query_one("#f-model" if self.user_id else "#f-user", Input).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "f-affected":
            self._show_affected()

    def _by_ids(self) -> bool:
        return self.query_one("#f-affected", Select).value == "convs"

    def _show_affected(self) -> None:
        """One way to name the conversions at a time: the other's fields are not shown."""
        by_ids = self._by_ids()
        self.query_one("#row-convs").display = by_ids
        self.query_one("#row-start").display = self.query_one("#row-end").display = not by_ids

    def _value(self, fid: str) -> str:
        return self.query_one(f"#f-{fid}", Input).value.strip()

    def _incident(self) -> rb.Incident:
        def number(fid: str, what: str) -> int | None:
            text = self._value(fid)
            if not text:
                return None
            if not text.isdigit():
                raise rb.RollbackError(f"{what}: '{text[:20]}' is not an id; give a number")
            return int(text)

        by_ids = self._by_ids()
        try:
            ids = parse_conv_ids(self._value("convs")) if by_ids and self._value("convs") else []
            start = end = None
            if not by_ids:
                start = clock.parse_when(self._value("start")) if self._value("start") else None
                end = clock.parse_when(self._value("end")) if self._value("end") else None
        except ValueError as e:
            raise rb.RollbackError(str(e)) from None
        inc = rb.Incident(user_id=number("user", "user") or 0, model_id=number("model", "bad model"),
                          mitigation=str(self.query_one("#f-mitigation", Select).value),
                          safe_model_id=number("safe", "safe model"), conv_ids=ids, start=start,
                          end=end, note=self._value("note"))
        inc.check()
        return inc

    def _submit(self) -> None:
        try:
            self.dismiss(self._incident())
        except rb.RollbackError as e:
            self.query_one("#new-error", Static).update(Text(f"✘ {e}"))

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SkipScreen(ModalScreen[str | None]):
    """Skip a step: the reason is required (it goes in the incident report)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, step: rb.Step, title: str | None = None, *, yes: str = "Skip",
                 placeholder: str = "(e.g. done by hand in the Prosper202 UI)") -> None:
        super().__init__()
        self.step = step
        self.title_text = title or f"Skip step {step.number} {step.id}"
        self.yes, self.placeholder = yes, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="skip-box", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Label("Why? (goes in the incident report)")
            yield Input(placeholder=self.placeholder, id="skip-reason")
            yield Static("", id="skip-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, id="skip", variant="warning")
                yield Button("Cancel [esc]", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#skip-reason", Input).focus()

    def _submit(self) -> None:
        reason = self.query_one("#skip-reason", Input).value.strip()
        if not reason:
            self.query_one("#skip-error", Static).update("✘ a reason is required")
            return
        self.dismiss(reason)

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "skip":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

