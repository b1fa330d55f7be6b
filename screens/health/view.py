"""How the Schema Health screen shows checks: the grouped list, and one check's detail pane."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.widgets import Label, Static
from textual.widgets.option_list import Option

from attribtui.checks.markdown import GROUP_TITLES
from attribtui.checks.results import GROUPS, MAX_EVIDENCE_ROWS, CheckResult
from attribtui.vocab import label, worst
from screens.components.table import RowTable

ATTENTION = ("fail", "error", "warn")


def pick_initial(results: list[CheckResult]) -> str | None:
    """The check to show first: the first failure, else error, else warning, else the first."""
    for status in ATTENTION:
        for r in results:
            if r.status == status:
                return r.id
    return results[0].id if results else None


def grouped(results: list[CheckResult]) -> list[tuple[str, list[CheckResult]]]:
    order = {g: i for i, g in enumerate(GROUPS)}
    groups: dict[str, list[CheckResult]] = {}
    for r in results:
        groups.setdefault(r.group, []).append(r)
    return sorted(groups.items(), key=lambda kv: order.get(kv[0], len(order)))


def list_options(results: list[CheckResult], saved: frozenset[str] = frozenset()
                 ) -> list[Option]:
    """The check list by group; ids in `saved` come from the last saved run (dimmed, marked)."""
    options: list[Option] = []
    for group, items in grouped(results):
        bad = worst(r.status for r in items)
        tail = "" if bad in ("ok", "info") else f"  {label(bad)}"
        title = Text(f"{GROUP_TITLES.get(group, group)} ({len(items)}){tail}", style="bold")
        options.append(Option(title, id=f"group:{group}", disabled=True))
        for r in items:
            name = r.id.split(".", 1)[-1]  # the group heading carries the prefix
            if r.id in saved:
                options.append(Option(Text(f" {label(r.status):<9} {name} ·saved",
                                           style="dim"), id=r.id))
            else:
                options.append(Option(Text(f" {label(r.status):<9} {name}"), id=r.id))
    return options


class CheckDetail(VerticalScroll):
    """One check: status and id, details, its evidence table and its remediation. The evidence
fits the pane's width (long cells wrap); Enter on a row opens it in full with its fixes."""

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-head")
        yield Static("", id="detail-text")
        yield Label("Evidence", id="evidence-title", classes="section")
        yield RowTable(id="evidence")
        yield Static("", id="evidence-note")
        yield Label("Remediation  (c copies its commands)", id="remedy-title", classes="section")
        yield Static("", id="remedy")

    shown: CheckResult | None = None
    fitted = 0  # the width the evidence was fitted to

    def on_resize(self) -> None:
        if self.shown is not None and self._table_width() != self.fitted:
            self.show(self.shown)  # refit to the new width

    def _table_width(self) -> int:
        """The room inside the pane (its padding and scroll bar aside); 60 before layout."""
        return max(30, self.scrollable_content_region.width) if self.size.width else 60

    def show(self, r: CheckResult | None) -> None:
        head = self.query_one("#detail-head", Static)
        text = self.query_one("#detail-text", Static)
        table = self.query_one("#evidence", RowTable)
        note = self.query_one("#evidence-note", Static)
        remedy = self.query_one("#remedy", Static)
        self.shown = r
        ev = r.evidence if r else None
        for wid in ("#evidence-title", "#evidence"):
            self.query_one(wid).display = bool(ev and ev.get("columns"))
        note.display = bool(ev and ev.get("truncated"))
        for wid in ("#remedy-title", "#remedy"):
            self.query_one(wid).display = bool(r and r.remediation)
        if r is None:
            head.update("")
            head.set_classes("")
            text.update(Text("Select a check to see its details, evidence and remediation."))
            return
        empty = "  · nothing to examine" if r.nothing_to_examine else ""
        head.update(Text(f"{label(r.status)}  {r.id}{empty}"))
        head.set_classes(f"-{r.status}")
        text.update(Text(f"{r.title}\n\n{r.details}"))
        table.clear(columns=True)
        if ev and ev.get("columns"):
            self.fitted = self._table_width()
            table.show_rows([str(c) for c in ev["columns"]], ev["rows"], self.fitted)
            # shown again after being hidden, the table lays out on the next refresh only
            self.call_after_refresh(table.refresh, layout=True)
            note.update(f"First {MAX_EVIDENCE_ROWS} rows; the export has the same.")
        remedy.update(Text(r.remediation or ""))
        # Tab goes straight to the evidence rows when there are some (the pane follows the
        # cursor); without them, the pane itself takes focus to scroll by keys.
        self.can_focus = not table.display

    @on(RowTable.RowHighlighted, "#evidence")
    def _follow_cursor(self, event: RowTable.RowHighlighted) -> None:
        """The table is as tall as its rows: scroll the pane so the cursor's row shows."""
        table = event.data_table
        rows = table.ordered_rows
        if not table.has_focus or not 0 <= event.cursor_row < len(rows):
            return
        y = table.header_height + sum(r.height for r in rows[:event.cursor_row])
        region = Region(0, table.virtual_region.y + y, 1, rows[event.cursor_row].height)
        self.scroll_to_region(region, animate=False)
