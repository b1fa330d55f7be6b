"""Schema Health (key 1): run the checks, browse them by group, inspect, copy a fix, export.

The coverage summary of the window heads the screen; `w` cycles the window the integrity checks
look at (6 h, 24 h, 48 h, 7 d); long checks report their progress in the run bar and stop at
their next query when cancelled.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import var
from textual.widgets import Label, OptionList, ProgressBar, Static
from textual.widgets.option_list import OptionDoesNotExist

from attribtui.checks import store as check_store
from attribtui.checks.markdown import export_run, save_remediation, summary_text
from attribtui.checks.results import CheckResult, empty_text, mostly_empty, summary
from attribtui.infra import clock
from attribtui.vocab import ExitCode, JsonDict
from screens.base import ConsoleScreen, describe_error
from screens.components.confirm import ActionConfirmScreen, if_yes
from screens.components.goto import LookUpConversions, OpenModel, PrefillJob
from screens.components.table import RowTable
from screens.health.fixes import Fix, check_fixes, row_fixes, runnable
from screens.health.messages import (
    CheckDone,
    ChecksFinished,
    ChecksRefused,
    CheckStep,
    CoverageRead,
    GuardDeleted,
    RunStarted,
    SavedRunRead,
)
from screens.health.row import RowScreen
from screens.health.view import CheckDetail, list_options, pick_initial

if TYPE_CHECKING:  # first paint: the checks and SQLAlchemy load in the checks worker
    from attribtui.checks.framework import CheckContext
    from attribtui.infra.db import Database

WINDOWS = ("6h", "24h", "48h", "7d")
DEFAULT_WINDOW = "48h"
STEP_INTERVAL_S = 0.05  # at most ~20 progress updates a second reach the UI


class HealthScreen(ConsoleScreen):
    SCREEN_TITLE = "Schema Health"
    BINDINGS = [
        Binding("r", "rerun", "Rerun"),
        Binding("x", "cancel", "Cancel run"),
        Binding("w", "cycle_window", "Window"),
        Binding("c", "copy_fix", "Copy fix"),
        Binding("f", "go_fix", "Go to fix", show=False),  # Enter on a check does the same
        Binding("e", "export('md')", "Export MD"),
        Binding("j", "export('json')", "Export JSON"),
    ]

    running: var[bool] = var(False, bindings=True)
    report: var[JsonDict | None] = var(None, bindings=True)
    selected: var[str | None] = var(None, bindings=True)  # the check in the detail pane

    def __init__(self) -> None:
        super().__init__()
        self.results: list[CheckResult] = []
        self.window = DEFAULT_WINDOW
        self._cancel = threading.Event()
        self._db: Database | None = None
        self._total = 0
        self._start_shown_for: str | None = None  # the window of a start shown, not yet run
        self._runs = 0
        self._last_step = 0.0
        # The last saved run, shown at once and replaced check by check by the fresh run.
        self.saved: dict[str, CheckResult] = {}
        self.saved_at: int | None = None
        self._auto_pick: str | None = None  # the selection made for the operator, not by them
        self._refill_due = False  # results arrived that the list does not show yet
        self._running_id: str | None = None

    # -- layout ----------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static("", id="banner")
        yield Static("", id="coverage")
        yield Static("", id="emptiness")
        with Horizontal(id="runbar"):
            yield Label("", id="run-label")
            yield ProgressBar(id="run-progress", show_eta=False)
        yield Static("", id="summary")
        with Horizontal(id="body"):
            yield OptionList(id="check-list")
            yield CheckDetail(id="detail")

    def on_mount(self) -> None:
        self._show_starting()  # a run starts at once: its first frame shows it coming
        self.query_one(CheckDetail).show(None)
        self.query_one("#check-list", OptionList).focus()
        self._read_saved_run()  # then the fresh run starts: nothing competes with its paint

    @work(thread=True, group="startup", name="read the saved run")
    def _read_saved_run(self) -> None:
        """The profile's last saved run, so the findings are on screen before the checks finish
        (a file read, in a worker: it may be large). None when there is none or it is unreadable:
        the fresh run starts either way."""
        try:
            runs = check_store.load_runs(self.profile.name, newest=1)
        except (OSError, ValueError):
            runs = []
        self.post_message(SavedRunRead(runs[-1] if runs else None))

    @on(SavedRunRead)
    def _saved_run_read(self, message: SavedRunRead) -> None:
        if message.report is None:  # nothing new to show: start once the first frame is out
            self.console.after_first_paint(self._start_when_ready)
            return
        self._show_saved_run(message.report)
        self.console.after_paint(self.console.first_content_shown)
        # Once that is on the terminal: the checks' imports would slow its frame.
        self.console.after_paint(self._start_when_ready)

    def _start_when_ready(self) -> None:
        self.console.when_ready(self.start_run)

    def _show_saved_run(self, report: JsonDict) -> None:
        if self.report is not None or self.results:  # a fresh run got here first
            return
        try:
            results = [CheckResult.from_json(c) for c in report["checks"]]
        except (KeyError, TypeError, ValueError):  # a run saved by another version: skip it
            return
        self.saved = {r.id: r for r in results}
        self.saved_at = int(report.get("generated_at") or 0)
        self._fill_list()
        self._auto_pick = pick_initial(results)
        self._show_progress(0, None)
        # The list first; the picked check's detail (its evidence table) in the next frame.
        self.console.after_paint(lambda: self.highlight(self._auto_pick))

    # -- running ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # A run shown starting counts as running: its start then changes no key (a footer
        # rebuild competed with the checks' imports).
        busy = self.running or self._start_shown_for is not None
        if action == "cancel":
            return busy  # hidden when nothing runs
        if action in ("rerun", "cycle_window", "set_window"):
            return None if busy else True
        if action == "export":
            return None if busy or self.report is None else True
        if action == "go_fix":
            r = self.current()
            return True if r is not None and check_fixes(r, clock.now()) else None
        if action == "copy_fix":
            r = self.current()
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
        self._cancel = threading.Event()
        self.running = True
        self.results = []
        self.report = None
        if self._start_shown_for != self.window:  # else the first frame shows it: no relayout
            self._show_starting()
        self._start_shown_for = None
        self._run_checks(clock.parse_duration(self.window), self._cancel)

    def _show_starting(self) -> None:
        """A run starting: its bar and the coverage line shown, no banner. The console's first
        frame shows it too, so that the run starting changes no layout: redrawing the whole
        screen then slowed the checks' imports in their worker."""
        self._start_shown_for = self.window
        self._set_banner(None)
        self.query_one("#emptiness").display = False
        self._show_progress(0, None)
        self.query_one("#runbar").display = True
        self.query_one("#coverage", Static).update(
            Text(f"Window {self.window}: reading coverage…"))

    @work(thread=True, exclusive=True, group="checks", name="schema health checks")
    def _run_checks(self, window_s: int, cancel: threading.Event) -> None:
        # First paint: the checks and SQLAlchemy load here, after the saved run is on screen.
        from attribtui.checks.catalog import select
        from attribtui.checks.framework import CheckContext
        from attribtui.checks.runner import run_checks_and_save
        from attribtui.infra.db import Database, DbError

        try:
            db = self._db = Database.from_profile(self.profile)  # parses the URL; connects later
        except DbError as e:
            self.post_message(ChecksRefused(f"‼ {e}"))
            return
        specs = select(None)
        self.post_message(RunStarted(len(specs), specs[0].id if specs else None))
        ctx = CheckContext(db=db, now=clock.now(), profile=self.profile, cancel_event=cancel,
                           window_s=window_s)
        ctx.on_step = self._on_step

        def progress(i: int, n: int, res: CheckResult) -> None:
            if res.id == "coverage.summary":
                self._post_coverage(ctx, res)
            self.post_message(CheckDone(res, specs[i].id if i < n else None))

        try:
            run = run_checks_and_save(ctx, specs, progress=progress)
        finally:
            db.close()
        self.post_message(ChecksFinished(run))

    def _post_coverage(self, ctx: CheckContext, res: CheckResult) -> None:
        line = ctx.cache.get("coverage.line")
        self.post_message(CoverageRead(line.text() if line else f"Coverage: {res.details}"))

    @on(RunStarted)
    def _run_started(self, message: RunStarted) -> None:
        self._total = message.total
        self._show_progress(0, message.first_id)

    @on(ChecksRefused)
    def _checks_refused(self, message: ChecksRefused) -> None:
        self.running = False
        self.query_one("#runbar").display = False
        self._set_banner(message.reason)
        self.query_one("#summary", Static).update("Checks not run: no usable database.")
        self.console.first_content_shown()

    def _on_step(self, text: str) -> None:
        """Progress inside a long check (worker thread): throttled to the UI."""
        now = time.monotonic()
        if now - self._last_step < STEP_INTERVAL_S:
            return
        self._last_step = now
        self.post_message(CheckStep(text))

    @on(CheckStep)
    def _show_step(self, message: CheckStep) -> None:
        if self.running and not self._cancel.is_set():
            label = self.query_one("#run-label", Label)
            current = str(label.render()).split(" · ", 1)[0]
            label.update(f"{current} · {message.text}")

    @on(CoverageRead)
    def _show_coverage(self, message: CoverageRead) -> None:
        self.query_one("#coverage", Static).update(Text(f"Window {self.window} · {message.text}"))

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

    def action_cancel(self) -> None:
        if not self.running or self._cancel.is_set():
            return
        self.cancel_work()
        self.query_one("#run-label", Label).update("Cancelling: stopping the running query…")

    def cancel_work(self) -> None:
        """Stop between checks and kill the running query."""
        if not self.running:
            return
        self._cancel.set()
        if self._db is not None:
            self.kill_query(self._db)

    def _show_progress(self, done: int, current: str | None) -> None:
        bar = self.query_one("#run-progress", ProgressBar)
        bar.update(total=max(self._total, 1), progress=done)
        if self._cancel.is_set():
            return
        text = (f"Running {current} ({done + 1}/{self._total})" if current
                else "Finishing…" if done else "Starting…")
        self.query_one("#run-label", Label).update(text)
        if self.saved and self.saved_at is not None:
            age = clock.ago(max(0, clock.now() - self.saved_at))
            self.query_one("#summary", Static).update(Text(
                f"Saved run of {clock.iso(self.saved_at)} ({age} ago) shown; refreshing: "
                f"{done} of {self._total or len(self.saved)} rechecked (·saved rows are old)"))
            return
        counts = summary(self.results)
        self.query_one("#summary", Static).update(
            Text(f"{done} of {self._total} done: {summary_text(counts)}" if done else "Starting…"))

    @on(CheckDone)
    def _on_result(self, message: CheckDone) -> None:
        self.results.append(message.result)
        self._running_id = message.next_id
        if not self._refill_due:  # once for results that arrive together
            self._refill_due = True
            self.call_later(self._show_results)

    def _show_results(self) -> None:
        self._refill_due = False
        self.console.after_paint(self.console.first_content_shown)
        if not self.running:  # the run has finished meanwhile: its own summary stands
            return
        self._fill_list()
        self._show_progress(len(self.results), self._running_id)

    @on(ChecksFinished)
    def _on_finished(self, message: ChecksFinished) -> None:
        run = message.run
        report = run.report
        self.running = False
        self.report = report
        self.results = run.results
        self.saved, self.saved_at = {}, None  # the fresh run replaced it
        self.query_one("#runbar").display = False
        if run.unreachable:
            self._set_banner(f"‼ Database unreachable: {run.unreachable}")
        cancelled = self._cancel.is_set()
        code = int(ExitCode.of(r.status for r in self.results))
        when = clock.iso(report["generated_at"])
        prefix = "Cancelled. " if cancelled else ""
        self.query_one("#summary", Static).update(Text(
            f"{prefix}{summary_text(report['summary'])}   exit {code}   {when}"))
        self._show_emptiness(report)
        if not any(r.id == "coverage.summary" and r.status == "info" for r in self.results):
            self.query_one("#coverage", Static).update(
                Text(f"Window {self.window} · coverage not available (see coverage.summary)"))
        self._fill_list()
        # The first run opens on the worst finding; a rerun keeps the operator's selection.
        if (self._runs == 0 and self.selected in (None, self._auto_pick)) \
                or self.selected not in {r.id for r in self.results}:
            self.highlight(pick_initial(self.results))
        self._runs += 1
        if cancelled:
            skipped = report["summary"].get("skipped", 0)
            self.notify(f"Run cancelled; {skipped} check(s) skipped. r reruns.", severity="warning")
        if run.save_error:
            self.notify(f"Could not save this run under the data dir: {run.save_error}",
                        severity="warning")

    def _show_emptiness(self, report: JsonDict) -> None:
        """When most checks had nothing to examine, say so above the list: a board of `info`
        from an empty window is not proof of health."""
        box = self.query_one("#emptiness", Static)
        box.display = mostly_empty(report)
        if box.display:
            box.update(Text(f"ℹ {empty_text(report)} in the last {self.window}: not proof of "
                            "health"))

    def _set_banner(self, text: str | None) -> None:
        banner = self.query_one("#banner", Static)
        banner.update(Text(text or ""))
        banner.display = bool(text)

    # -- the list and the detail -----------------------------------------------------------------

    def shown_results(self) -> list[CheckResult]:
        """The fresh results, and the saved run's for the checks not rerun yet."""
        fresh = {r.id: r for r in self.results}
        merged = [fresh.pop(cid, r) for cid, r in self.saved.items()]
        return merged + list(fresh.values())

    def _fill_list(self) -> None:
        ol = self.query_one("#check-list", OptionList)
        keep = self.selected
        ol.clear_options()
        fresh = {r.id for r in self.results}
        ol.add_options(list_options(self.shown_results(),
                                    frozenset(cid for cid in self.saved if cid not in fresh)))
        if keep is not None:
            self.highlight(keep)

    def highlight(self, check_id: str | None) -> None:
        """Select a check in the list and show it."""
        if check_id is None:
            return
        ol = self.query_one("#check-list", OptionList)
        try:
            ol.highlighted = ol.get_option_index(check_id)
        except OptionDoesNotExist:  # the check is not in this run
            return
        self.selected = check_id
        self.query_one(CheckDetail).show(self.current())

    def current(self) -> CheckResult | None:
        return next((r for r in self.shown_results() if r.id == self.selected), None)

    @on(OptionList.OptionHighlighted, "#check-list")
    def _on_highlight(self, event: OptionList.OptionHighlighted) -> None:
        oid = event.option.id
        if oid and not oid.startswith("group:"):
            self.selected = oid
            self.query_one(CheckDetail).show(self.current())

    # -- copy and export -------------------------------------------------------------------------

    def action_copy_fix(self) -> None:
        """Copy what can be pasted and run (SQL, commands), never the prose around it."""
        r = self.current()
        if r is None or not r.remediation:
            self.notify("This check has no remediation to copy.", severity="warning")
            return
        text, left_out = runnable(r.remediation)
        held = (f"; {left_out} with a placeholder to fill in (<…>, =N) left out: read them on "
                "screen" if left_out else "")
        if not text:
            self.notify("Nothing in this remediation can be pasted and run as it is: it is "
                        f"advice, on screen under Remediation{held}.", severity="warning")
            return
        self.app.copy_to_clipboard(text + "\n")
        try:
            path = save_remediation(r.id, text)
        except OSError as e:
            self.notify(f"Copied via OSC 52, but could not write the file: {e}", severity="warning")
            return
        n = len(text.splitlines())
        self.notify(f"Copied {n} statement(s)/command(s) of {r.id} (OSC 52; in tmux needs "
                    f"set-clipboard on){held}. Also saved to {path}", title="Copied", timeout=12)

    # -- fixes as actions ------------------------------------------------------------------------

    @on(OptionList.OptionSelected, "#check-list")
    def _check_chosen(self, event: OptionList.OptionSelected) -> None:
        self.action_go_fix()

    def action_go_fix(self) -> None:
        """Enter on a check: go where its first fix is made."""
        r = self.current()
        fixes = check_fixes(r, clock.now()) if r is not None else []
        if not fixes:
            self.notify("No screen acts on this check; c copies its commands.", severity="warning")
            return
        self.run_worker(self.go(fixes[0]), group="goto", exclusive=True)

    @on(RowTable.RowSelected, "#evidence")
    def _row_chosen(self, event: RowTable.RowSelected) -> None:
        r = self.current()
        if r is None:
            return
        index = event.cursor_row
        fixes = row_fixes(r, index, clock.now())
        self.app.push_screen(RowScreen(r, index, fixes), self._row_answer)

    def _row_answer(self, fix: Fix | None) -> None:
        if fix is not None:
            self.run_worker(self.go(fix), group="goto", exclusive=True)

    async def go(self, fix: Fix) -> None:
        """Open the screen where the fix is made, on its target (through the shell's modes)."""
        if fix.screen == "guard":
            self._confirm_guard_delete(fix)
            return
        if fix.screen not in {s.name for s in self.console.screen_specs}:
            self.notify(f"The {fix.screen} screen is not available here.", severity="error")
            return
        await self.app.switch_mode(fix.screen)
        target = self.app.screen
        if fix.screen == "journeys":
            target.post_message(LookUpConversions(list(fix.conv_ids)))
        elif fix.screen == "models":
            target.post_message(OpenModel(fix.model_id, fix.user_id))
        elif fix.screen == "jobs" and fix.request is not None:
            target.post_message(PrefillJob(fix.request))
        self.notify(fix.label, title="From Schema Health", timeout=6)

    def _confirm_guard_delete(self, fix: Fix) -> None:
        hour = fix.hour
        if hour is None:
            return
        if self.profile.read_only:
            self.notify(f"Profile '{self.profile.name}' is read-only: the guard row stays.",
                        severity="error")
            return
        from attribtui.services.jobs import guard  # first paint: SQLAlchemy loads after it

        self.app.push_screen(ActionConfirmScreen(self.profile, guard.guard_delete_plan(hour)),
                             if_yes(lambda: self._delete_guard(hour)))

    @work(thread=True, exclusive=True, group="health-guard", name="delete guard row")
    def _delete_guard(self, hour: int) -> None:
        from attribtui.infra.db import DbError  # first paint: SQLAlchemy loads after it
        from attribtui.services.jobs import guard

        try:
            n = guard.delete_guard_row(self.profile, hour)
        except Exception as e:  # noqa: BLE001 - one line; the console keeps running
            self.notify(describe_error(e, (DbError,), self.profile, first_line=True),
                        severity="error", timeout=15)
            return
        self.post_message(GuardDeleted(n, hour))

    @on(GuardDeleted)
    def _guard_deleted(self, message: GuardDeleted) -> None:
        self.notify(f"Deleted {message.rows} guard row(s) of {clock.iso(message.hour)}; "
                    "rerunning the checks.", title="Guard row")
        self.start_run()

    def action_export(self, fmt: str) -> None:
        if self.report is None:
            self.notify("No finished run to export yet.", severity="warning")
            return
        try:
            path, text = export_run(self.report, fmt, environment=self.profile.display_env,
                                    db_label=self.console.db_label)
        except OSError as e:
            self.notify(f"Export failed: {e}", severity="error")
            return
        self.app.copy_to_clipboard(text)
        kind = "Markdown" if fmt == "md" else "JSON"
        self.notify(f"{kind} written to {path} and copied via OSC 52.", title="Exported",
                    timeout=12)
