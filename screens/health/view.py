"""How the Schema Health screen shows checks: the grouped list, and one check's detail pane."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Label, Static
from textual.widgets.option_list import Option

from attribtui.checks import GROUPS, MAX_EVIDENCE_ROWS, CheckResult
from attribtui.checks.markdown import GROUP_TITLES
from attribtui.vocab import label, worst

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


def list_options(results: list[CheckResult]) -> list[Option]:
    options: list[Option] = []
    for group, items in grouped(results):
        bad = worst(r.status for r in items)
        tail = "" if bad in ("ok", "info") else f"  {label(bad)}"
        title = Text(f"{GROUP_TITLES.get(group, group)} ({len(items)}){tail}", style="bold")
        options.append(Option(title, id=f"group:{group}", disabled=True))
        for r in items:
            name = r.id.split(".", 1)[-1]  # the group heading carries the prefix
            options.append(Option(Text(f" {label(r.status):<9} {name}"), id=r.id))
    return options


class CheckDetail(VerticalScroll):
    """One check: status and id, details, its evidence table and its remediation."""

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-head")
        yield Static("", id="detail-text")
        yield Label("Evidence", id="evidence-title", classes="section")
        yield DataTable(id="evidence", cursor_type="row", show_cursor=False)
        yield Static("", id="evidence-note")
        yield Label("Remediation  (c copies it)", id="remedy-title", classes="section")
        yield Static("", id="remedy")

    def show(self, r: CheckResult | None) -> None:
        head = self.query_one("#detail-head", Static)
        text = self.query_one("#detail-text", Static)
        table = self.query_one("#evidence", DataTable)
        note = self.query_one("#evidence-note", Static)
        remedy = self.query_one("#remedy", Static)
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
            table.add_columns(*[Text(str(c)) for c in ev["columns"]])
            table.add_rows([[Text("" if v is None else str(v)) for v in row] for row in ev["rows"]])
            note.update(f"First {MAX_EVIDENCE_ROWS} rows; the export has the same.")
        remedy.update(Text(r.remediation or ""))
