"""One evidence row in full (every column, wrapped), and the places its fix can be made."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from attribtui.checks.results import CheckResult
from screens.health.fixes import Fix, row_dict


class RowScreen(ModalScreen[Fix | None]):
    """Enter goes to the highlighted fix; Esc closes."""

    BINDINGS = [Binding("escape", "close", "Close")]

    def __init__(self, result: CheckResult, index: int, fixes: list[Fix]) -> None:
        super().__init__()
        self.result, self.index, self.fixes = result, index, fixes

    def compose(self) -> ComposeResult:
        row = row_dict(self.result, self.index)
        width = max(len(k) for k in row) if row else 0
        text = Text()
        for key, value in row.items():
            text.append(f"{key:>{width}}  ", style="bold")
            text.append(f"{'' if value is None else value}\n")
        total = len((self.result.evidence or {}).get("rows") or [])
        with Vertical(id="row-box", classes="dialog"):
            yield Label(f"{self.result.id} · row {self.index + 1} of {total}",
                        classes="dialog-title")
            with VerticalScroll(id="row-fields"):
                yield Static(text)
            if self.fixes:
                yield Label("Fix it (Enter):", classes="section")
                yield OptionList(*[Option(f.label, id=str(i)) for i, f in enumerate(self.fixes)],
                                 id="row-fixes")
            else:
                yield Static("No screen acts on this row; c on the check copies its commands.",
                             classes="hint")
            yield Static("Esc closes", classes="hint")

    def on_mount(self) -> None:
        if self.fixes:
            self.query_one("#row-fixes", OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.fixes[int(event.option.id or 0)])

    def action_close(self) -> None:
        self.dismiss(None)
