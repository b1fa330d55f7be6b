"""The Models screen's Audit and Snapshots tabs: what the panels worker read, shown."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import DataTable, Static

from attribtui.services import models as core
from screens.models import render

Redact = Callable[[str], str]


class AuditPanel(Vertical):
    """The audit trail of the selected model (or the user), newest first, filtered by action."""

    def compose(self) -> ComposeResult:
        yield Static("", id="audit-filter")
        yield DataTable(id="audit-table", cursor_type="row", show_cursor=False)

    def on_mount(self) -> None:
        self.query_one("#audit-table", DataTable).add_columns("When", "Action", "Model", "Details")

    def show(self, audit: list[core.AuditRow] | str, model_id: int | None, action: str | None,
             redact: Redact) -> None:
        """audit: the rows, or why there are none to show."""
        what = f"model {model_id}" if model_id is not None else "the user"
        note = f"Audit of {what}, newest first, {action or 'all actions'} (f cycles the filter)"
        table = self.query_one("#audit-table", DataTable)
        table.clear()
        if isinstance(audit, str):
            note += f"\n‼ {redact(audit)}"
        else:
            for row in audit:
                table.add_row(*render.audit_row(row))
            if not audit:
                note += "\nNo audit rows."
        self.query_one("#audit-filter", Static).update(Text(note))


class SnapshotPanel(VerticalScroll):
    """The selected model's hourly snapshots: a chart per day, then every hour."""

    def compose(self) -> ComposeResult:
        yield Static("", id="snap-chart")
        yield DataTable(id="snap-table", cursor_type="row", show_cursor=False)

    def on_mount(self) -> None:
        self.query_one("#snap-table", DataTable).add_columns("Hour (UTC)", "Conv", "Revenue")

    def show(self, series: core.Series | str | None, hours: int, redact: Redact) -> None:
        """series: the series, why there is none, or None with no model selected."""
        chart = self.query_one("#snap-chart", Static)
        snaps = self.query_one("#snap-table", DataTable)
        snaps.clear()
        if series is None:
            chart.update("Select a model to see its snapshots.")
        elif isinstance(series, str):
            chart.update(Text(f"‼ {redact(series)}"))
        else:
            chart.update(render.series_head(series, hours))
            for row in render.series_rows(series):
                snaps.add_row(*row)
