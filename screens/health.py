"""Schema Health (key 1): run the checks, browse them by group, inspect, copy a fix, export.

The coverage summary of the window heads the screen; `w` cycles the window the integrity checks
look at (6 h, 24 h, 48 h, 7 d); long checks report their progress in the run bar and stop at
their next query when cancelled.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option

from attribtui.checks import GROUPS, MAX_EVIDENCE_ROWS, CheckContext, CheckResult, select, summary
from attribtui.checks.markdown import GROUP_TITLES, export_run, save_remediation, summary_text
from attribtui.checks.runner import Run, run_checks_and_save
from attribtui.infra import clock
from attribtui.infra.db import Database, DbError
from attribtui.vocab import ExitCode, label, worst
from screens.header import ShellHeader
from screens.registry import PaletteCommand, ScreenSpec

ATTENTION = ("fail", "error", "warn")
WINDOWS = ("6h", "24h", "48h", "7d")
DEFAULT_WINDOW = "48h"
STEP_INTERVAL_S = 0.05  # at most ~20 progress updates a second reach the UI


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


class HealthScreen(Screen[None]):
    SCREEN_TITLE = "Schema Health"
    CSS_PATH = "health.tcss"
    BINDINGS = [
        Binding("r", "rerun", "Rerun"),
        Binding("x", "cancel", "Cancel run"),
        Binding("w", "cycle_window", "Window"),
        Binding("c", "copy_fix", "Copy fix"),
        Binding("e", "export('md')", "Export MD"),
        Binding("j", "export('json')", "Export JSON"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.results: list[CheckResult] = []
        self.report: dict[str, Any] | None = None
        self.running = False
        self._cancel = threading.Event()
        self._db: Database | None = None
        self._total = 0
        self._selected: str | None = None
        self._runs = 0
        self.window = DEFAULT_WINDOW
        self._last_step = 0.0

    # -- layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ShellHeader()
        yield Static("", id="banner")
        yield Static("", id="coverage")
        with Horizontal(id="runbar"):
            yield Label("", id="run-label")
            yield ProgressBar(id="run-progress", show_eta=False)
        yield Static("Waiting to start…", id="summary")
        with Horizontal(id="body"):
            yield OptionList(id="check-list")
            with VerticalScroll(id="detail"):
                yield Static("", id="detail-head")
                yield Static("", id="detail-text")
                yield Label("Evidence", id="evidence-title", classes="section")
                yield DataTable(id="evidence", cursor_type="row", show_cursor=False)
                yield Static("", id="evidence-note")
                yield Label("Remediation  (c copies it)", id="remedy-title", classes="section")
                yield Static("", id="remedy")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#banner").display = False
        self.query_one("#runbar").display = False
        self._show_detail(None)
        self.query_one("#check-list", OptionList).focus()
        self.app.when_ready(self.start_run)  # type: ignore[attr-defined]

    # -- running ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel":
            return bool(self.running)  # hidden when nothing runs
        if action in ("rerun", "cycle_window", "set_window"):
            return None if self.running else True
        if action == "export":
            return None if self.running or self.report is None else True
        if action == "copy_fix":
            r = self._current()
            return True if r is not None and r.remediation else None
        return True

    def action_rerun(self) -> None:
        if self.running:
            self.notify("A run is in progress: x cancels it.", severity="warning")
            return
        self.start_run()

    def start_run(self) -> None:
        if self.running:
            return
        profile = self.app.profile  # type: ignore[attr-defined]
        self._set_banner(None)
        try:
            self._db = Database.from_profile(profile)  # parses the URL; connects later, in the worker
        except DbError as e:
            self._set_banner(f"‼ {e}")
            self.query_one("#summary", Static).update("Checks not run: no usable database.")
            return
        self._cancel = threading.Event()
        self.running = True
        self.results = []
        self.report = None
        self._total = len(select(None))
        self._show_progress(0, None)
        self.query_one("#runbar").display = True
        self.refresh_bindings()
        self.query_one("#coverage", Static).update(
            Text(f"Window {self.window}: reading coverage…"))
        ctx = CheckContext(db=self._db, now=clock.now(), profile=profile,
                           cancel_event=self._cancel, window_s=clock.parse_duration(self.window))
        ctx.on_step = self._on_step
        self._run_checks(self._db, ctx)

    @work(thread=True, exclusive=True, group="checks", name="schema health checks")
    def _run_checks(self, db: Database, ctx: CheckContext) -> None:
        specs = select(None)
        call = self._call

        def progress(i: int, n: int, res: CheckResult) -> None:
            line = ctx.cache.get("coverage.line")
            if res.id == "coverage.summary":
                call(self._show_coverage, line.text() if line else f"Coverage: {res.details}")
            call(self._on_result, res, specs[i].id if i < n else None)

        call(self._show_progress, 0, specs[0].id if specs else None)
        try:
            run = run_checks_and_save(ctx, specs, progress=progress)
        finally:
            db.close()
        call(self._on_finished, run)

    def _on_step(self, text: str) -> None:
        """Progress inside a long check (worker thread): throttled to the UI."""
        now = time.monotonic()
        if now - self._last_step < STEP_INTERVAL_S:
            return
        self._last_step = now
        self._call(self._show_step, text)

    def _show_step(self, text: str) -> None:
        if self.running and not self._cancel.is_set():
            label = self.query_one("#run-label", Label)
            current = str(label.render()).split(" · ", 1)[0]
            label.update(f"{current} · {text}")

    def _show_coverage(self, text: str) -> None:
        self.query_one("#coverage", Static).update(Text(f"Window {self.window} · {text}"))

    def action_cycle_window(self) -> None:
        nxt = WINDOWS[(WINDOWS.index(self.window) + 1) % len(WINDOWS)] \
            if self.window in WINDOWS else DEFAULT_WINDOW
        self.action_set_window(nxt)

    def action_set_window(self, value: str) -> None:
        if self.running:
            self.notify("A run is in progress: x cancels it, then change the window.",
                        severity="warning")
            return
        try:
            clock.parse_duration(value)
        except ValueError as e:
            self.notify(str(e), severity="error")
            return
        self.window = value
        self.notify(f"Integrity checks now look at the last {value}; rerunning.")
        self.start_run()

    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        """call_from_thread that tolerates the app shutting down under the worker."""
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(fn, *args)

    def action_cancel(self) -> None:
        if not self.running or self._cancel.is_set():
            return
        self.cancel_work()
        self.query_one("#run-label", Label).update("Cancelling: stopping the running query…")

    def cancel_work(self) -> None:
        """Stop between checks and kill the running query (the shell calls this on quit)."""
        if not self.running:
            return
        self._cancel.set()
        if self._db is not None:
            self.run_worker(self._db.cancel, thread=True, group="cancel", name="cancel query",
                            exit_on_error=False)

    def _show_progress(self, done: int, current: str | None) -> None:
        bar = self.query_one("#run-progress", ProgressBar)
        bar.update(total=max(self._total, 1), progress=done)
        if self._cancel.is_set():
            return
        text = f"Running {current} ({done + 1}/{self._total})" if current else "Finishing…"
        self.query_one("#run-label", Label).update(text)
        counts = summary(self.results)
        self.query_one("#summary", Static).update(
            Text(f"{done} of {self._total} done: {summary_text(counts)}" if done else "Starting…"))

    def _on_result(self, res: CheckResult, next_id: str | None) -> None:
        self.results.append(res)
        self._fill_list()
        self._show_progress(len(self.results), next_id)

    def _on_finished(self, run: Run) -> None:
        report, unreachable, save_error = run.report, run.unreachable, run.save_error
        self.running = False
        self.report = report
        self.results = run.results
        self.query_one("#runbar").display = False
        if unreachable:
            self._set_banner(f"‼ Database unreachable: {unreachable}")
        cancelled = self._cancel.is_set()
        code = int(ExitCode.of(r.status for r in self.results))
        when = clock.iso(report["generated_at"])
        prefix = "Cancelled. " if cancelled else ""
        self.query_one("#summary", Static).update(Text(
            f"{prefix}{summary_text(report['summary'])}   exit {code}   {when}"))
        if not any(r.id == "coverage.summary" and r.status == "info" for r in self.results):
            self.query_one("#coverage", Static).update(
                Text(f"Window {self.window} · coverage not available (see coverage.summary)"))
        self._fill_list()
        # The first run opens on the worst finding; a rerun keeps the operator's selection.
        if self._runs == 0 or self._selected not in {r.id for r in self.results}:
            self._highlight(pick_initial(self.results))
        self._runs += 1
        if cancelled:
            skipped = report["summary"].get("skipped", 0)
            self.notify(f"Run cancelled; {skipped} check(s) skipped. r reruns.", severity="warning")
        if save_error:
            self.notify(f"Could not save this run under the data dir: {save_error}",
                        severity="warning")
        self.refresh_bindings()

    def _set_banner(self, text: str | None) -> None:
        banner = self.query_one("#banner", Static)
        banner.update(Text(text or ""))
        banner.display = bool(text)

    # -- the list and the detail -----------------------------------------------------------------

    def _fill_list(self) -> None:
        ol = self.query_one("#check-list", OptionList)
        keep = self._selected
        ol.clear_options()
        ol.add_options(list_options(self.results))
        if keep is not None:
            self._highlight(keep)

    def _highlight(self, check_id: str | None) -> None:
        if check_id is None:
            return
        ol = self.query_one("#check-list", OptionList)
        try:
            ol.highlighted = ol.get_option_index(check_id)
        except Exception:  # OptionDoesNotExist: the check is not in this run
            return
        self._selected = check_id
        self._show_detail(self._current())

    def _current(self) -> CheckResult | None:
        return next((r for r in self.results if r.id == self._selected), None)

    @on(OptionList.OptionHighlighted, "#check-list")
    def _on_highlight(self, event: OptionList.OptionHighlighted) -> None:
        oid = event.option.id
        if oid and not oid.startswith("group:"):
            self._selected = oid
            self._show_detail(self._current())
            self.refresh_bindings()

    def _show_detail(self, r: CheckResult | None) -> None:
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
        head.update(Text(f"{label(r.status)}  {r.id}"))
        head.set_classes(f"-{r.status}")
        text.update(Text(f"{r.title}\n\n{r.details}"))
        table.clear(columns=True)
        if ev and ev.get("columns"):
            table.add_columns(*[Text(str(c)) for c in ev["columns"]])
            table.add_rows([[Text("" if v is None else str(v)) for v in row] for row in ev["rows"]])
            note.update(f"First {MAX_EVIDENCE_ROWS} rows; the export has the same.")
        remedy.update(Text(r.remediation or ""))

    # -- copy and export -------------------------------------------------------------------------

    def action_copy_fix(self) -> None:
        r = self._current()
        if r is None or not r.remediation:
            self.notify("This check has no remediation to copy.", severity="warning")
            return
        self.app.copy_to_clipboard(r.remediation)
        try:
            path = save_remediation(r.id, r.remediation)
        except OSError as e:
            self.notify(f"Copied via OSC 52, but could not write the file: {e}", severity="warning")
            return
        self.notify(f"Copied the remediation of {r.id} (OSC 52; in tmux needs set-clipboard "
                    f"on). Also saved to {path}", title="Copied", timeout=12)

    def action_export(self, fmt: str) -> None:
        if self.report is None:
            self.notify("No finished run to export yet.", severity="warning")
            return
        app: Any = self.app
        try:
            path, text = export_run(self.report, fmt, environment=app.profile.display_env,
                                    db_label=app.db_label)
        except OSError as e:
            self.notify(f"Export failed: {e}", severity="error")
            return
        app.copy_to_clipboard(text)
        kind = "Markdown" if fmt == "md" else "JSON"
        self.notify(f"{kind} written to {path} and copied via OSC 52.", title="Exported",
                    timeout=12)


SCREEN = ScreenSpec(
    key="1",
    name="health",
    title="Schema Health",
    factory=HealthScreen,
    help="Schema, cron, integrity and database checks with evidence and fixes",
    commands=(
        PaletteCommand("Run checks", "Rerun every check (r)", "rerun"),
        PaletteCommand("Window: last 6 h", "Integrity checks over the last 6 h", "set_window('6h')"),
        PaletteCommand("Window: last 24 h", "Integrity checks over the last 24 h",
                       "set_window('24h')"),
        PaletteCommand("Window: last 48 h", "Integrity checks over the last 48 h (default)",
                       "set_window('48h')"),
        PaletteCommand("Window: last 7 d", "Integrity checks over the last 7 d", "set_window('7d')"),
        PaletteCommand("Cancel the running checks", "Stop the run (x)", "cancel"),
        PaletteCommand("Copy remediation", "Copy the selected check's fix (c)", "copy_fix"),
        PaletteCommand("Export report (Markdown)", "Write the run as Markdown (e)", "export('md')"),
        PaletteCommand("Export report (JSON)", "Write the run as JSON (j)", "export('json')"),
    ),
)
