"""The Models screen's dialogs: deactivating the default model, and the create/edit form."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from attribtui.prosper.validation import MODEL_TYPES, validate_model_payload
from attribtui.services import models as core
from attribtui.vocab import JsonDict
from screens.components.confirm import ActionConfirmScreen
from screens.components.toggle import Toggle


@dataclass(frozen=True)
class ModelFormValues:
    """What the form holds; `default` only when creating."""

    name: str
    type: str
    weighting: JsonDict | None
    default: bool


class DefaultChoiceScreen(ModalScreen[str | None]):
    """Deactivating the default: pick the new default first, or leave the user with none."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, model: core.Model, others: list[core.Model]) -> None:
        super().__init__()
        self.model, self.others = model, others

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="default-box"):
            yield Label(f"Model {self.model.model_id} “{self.model.name}” is the default",
                        classes="dialog-title")
            yield Static(Text(
                "Prosper202 silently re-activates the default when only is_active false is "
                "sent. Pick the new default first, or clear the default explicitly."),
                classes="dialog-body")
            options = [Option(f"Make {o.model_id} “{o.name}” the default first"
                              + ("" if o.is_active else " (inactive: forced active)"),
                              id=str(o.model_id)) for o in self.others]
            options.append(Option("Deactivate and leave the user with NO default", id="none"))
            yield OptionList(*options, id="default-options")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel [esc]", id="cancel", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#default-options", OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ModelFormScreen(ModalScreen[ModelFormValues | None]):
    """Create (model None) or edit name and weighting, validated live with the server's rules."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, model: core.Model | None) -> None:
        super().__init__()
        self.model = model

    def compose(self) -> ComposeResult:
        x = self.model
        config = x.weighting_config if x and isinstance(x.weighting_config, dict) else {}
        with VerticalScroll(classes="dialog", id="form-box"):
            yield Label(f"Edit model {x.model_id}" if x else "New model", classes="dialog-title")
            yield Label("Name")
            yield Input(x.name if x else "", id="f-name", compact=True)
            yield Label("Type")
            yield Select([(t, t) for t in MODEL_TYPES], value=x.type if x else "last_touch",
                         allow_blank=False, id="f-type", disabled=x is not None, compact=True)
            yield Label("half_life_hours", id="l-half", classes="time_decay")
            yield Input(str(config.get("half_life_hours", "")), id="f-half", classes="time_decay",
                        compact=True)
            yield Label("first_touch_weight", classes="position_based")
            yield Input(str(config.get("first_touch_weight", "")), id="f-first",
                        classes="position_based", compact=True)
            yield Label("last_touch_weight", classes="position_based")
            yield Input(str(config.get("last_touch_weight", "")), id="f-last",
                        classes="position_based", compact=True)
            if x is None:
                yield Toggle("Make it the default (demotes every other model)",
                                     id="f-default", compact=True)
            else:
                yield Static(Text(f"Saving recomputes the slug (now {x.slug})."), id="f-slug")
            yield Static("", id="form-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Review [enter]", id="review", variant="primary", compact=True)
                yield Button("Cancel [esc]", id="cancel", compact=True)

    def on_mount(self) -> None:
        self._validate()
        self.query_one("#f-name", Input).focus()

    def values(self) -> ModelFormValues:
        kind = str(self.query_one("#f-type", Select).value)
        weighting = core.weighting_from_fields(
            kind, half_life=self.query_one("#f-half", Input).value,
            first=self.query_one("#f-first", Input).value,
            last=self.query_one("#f-last", Input).value)
        default = self.query("#f-default")
        return ModelFormValues(self.query_one("#f-name", Input).value, kind, weighting,
                               bool(default.first(Checkbox).value) if default else False)

    def _validate(self) -> str | None:
        v = self.values()
        for kind in ("time_decay", "position_based"):
            for w in self.query(f".{kind}"):
                w.display = v.type == kind
        error = validate_model_payload(v.name, v.type, v.weighting)
        box = self.query_one("#form-error", Static)
        note = core.weighting_note(v.type, v.weighting)
        box.update(Text(f"‼ Prosper202 would answer 400: {error}" if error else
                        f"✔ Valid by the v2 rules{'; ' + note if note else ''}; Review shows "
                        "what will be sent."))
        box.set_classes("-error" if error else "-ok")
        return error

    def on_input_changed(self, event: Input.Changed) -> None:
        self._validate()

    def on_select_changed(self, event: Select.Changed) -> None:
        self._validate()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "review":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        if self._validate():
            self.query_one("#form-error", Static).styles.text_style = "bold"
            return  # nothing is sent while the server would refuse it
        self.dismiss(self.values())

    def action_cancel(self) -> None:
        self.dismiss(None)


class ModelConfirmScreen(ActionConfirmScreen):
    """The shared confirmation, saying so when a typed name does not match (never silently)."""

    def on_mount(self) -> None:
        if self.needed:
            self.query_one("#typed", Input).parent.mount(  # type: ignore[union-attr]
                Static("", id="typed-hint"), after="#typed")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip() != self.needed:  # a match is the shared screen's to handle
            self.query_one("#typed-hint", Static).update(Text(
                f"‼ “{event.value.strip()[:60]}” does not match {self.needed!r}: type it "
                "exactly (case and spaces count), or Esc to cancel"))


class CommandScreen(ModalScreen[None]):
    """A change this console cannot send (no API key for the model's user): what it would do,
    and the exact request to run with that user's key; c copies it (OSC 52)."""

    BINDINGS = [Binding("c", "copy", "Copy command"), Binding("escape", "close", "Close")]

    def __init__(self, action: core.ModelAction, user_id: int, reason: str) -> None:
        super().__init__()
        self.action, self.user_id, self.reason = action, user_id, reason
        self.commands = core.commands(action, user_id)

    def compose(self) -> ComposeResult:
        lines = [f"‼ {self.reason}", "",
                 f"Run with user {self.user_id}'s key in ${core.key_variable(self.user_id)} "
                 "(copied over OSC 52; c copies again):", *self.commands]
        if self.action.kind == "delete":
            lines.append("‼ Run by hand, nothing is backed up first: add the user's key to "
                         "api.user_keys and delete here to get the backup.")
        lines += ["", "What it will do:", *[f"• {e}" for e in self.action.plan.effects]]
        with Vertical(classes="dialog", id="command-box"):
            yield Label(f"{self.action.plan.title} (read-only here)", classes="dialog-title")
            with VerticalScroll(id="command-body"):
                yield Static(Text("\n".join(lines)), classes="dialog-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Copy command [c]", id="copy", variant="primary")
                yield Button("Close [esc]", id="close")

    def on_mount(self) -> None:
        self.query_one("#copy", Button).focus()
        self.action_copy()  # one key from the finding to a command in the clipboard

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "copy":
            self.action_copy()
        else:
            self.dismiss(None)

    def action_copy(self) -> None:
        self.app.copy_to_clipboard("\n".join(self.commands))
        self.notify(f"{len(self.commands)} command(s), no key in them", title="Copied (OSC 52)",
                    timeout=4)

    def action_close(self) -> None:
        self.dismiss(None)
