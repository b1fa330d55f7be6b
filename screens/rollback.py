"""Rollback (key 5): the guided walkthrough of runbook section 6, step by step, resumable.

The left list shows every step with its status as a symbol and a word; the right side shows the
selected step's plan (what it will do), its result or skip reason, and the live output of its
job (backfill, rebuild), followed in a worker in batches. `g` runs the current step after the
confirmation, `s` skips it with a reason. The state lives in attribtui.rollback, saved after
every step: quitting, or losing SSH, loses nothing; the latest active walkthrough opens again
here (and with `attribtui rollback --resume`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Footer, Input, Label, OptionList, RichLog, Select, Static
from textual.widgets.option_list import Option

from attribtui.infra import clock
from attribtui.infra.redact import redact_text
from attribtui.services import rollback as rb
from attribtui.vocab import StepStatus
from screens.confirm import ActionConfirmScreen, ConfirmScreen
from screens.header import ShellHeader
from screens.registry import PaletteCommand, ScreenSpec

LOG_LINES = 400


def step_label(step: rb.Step, current: bool) -> Text:
    mark = "›" if current else " "
    return Text(f"{mark}{step.status.symbol} {step.number:<3}{step.id:<9}{step.status}")


# -- modals ---------------------------------------------------------------------------------------


class NewWalkthroughScreen(ModalScreen["rb.Incident | None"]):
    """The incident: user, bad model, mitigation, and the conversions (ids or a window)."""

    CSS_PATH = "rollback.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, user_id: int | None, suggested: list[int]) -> None:
        super().__init__()
        self.user_id, self.suggested = user_id, suggested

    def compose(self) -> ComposeResult:
        with Vertical(id="new-box", classes="dialog"):
            yield Label("New rollback walkthrough", classes="dialog-title")
            for fid, label, value, hint in (
                ("user", "User", str(self.user_id or ""), "user_id of the incident"),
                ("model", "Bad model", "", "model_id to take out of use"),
                ("safe", "Safe model", "", "the new default (needed if the bad one is default)"),
                ("convs", "conv_ids", ", ".join(map(str, self.suggested)),
                 "affected conv_ids, or leave empty and give a window"),
                ("start", "From", "", "window start: ISO-8601 UTC or epoch"),
                ("end", "To", "", "window end"),
                ("note", "Note", "", "what happened (goes in the report)"),
            ):
                with Horizontal(classes="form-row"):
                    yield Label(label, classes="lbl")
                    yield Input(value, placeholder=hint, id=f"f-{fid}", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("Mitigation", classes="lbl")
                yield Select([("deactivate the bad model", "deactivate"),
                              ("make the safe model the default", "set-default"),
                              ("none (already mitigated)", "none")],
                             value="deactivate", allow_blank=False, id="f-mitigation",
                             compact=True)
            if self.suggested:
                yield Static(f"conv_ids prefilled from the latest check run's broken journeys "
                             f"({len(self.suggested)}).", classes="hint")
            yield Static("", id="new-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Start", id="start", variant="primary")
                yield Button("Cancel [esc]", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#f-model" if self.user_id else "#f-user", Input).focus()

    def _value(self, fid: str) -> str:
        return self.query_one(f"#f-{fid}", Input).value.strip()

    def _incident(self) -> rb.Incident:
        from attribtui.services.journeys import parse_conv_ids

        def number(fid: str, what: str) -> int | None:
            text = self._value(fid)
            if not text:
                return None
            if not text.isdigit():
                raise rb.RollbackError(f"{what}: '{text[:20]}' is not an id; give a number")
            return int(text)

        try:
            ids = parse_conv_ids(self._value("convs")) if self._value("convs") else []
            start = clock.parse_when(self._value("start")) if self._value("start") else None
            end = clock.parse_when(self._value("end")) if self._value("end") else None
        except ValueError as e:
            raise rb.RollbackError(str(e)) from None
        inc = rb.Incident(user_id=number("user", "user") or 0, model_id=number("model", "bad model"),
                          mitigation=str(self.query_one("#f-mitigation", Select).value),
                          safe_model_id=number("safe", "safe model"), conv_ids=ids, start=start,
                          end=end, note=self._value("note"))
        inc.check()
        return inc

    def _submit(self) -> None:
        try:
            self.dismiss(self._incident())
        except rb.RollbackError as e:
            self.query_one("#new-error", Static).update(Text(f"✘ {e}"))

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "start":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SkipScreen(ModalScreen[str | None]):
    """Skip a step: the reason is required (it goes in the incident report)."""

    CSS_PATH = "rollback.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, step: rb.Step, title: str | None = None) -> None:
        super().__init__()
        self.step = step
        self.title_text = title or f"Skip step {step.number} {step.id}"

    def compose(self) -> ComposeResult:
        with Vertical(id="skip-box", classes="dialog"):
            yield Label(self.title_text, classes="dialog-title")
            yield Label("Why? (goes in the incident report)")
            yield Input(placeholder="e.g. done by hand in the Prosper202 UI", id="skip-reason")
            yield Static("", id="skip-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Skip", id="skip", variant="warning")
                yield Button("Cancel [esc]", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#skip-reason", Input).focus()

    def _submit(self) -> None:
        reason = self.query_one("#skip-reason", Input).value.strip()
        if not reason:
            self.query_one("#skip-error", Static).update("✘ a reason is required")
            return
        self.dismiss(reason)

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "skip":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- the screen -----------------------------------------------------------------------------------


class RollbackScreen(Screen[None]):
    SCREEN_TITLE = "Rollback"
    CSS_PATH = "rollback.tcss"
    BINDINGS = [
        Binding("n", "new", "New"),
        Binding("g", "run_step", "Run step"),
        Binding("s", "skip_step", "Skip step"),
        Binding("p", "replan", "Re-plan"),
        Binding("d", "delete_guard", "Delete guard row"),
        Binding("e", "extend_window", "Extend window"),
        Binding("l", "reload", "Reload"),
        Binding("x", "abandon", "Abandon"),
        Binding("u", "purge", "Purge"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.state: rb.Walkthrough | None = None
        self.plan: rb.StepPlan | None = None
        self.selected: str | None = None
        self.busy = False
        self._backends: tuple[Any, Any] | None = None
        self._follower: Any = None
        self._progress = ""

    @property
    def profile(self) -> Any:
        return self.app.profile  # type: ignore[attr-defined]

    def compose(self) -> ComposeResult:
        yield ShellHeader()
        yield Static("", id="rb-summary")
        with Horizontal(id="rb-body"):
            yield OptionList(id="rb-steps")
            with VerticalScroll(id="rb-detail"):
                yield Static("", id="rb-head")
                yield Static("", id="rb-plan")
                yield Static("", id="rb-result")
                yield Static("", id="rb-progress")
                yield RichLog(id="rb-log", max_lines=LOG_LINES, wrap=False, markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#rb-log").display = False
        self._summary("Looking for an active walkthrough…")
        self._load(self.app.start.rollback_id)  # type: ignore[attr-defined]

    # -- backends and workers --------------------------------------------------------------------

    def _open(self) -> tuple[Any, Any]:
        """The profile's Database and V2Client, opened once, in a worker thread."""
        if self._backends is None:
            self._backends = rb.open_backends(self.profile)
        return self._backends

    def _call(self, fn: Callable[..., Any], *args: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the app is shutting down
            self.app.call_from_thread(fn, *args)

    def _error(self, e: Exception) -> str:
        text = str(e) if isinstance(e, rb.RollbackError) else f"{type(e).__name__}: {e}"
        return redact_text(text, self.profile.secrets())

    @work(thread=True, exclusive=True, group="rollback-load", name="load walkthrough")
    def _load(self, rollback_id: str | None) -> None:
        try:
            state = (rb.load_state(rollback_id) if rollback_id
                     else rb.latest_active(self.profile.name))
            notes = rb.resume(self.profile, state) if state else []
        except Exception as e:  # noqa: BLE001 - shown, and the console keeps running
            self._call(self._failed, self._error(e))
            return
        self._call(self._loaded, state, notes)

    def _loaded(self, state: rb.Walkthrough | None, notes: list[str]) -> None:
        self.state = state
        self.app.active_rollback = state  # type: ignore[attr-defined]  # ctrl+r reports it
        for note in notes:
            self.notify(note, title="Resumed", timeout=10)
        if state is None:
            self._summary("No active walkthrough. n starts one for an incident: the bad model, "
                          "the mitigation, the affected conversions.")
            self.query_one("#rb-steps", OptionList).clear_options()
            self._detail_text("", "", "")
            return
        cur = state.current
        self._fill_steps(cur.id if cur else state.steps[-1].id)
        running = next((s for s in state.steps if s.status == StepStatus.RUNNING and s.job_id),
                       None)
        if running:
            self._follow(running.id)

    def _failed(self, message: str) -> None:
        self.busy = False
        self.notify(message, severity="error", timeout=15)
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="rollback-plan", name="plan step")
    def _plan(self, step_id: str) -> None:
        assert self.state is not None
        try:
            db, client = self._open()
            p = rb.plan(self.profile, self.state, step_id, db=db, client=client)
        except Exception as e:  # noqa: BLE001
            p = rb.StepPlan(step_id, refused=self._error(e))
        self._call(self._planned, p)

    def _planned(self, p: rb.StepPlan) -> None:
        if p.step != self.selected:
            return
        self.plan = p
        self._show_step()
        self.refresh_bindings()

    @work(thread=True, exclusive=True, group="rollback-step", name="rollback step")
    def _run(self, p: rb.StepPlan) -> None:
        assert self.state is not None

        def progress(stage: str, fraction: float) -> None:
            self._call(self._set_progress, f"{stage} {fraction:.0%}")

        try:
            db, client = self._open()
            step = rb.run(self.profile, self.state, p, db=db, client=client, progress=progress)
        except Exception as e:  # noqa: BLE001
            self._call(self._failed, self._error(e))
            return
        self._call(self._ran, step)

    def _ran(self, step: rb.Step) -> None:
        self.busy = False
        self._set_progress("")
        word = {"done": "information", "running": "information"}.get(step.status, "warning")
        self.notify(f"{step.id}: {step.status.symbol} {step.status}"
                    + (f" — {step.result}" if step.result else ""),
                    severity=word, timeout=10)  # type: ignore[arg-type]
        if step.id == "report" and step.details.get("markdown"):
            with contextlib.suppress(OSError):  # OSC 52; the path is shown as well
                self.app.copy_to_clipboard(Path(step.details["markdown"]).read_text())
        if step.status == StepStatus.RUNNING and step.job_id:
            self._fill_steps(step.id)
            self._follow(step.id)
            return
        self._advance()

    def _advance(self) -> None:
        assert self.state is not None
        cur = self.state.current
        self._fill_steps(cur.id if cur else self.state.steps[-1].id)

    @work(thread=True, exclusive=True, group="rollback-follow", name="follow job")
    def _follow(self, step_id: str) -> None:
        """Tail the step's job in batches (the runner's follower) and settle it at the end."""
        from attribtui.services.jobs import runner

        assert self.state is not None
        rec = rb.job_of(self.state, step_id)
        if rec is None:
            return
        self._call(self._log_start, step_id, rec.id)

        def on_batch(lines: list[Any], snap: Any) -> None:
            text = "\n".join(e.text for e in lines[-LOG_LINES:])
            self._call(self._log_batch, step_id, text, runner.describe_snapshot(snap))

        self._follower = runner.Follower(rec, on_batch).start()
        self._follower.finished.wait()
        self._follower = None
        final = rb.job_of(self.state, step_id)
        if final is None or final.running:  # stopped following (quit): the job goes on
            return
        try:
            step = rb.settle_job(self.profile, self.state, step_id)
        except Exception as e:  # noqa: BLE001
            self._call(self._failed, self._error(e))
            return
        self._call(self._ran, step)

    def cancel_work(self) -> None:
        """On quit: stop following; the job itself goes on and is re-attached on resume."""
        if self._follower is not None:
            self._follower.stop()

    def on_unmount(self) -> None:
        self.cancel_work()
        if self._backends is not None:
            db, client = self._backends
            if db is not None:
                db.close()
            if client is not None:
                client.close()

    # -- showing ---------------------------------------------------------------------------------

    def _summary(self, text: str) -> None:
        self.query_one("#rb-summary", Static).update(Text(text))

    def _fill_steps(self, select: str) -> None:
        assert self.state is not None
        s = self.state
        inc = s.incident
        ro = " · READ-ONLY: mutating steps unavailable" if self.profile.read_only else ""
        self._summary(f"{s.id} · {s.status} · {inc.describe()} · mitigation "
                      f"{inc.mitigation}{ro}")
        cur = s.current
        ol = self.query_one("#rb-steps", OptionList)
        ol.clear_options()
        ol.add_options([Option(step_label(st, cur is not None and st.id == cur.id), id=st.id)
                        for st in s.steps])
        ol.highlighted = rb.STEP_IDS.index(select)
        ol.focus()
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
        if step is not None and step.status not in ("done", "skipped", "running"):
            self._plan(step_id)
        self.refresh_bindings()

    def _show_step(self) -> None:
        if self.state is None or self.selected is None:
            return
        step = self.state.step(self.selected)
        head = (f"{step.number} {step.title}\n{step.status.symbol} {step.status}"
                + (f" · ended {step.ended_at_iso}" if step.ended_at_iso else ""))
        lines: list[str] = []
        if step.status not in ("done", "skipped", "running"):
            if self.plan is None or self.plan.step != step.id:
                lines.append("Planning…")
            else:
                p = self.plan
                if p.refused:
                    lines.append(f"✘ Cannot run: {p.refused}")
                if p.noop:
                    lines.append(f"ℹ Nothing to do: {p.noop} (g records it)")
                lines += p.lines
                if p.guard_hours:
                    lines.append("d deletes the guard row (confirmed)"
                                 + (", e extends the window by an hour" if p.alternatives else ""))
                if not p.refused:
                    lines.append("g runs it" + (" after the confirmation" if p.action else "")
                                 + "; s skips it with a reason")
        result = self._result_text(step)
        self._detail_text(head, "\n".join(lines), result)
        is_job = step.id in rb.JOB_STEPS and step.job_id
        self.query_one("#rb-log").display = bool(is_job)

    def _result_text(self, step: rb.Step) -> str:
        out = []
        if step.result:
            out.append(f"Result: {step.result}")
        if step.reason:
            out.append(f"Reason: {step.reason}")
        d = step.details
        if step.id == "purge" and d.get("backup"):
            out.append(f"Backup: {d['backup']} (`attribtui purge restore FILE` puts it back)")
            out += [f"Next: backfill user {a['user_id']} {clock.iso(a['start'])} .. "
                    f"{clock.iso(a['end'])} (step 2b)" for a in d.get("affected", [])]
        if d.get("job_id"):
            out.append(f"Job {d['job_id']}: {d.get('command', '')}")
            out.append(f"Logs: {d.get('stdout_log')} / {d.get('stderr_log')}")
        out += d.get("checks_not_ok", [])[:8]
        out += d.get("journey_problems", [])[:8]
        if step.id == "audit" and step.status == StepStatus.DONE and "audit" in d:
            out += ["Audit rows:", *(d.get("audit") or ["(none)"])[-15:], "Console actions:",
                    *(d.get("actions") or ["(none)"])[-15:]]
        return "\n".join(out)

    def _detail_text(self, head: str, plan: str, result: str) -> None:
        self.query_one("#rb-head", Static).update(Text(head, style="bold"))
        self.query_one("#rb-plan", Static).update(Text(plan))
        self.query_one("#rb-result", Static).update(Text(result))

    def _set_progress(self, text: str) -> None:
        self._progress = text
        self.query_one("#rb-progress", Static).update(Text(text))

    def _log_start(self, step_id: str, job_id: str) -> None:
        log = self.query_one("#rb-log", RichLog)
        log.clear()
        log.display = self.selected == step_id
        self._set_progress(f"following job {job_id}…")

    def _log_batch(self, step_id: str, text: str, progress: str) -> None:
        if text:
            self.query_one("#rb-log", RichLog).write(text)
        self._set_progress(progress)

    # -- actions ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        step = self.state.step(self.selected) if self.state and self.selected else None
        if action in ("run_step", "skip_step", "replan"):
            if step is None or self.state is None or not self.state.active:
                return False
            cur = self.state.current
            if cur is None or cur.id != step.id or step.status == StepStatus.RUNNING or self.busy:
                return None
            if action == "run_step" and (self.plan is None or self.plan.refused):
                return None
            return True
        if action in ("delete_guard", "extend_window"):
            p = self.plan
            if p is None or not p.guard_hours or self.profile.read_only:
                return False
            return bool(action == "delete_guard" or p.alternatives)
        if action == "abandon":
            return self.state is not None and self.state.active and not self.busy
        if action == "new":
            return None if self.state is not None and self.state.active else True
        return True

    def action_purge(self) -> None:
        from screens.purge_dialog import PurgeScreen

        self.app.push_screen(PurgeScreen())

    def action_new(self) -> None:
        if self.state is not None and self.state.active:
            self.notify("A walkthrough is active: finish or skip its steps first.",
                        severity="warning")
            return
        from attribtui.services import rollback

        user = self.profile.api.user_id
        suggested = rollback.suggest_conv_ids(self.profile.name, user)

        def started(inc: rb.Incident | None) -> None:
            if inc is None:
                return
            try:
                state = rb.new(self.profile, inc)
            except rb.RollbackError as e:
                self.notify(str(e), severity="error", timeout=15)
                return
            self._loaded(state, [])

        self.app.push_screen(NewWalkthroughScreen(user, suggested), started)

    def action_run_step(self) -> None:
        p = self.plan
        if p is None or self.state is None:
            return
        if p.refused:
            self.notify(f"Cannot run: {p.refused}", severity="error", timeout=15)
            return

        def go(yes: bool | None) -> None:
            if yes:
                self.busy = True
                self._set_progress("running…")
                self.refresh_bindings()
                self._run(p)

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
            self._loaded(None, [])

        self.app.push_screen(SkipScreen(state.current or state.steps[-1],
                                        f"Abandon walkthrough {state.id}"), abandoned)

    def action_replan(self) -> None:
        if self.selected:
            self._select(self.selected)

    def action_reload(self) -> None:
        self._load(self.state.id if self.state else None)

    def action_delete_guard(self) -> None:
        from attribtui.services.jobs import preflight

        p = self.plan
        if p is None or not p.guard_hours:
            return
        hour = p.guard_hours[0]

        def go(yes: bool | None) -> None:
            if yes:
                self._delete_guard(hour)

        self.app.push_screen(ActionConfirmScreen(self.profile, preflight.guard_delete_plan(hour)), go)

    @work(thread=True, exclusive=True, group="rollback-guard", name="delete guard row")
    def _delete_guard(self, hour: int) -> None:
        assert self.state is not None
        try:
            db, _ = self._open()
            n = rb.delete_guard(self.profile, self.state, hour, db)
        except Exception as e:  # noqa: BLE001
            self._call(self._failed, self._error(e))
            return
        self._call(self.notify, f"Deleted {n} guard row(s) for {clock.iso(hour)}")
        self._call(self.action_replan)

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


SCREEN = ScreenSpec(
    key="5", name="rollback", title="Rollback", factory=RollbackScreen,
    help="Guided rollback: mitigate, purge, backfill, rebuild, verify, audit, report",
    commands=(PaletteCommand("New rollback walkthrough", "Start the guided rollback of an incident",
                             "new"),
              PaletteCommand("Run the current rollback step", "Plan shown first, then confirmed",
                             "run_step"),
              PaletteCommand("Reload the rollback walkthrough", "Re-read it from disk",
                             "reload"),
              PaletteCommand("Purge journeys (with backup)",
                             "Dry run, then delete touchpoints after a backup", "purge")),
)
