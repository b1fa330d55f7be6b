"""Rollback (key 5): the guided walkthrough of an incident, step by step, resumable.

The left list shows every step with its status as a symbol and a word; the right side shows the
selected step's plan (what it will do), its result or skip reason, and the live output of its
job (backfill, rebuild), followed in a worker in batches. `g` runs the current step after the
confirmation, `s` skips it with a reason. The state lives in attribtui.services.rollback, saved
after every step: quitting, or losing SSH, loses nothing; the latest active walkthrough opens
again here (and with `attribtui rollback --resume`).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.notifications import SeverityLevel
from textual.reactive import var
from textual.widgets import OptionList, Static

from attribtui.infra import clock
from attribtui.infra.api import V2Client
from attribtui.infra.db import Database
from attribtui.services import rollback as rb
from attribtui.services.jobs import preflight
from attribtui.vocab import StepStatus
from screens.base import ConsoleScreen, describe_error
from screens.components.confirm import ActionConfirmScreen, ConfirmScreen, if_yes
from screens.rollback.backends import Backends
from screens.rollback.detail import StepDetail, StepList, walkthrough_summary
from screens.rollback.dialogs import NewWalkthroughScreen, SkipScreen
from screens.rollback.keys import key_state
from screens.rollback.messages import (
    GuardDeleted,
    IncidentSuggested,
    RollbackFailed,
    StepPlanned,
    StepProgress,
    StepRan,
    WalkthroughLoaded,
)
from screens.rollback.purge import PurgeScreen


class RollbackScreen(ConsoleScreen):
    SCREEN_TITLE = "Rollback"
    BINDINGS = [
        Binding("n", "new", "New"),
        Binding("g", "run_step", "Run step"),
        # Shown only when they apply, and then first: a narrow footer drops the last keys.
        Binding("d", "delete_guard", "Delete guard row"),
        Binding("a", "accept", "Accept difference"),
        Binding("s", "skip_step", "Skip step"),
        Binding("p", "replan", "Re-plan"),
        Binding("e", "extend_window", "Extend window"),
        Binding("l", "reload", "Reload"),
        Binding("x", "abandon", "Abandon"),
        Binding("u", "purge", "Purge"),
        Binding("q", "quit_walkthrough", "Quit"),  # says how to resume first
    ]

    # The walkthrough changes in place (its steps), so every assignment refreshes the bindings.
    state: var[rb.Walkthrough | None] = var(None, always_update=True, bindings=True)
    plan: var[rb.StepPlan | None] = var(None, always_update=True, bindings=True)
    selected: var[str | None] = var(None, bindings=True)  # the step in the detail pane
    busy: var[bool] = var(False, bindings=True)  # a step is running

    def __init__(self) -> None:
        super().__init__()
        self._backends: Backends | None = None  # opened with the profile once mounted

    def compose_body(self) -> ComposeResult:
        yield Static("", id="rb-summary")
        with Horizontal(id="rb-body"):
            yield StepList()
            yield StepDetail()

    @property
    def detail(self) -> StepDetail:
        return self.query_one(StepDetail)

    def on_mount(self) -> None:
        self._backends = Backends(self.profile)
        self._summary("Looking for an active walkthrough…")
        self._load(self.console.start.rollback_id)

    # -- backends and workers --------------------------------------------------------------------

    def _open(self) -> tuple[Database | None, V2Client | None]:
        """The profile's Database and V2Client (call it in a worker: it may connect)."""
        assert self._backends is not None
        return self._backends.get()

    def _error(self, e: Exception) -> str:
        return describe_error(e, (rb.RollbackError,), self.profile)

    @work(thread=True, exclusive=True, group="rollback-load", name="load walkthrough")
    def _load(self, rollback_id: str | None) -> None:
        try:
            state = (rb.load_state(rollback_id) if rollback_id
                     else rb.latest_active(self.profile.name))
            notes = rb.resume(self.profile, state) if state else []
        except Exception as e:  # noqa: BLE001 - shown, and the console keeps running
            self.post_message(RollbackFailed(self._error(e)))
            return
        self.post_message(WalkthroughLoaded(state, notes))

    @on(WalkthroughLoaded)
    def _loaded(self, message: WalkthroughLoaded) -> None:
        state = self.state = message.state
        self.console.active_rollback = state  # ctrl+r reports it
        for note in message.notes:
            self.notify(note, title="Resumed", timeout=10)
        if state is None:
            self._summary("No active walkthrough. n starts one for an incident: the bad model, "
                          "the mitigation, the affected conversions.")
            self.query_one(StepList).clear_options()
            self.detail.show_text("", "", "")
            return
        self._advance()
        running = next((s for s in state.steps if s.status == StepStatus.RUNNING and s.job_id),
                       None)
        if running:
            self.detail.follow(self.profile, state, running.id)

    @on(RollbackFailed)
    def _failed(self, message: RollbackFailed) -> None:
        self.busy = False
        self.notify(message.message, severity="error", timeout=15)

    @work(thread=True, exclusive=True, group="rollback-plan", name="plan step")
    def _plan(self, state: rb.Walkthrough, step_id: str) -> None:
        try:
            db, client = self._open()
            p = rb.plan(self.profile, state, step_id, db=db, client=client)
        except Exception as e:  # noqa: BLE001
            p = rb.StepPlan(step_id, refused=self._error(e))
        self.post_message(StepPlanned(p))

    @on(StepPlanned)
    def _planned(self, message: StepPlanned) -> None:
        if message.plan.step != self.selected:
            return
        self.plan = message.plan
        self._show_step()

    @work(thread=True, exclusive=True, group="rollback-step", name="rollback step")
    def _run(self, state: rb.Walkthrough, p: rb.StepPlan) -> None:
        def progress(stage: str, fraction: float) -> None:
            self.post_message(StepProgress(f"{stage} {fraction:.0%}"))

        try:
            db, client = self._open()
            step = rb.run(self.profile, state, p, db=db, client=client, progress=progress)
        except Exception as e:  # noqa: BLE001
            self.post_message(RollbackFailed(self._error(e)))
            return
        self.post_message(StepRan(step))

    @on(StepRan)
    def _ran(self, message: StepRan) -> None:
        step = message.step
        self.busy = False
        self.detail.set_progress("")
        word: SeverityLevel = "information" if step.status in ("done", "running") else "warning"
        self.notify(f"{step.id}: {step.status.symbol} {step.status}"
                    + (f" — {step.result}" if step.result else ""), severity=word, timeout=10)
        if step.id == "report" and step.details.get("markdown"):
            with contextlib.suppress(OSError):  # OSC 52; the path is shown as well
                self.app.copy_to_clipboard(Path(step.details["markdown"]).read_text())
        if step.status == StepStatus.RUNNING and step.job_id and self.state is not None:
            self._fill_steps(step.id)
            self.detail.follow(self.profile, self.state, step.id)
            return
        self._advance()

    def _advance(self) -> None:
        if self.state is not None:
            cur = self.state.current
            self._fill_steps(cur.id if cur else self.state.steps[-1].id)

    def cancel_work(self) -> None:
        """Stop following; the job itself goes on and is re-attached on resume."""
        for detail in self.query(StepDetail):  # gone already when the screen unmounts
            detail.stop_following()

    def on_unmount(self) -> None:
        if self._backends is not None:
            self._backends.close()

    # -- showing ---------------------------------------------------------------------------------

    def _summary(self, text: str) -> None:
        self.query_one("#rb-summary", Static).update(Text(text))

    def _fill_steps(self, select: str) -> None:
        assert self.state is not None
        self._summary(walkthrough_summary(self.state, self.profile.read_only))
        self.query_one(StepList).fill(self.state, select)
        self._select(select)

    @on(OptionList.OptionHighlighted, "#rb-steps")
    def _on_highlight(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id != self.selected:
            self._select(event.option.id)

    def _select(self, step_id: str) -> None:
        self.selected = step_id
        self.plan = None
        self._show_step()
        step = self.state.step(step_id) if self.state else None
        if self.state is not None and step is not None and step.status not in (
                "done", "skipped", "running"):
            self._plan(self.state, step_id)

    def _show_step(self) -> None:
        if self.state is not None and self.selected is not None:
            self.detail.show_step(self.state.step(self.selected), self.plan)

    @on(StepProgress)
    def _step_progress(self, message: StepProgress) -> None:
        self.detail.set_progress(message.text)

    # -- actions ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return key_state(action, self.state, self.selected, self.plan, busy=self.busy,
                         read_only=self.profile.read_only)

    def action_purge(self) -> None:
        self.app.push_screen(PurgeScreen(self.profile))

    def action_new(self) -> None:
        if self.state is not None and self.state.active:
            self.notify("A walkthrough is active: finish or skip its steps first.",
                        severity="warning")
            return
        self._suggest(self.profile.api.user_id)

    @work(thread=True, exclusive=True, group="rollback-suggest", name="suggest incident")
    def _suggest(self, user: int | None) -> None:
        """The form's starting values (the saved check run, the audit trail): read in a worker."""
        try:
            db, _client = self._open()
            suggestion = rb.suggest(self.profile.name, db, user)
        except Exception as e:  # noqa: BLE001 - the form opens anyway, without suggestions
            suggestion = rb.Suggestion(hints=[f"no suggestions: {self._error(e)}"])
        self.post_message(IncidentSuggested(user, suggestion))

    @on(IncidentSuggested)
    def _open_form(self, message: IncidentSuggested) -> None:
        def started(inc: rb.Incident | None) -> None:
            if inc is None:
                return
            try:
                state = rb.new(self.profile, inc)
            except rb.RollbackError as e:
                self.notify(str(e), severity="error", timeout=15)
                return
            self.post_message(WalkthroughLoaded(state, []))

        self.app.push_screen(NewWalkthroughScreen(message.user, message.suggestion), started)

    def action_run_step(self) -> None:
        p, state = self.plan, self.state
        if p is None or state is None:
            return
        if p.refused:
            self.notify(f"Cannot run: {p.refused}", severity="error", timeout=15)
            return

        def go(yes: bool | None) -> None:
            if yes:
                self.busy = True
                self.detail.set_progress("running…")
                self._run(state, p)

        if p.action is not None and not p.noop:
            self.app.push_screen(ActionConfirmScreen(self.profile, p.action), go)
        else:
            go(True)

    def action_skip_step(self) -> None:
        if self.state is None or self.selected is None:
            return
        step = self.state.step(self.selected)

        def skipped(reason: str | None) -> None:
            if not reason or self.state is None:
                return
            try:
                rb.skip(self.profile, self.state, step.id, reason)
            except rb.RollbackError as e:
                self.notify(str(e), severity="error")
                return
            self._advance()

        self.app.push_screen(SkipScreen(step), skipped)

    def action_accept(self) -> None:
        """Accept what a failed verify found, with a reason (recorded, in the report)."""
        if self.state is None:
            return
        state, step = self.state, self.state.step("verify")

        def accepted(reason: str | None) -> None:
            if not reason:
                return
            try:
                rb.accept(self.profile, state, step.id, reason)
            except rb.RollbackError as e:
                self.notify(str(e), severity="error")
                return
            self._advance()

        self.app.push_screen(SkipScreen(step, "Accept the difference verify found", yes="Accept",
                                        placeholder="(why it is acceptable, e.g. the 7 failures "
                                        "predate the incident)"), accepted)

    async def action_quit_walkthrough(self) -> None:
        """Quitting mid-walkthrough loses nothing: say how to come back, then quit."""
        wt = self.state
        if wt is None or not wt.active:
            await self.console.action_quit()
            return
        cur = wt.current
        at = f"step {cur.number} {cur.id}" if cur else "its last step"
        body = (f"Walkthrough {wt.id} is saved at {at}; running jobs go on.\nResume it with 5 "
                f"in the console, or: attribtui rollback --resume {wt.id}")

        async def answer(yes: bool | None) -> None:
            if yes:
                await self.console.action_quit()

        await self.app.push_screen(ConfirmScreen("Quit mid-walkthrough?", body, yes="Quit",
                                                 no="Stay"), answer)

    def action_abandon(self) -> None:
        if self.state is None:
            return
        state = self.state

        def abandoned(reason: str | None) -> None:
            if not reason:
                return
            try:
                rb.abandon(self.profile, state, reason)
            except rb.RollbackError as e:
                self.notify(str(e), severity="error")
                return
            self.notify(f"Walkthrough {state.id} abandoned; n starts a new one")
            self.post_message(WalkthroughLoaded(None, []))

        self.app.push_screen(SkipScreen(state.current or state.steps[-1],
                                        f"Abandon walkthrough {state.id}", yes="Abandon",
                                        placeholder="(e.g. handled by hand; restarting the drill)"),
                             abandoned)

    def action_replan(self) -> None:
        if self.selected:
            self._select(self.selected)

    def action_reload(self) -> None:
        self._load(self.state.id if self.state else None)

    def action_delete_guard(self) -> None:
        p = self.plan
        if p is None or not p.guard_hours:
            return
        hour = p.guard_hours[0]
        self.app.push_screen(ActionConfirmScreen(self.profile, preflight.guard_delete_plan(hour)),
                             if_yes(lambda: self._delete_guard(hour)))

    @work(thread=True, exclusive=True, group="rollback-guard", name="delete guard row")
    def _delete_guard(self, hour: int) -> None:
        assert self.state is not None
        try:
            db, _ = self._open()
            n = rb.delete_guard(self.profile, self.state, hour, db)
        except Exception as e:  # noqa: BLE001
            self.post_message(RollbackFailed(self._error(e)))
            return
        self.post_message(GuardDeleted(n, hour))

    @on(GuardDeleted)
    def _guard_deleted(self, message: GuardDeleted) -> None:
        self.notify(f"Deleted {message.rows} guard row(s) for {clock.iso(message.hour)}")
        self.action_replan()

    def action_extend_window(self) -> None:
        p = self.plan
        if p is None or not p.alternatives or self.state is None:
            return
        start, end = p.alternatives[0]

        def go(yes: bool | None) -> None:
            if yes and self.state is not None:
                rb.choose_rebuild_window(self.state, start, end)
                self.action_replan()

        self.app.push_screen(ConfirmScreen(
            "Extend the rebuild window?",
            f"Rebuild {clock.iso(start)} .. {clock.iso(end)}: one more hour, so --end falls in an "
            "hour the guard has not seen.", yes="Extend", no="Keep"), go)
