"""The Models screen's Audit and Snapshots tabs: what the panels worker read, shown."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from attribtui.services import models as core
from screens.components.table import RowTable
from screens.models import render

Redact = Callable[[str], str]
AUDIT_COLUMNS = ("When", "Action", "Model", "Details")
SNAPSHOT_COLUMNS = ("Hour (UTC)", "Conv", "Revenue")


class AuditPanel(Vertical):
    """The audit trail of the selected model (or the user), newest first, filtered by action."""

    def compose(self) -> ComposeResult:
        yield Static("", id="audit-filter")
        yield RowTable(id="audit-table")  # long details wrap, never cut

    def on_mount(self) -> None:
        self.query_one("#audit-table", RowTable).show_rows(AUDIT_COLUMNS, [])

    def show(self, audit: list[core.AuditRow] | str, model_id: int | None, action: str | None,
             redact: Redact) -> None:
        """audit: the rows, or why there are none to show."""
        what = f"model {model_id}" if model_id is not None else "the user"
        note = f"Audit of {what}, newest first, {action or 'all actions'} (f cycles the filter)"
        rows = [] if isinstance(audit, str) else [render.audit_row(row) for row in audit]
        self.query_one("#audit-table", RowTable).show_rows(AUDIT_COLUMNS, rows)
        if isinstance(audit, str):
            note += f"\n‼ {redact(audit)}"
        elif not audit:
            note += "\nNo audit rows."
        self.query_one("#audit-filter", Static).update(Text(note))


class SnapshotPanel(VerticalScroll):
    """The selected model's hourly snapshots: a chart per day, then every hour."""

    def compose(self) -> ComposeResult:
        yield Static("", id="snap-chart")
        yield RowTable(id="snap-table")

    def on_mount(self) -> None:
        self.query_one("#snap-table", RowTable).show_rows(SNAPSHOT_COLUMNS, [])

    def show(self, series: core.Series | str | None, hours: int, redact: Redact) -> None:
        """series: the series, why there is none, or None with no model selected."""
        chart = self.query_one("#snap-chart", Static)
        rows = [] if series is None or isinstance(series, str) else render.series_rows(series)
        self.query_one("#snap-table", RowTable).show_rows(SNAPSHOT_COLUMNS, rows)
        if series is None:
            chart.update("Select a model to see its snapshots.")
        elif isinstance(series, str):
            chart.update(Text(f"‼ {redact(series)}"))
        else:
            chart.update(render.series_head(series, hours))
