"""F1 / `?`: every key of the current screen and of the shell, generated from BINDINGS."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static


def binding_rows(screen: Screen[object]) -> dict[str, list[tuple[str, str]]]:
    """Keys by where they are bound: this screen, the shell, the focused widget (navigation)."""
    groups: dict[str, dict[str, list[str]]] = {"screen": {}, "shell": {}, "widget": {}}
    own = {_action(b) for b in type(screen).__dict__.get("BINDINGS", [])}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.description or binding.system:
            continue
        if active.node is screen.app:
            where = "shell"
        elif active.node is screen and binding.action in own:
            where = "screen"
        else:  # Textual's own focus/scroll/copy keys, and the focused widget's
            where = "widget"
        text = binding.description + ("" if active.enabled else " (not now)")
        groups[where].setdefault(text, []).append(screen.app.get_key_display(binding) or key)
    return {where: [(" / ".join(keys), desc) for desc, keys in rows.items()]
            for where, rows in groups.items()}


def _action(b: Binding | tuple[str, ...]) -> str:
    return b.action if isinstance(b, Binding) else b[1]


def _screens_in_order(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The screens' number keys last and in number order (the screen the console opened on is
    bound first, the others when they have loaded)."""
    return [r for r in rows if not r[0].isdigit()] + sorted(r for r in rows if r[0].isdigit())


def _table(rows: list[tuple[str, str]]) -> str:
    width = max((len(k) for k, _ in rows), default=0)
    return "\n".join(f"  {k:>{width}}  {d}" for k, d in rows)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close help")]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        rows = binding_rows(self.under)
        title = getattr(self.under, "SCREEN_TITLE", "") or type(self.under).__name__
        with VerticalScroll(id="help-box", classes="dialog"):
            yield Label(f"Keys: {title}", classes="dialog-title")
            if rows["screen"]:
                yield Static(_table(rows["screen"]), classes="help-keys")
            yield Label("Everywhere", classes="help-heading")
            yield Static(_table(_screens_in_order(rows["shell"])), classes="help-keys")
            if rows["widget"]:
                yield Label("Moving around (the focused pane)", classes="help-heading")
                yield Static(_table(rows["widget"]), classes="help-keys")
            yield Static(
                "ctrl+p opens the command palette: every screen and action by name.\n"
                "The mouse is optional. Esc closes this help.",
                classes="help-note",
            )

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
