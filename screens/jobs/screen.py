"""Jobs (key 4): launch rebuild and backfill jobs, watch them live, cancel, browse the history.

The job runs detached (attribtui/services/jobs): quitting the console stops only the following,
never the job, and the next console re-attaches to it. Lines arrive in batches from the follower
thread (about 20 a second) as `JobOutput` messages.
"""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.reactive import var
from textual.widgets import (
    Button,
    Checkbox,
    Input,
    Select,
    Static,
    TabbedContent,
    TabPane,
)
from textual.widgets.select import InvalidSelectValueError

from attribtui.infra import clock
from attribtui.infra.db import DbError
from attribtui.prosper import hours
from attribtui.services.jobs import guard, parse, preflight, runner, store
from attribtui.services.jobs.command import JobRequest
from screens.base import ConsoleScreen
from screens.components.confirm import ActionConfirmScreen, if_yes
from screens.components.goto import PrefillJob
from screens.components.job_output import JobOutput, JobOutputPoster
from screens.jobs.history import JobHistory
from screens.jobs.launch import LaunchForm, banner_notes, launch_plan
from screens.jobs.live import LiveLog, cancel_plan, cancel_refusal
from screens.jobs.messages import (
    GuardRowDeleted,
    HistoryLoaded,
    JobStarted,
    PreflightDone,
    UsersFailed,
)


def preflight_refusal(pf: preflight.Preflight | None) -> str:
    """Why a launch stops at the pre-flight, in one line."""
    errors = [f.text for f in pf.findings if f.level == "error"] if pf else []
    if not errors:
        return "the pre-flight did not finish; press L again"
    more = f" (and {len(errors) - 1} more on the Launch tab)" if len(errors) > 1 else ""
    return f"{errors[0]}{more}; nothing was started"


RING = 5000  # recent lines kept for re-filtering
VERIFIED = ("succeeded", "skipped", "suspicious", "failed", "cancelled")  # rebuilds re-read after


class JobsScreen(ConsoleScreen):
    SCREEN_TITLE = "Jobs"
    BINDINGS = [
        Binding("p", "preflight", "Pre-flight"),
        Binding("L", "launch", "Launch"),
        Binding("x", "cancel_job", "Cancel job"),
        Binding("a", "align", "Align hours", show=False),
        Binding("k", "toggle_chunks", "Chunk 24h", show=False),
        Binding("d", "delete_guard", "Delete guard row", show=False),  # d on Rollback too
        Binding("f", "toggle_follow", "Follow", show=False),
        Binding("N", "toggle_noise", "Show or fold known PHP noise", show=False),
        Binding("h", "tab('history')", "History"),
        Binding("v", "tab('live')", "Live", show=False),
        Binding("n", "tab('launch')", "New job", show=False),
        Binding("r", "refresh_history", "Refresh", show=False),
    ]

    pf: var[preflight.Preflight | None] = var(None, bindings=True)  # of the form as it is
    job: var[store.JobRecord | None] = var(None, bindings=True)  # the job in the Live tab

    def __init__(self) -> None:
        super().__init__()
        self.req: JobRequest | None = None  # the form's request; None while it has an error
        self.pf_fresh = False  # pf was made for this launch (never launch on an old one)
        self.follower: runner.Follower | None = None
        self._poster: JobOutputPoster | None = None
        self.ring: deque[parse.LineEvent] = deque(maxlen=RING)
        self.lines_seen = 0
        self.noise_folded = 0  # known noise lines of the followed job (all of them, not the ring's)
        self.history: list[store.JobRecord] = []

    # -- layout ----------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static("", id="jobs-banner")
        with TabbedContent(initial="launch", id="jobs-tabs"):
            with TabPane("Launch", id="launch"):
                yield LaunchForm()
            with TabPane("Live", id="live"):
                yield LiveLog()
            with TabPane("History", id="history"):
                yield JobHistory()

    @property
    def form(self) -> LaunchForm:
        return self.query_one(LaunchForm)

    @property
    def live(self) -> LiveLog:
        return self.query_one(LiveLog)

    def on_mount(self) -> None:
        notes = banner_notes(self.profile)
        banner = self.query_one("#jobs-banner", Static)
        banner.update(Text(" · ".join(notes)))
        banner.display = bool(notes)
        self.query_one("#btn-launch", Button).disabled = self.profile.read_only
        self.console.when_ready(self._load)

    def _load(self) -> None:
        self.form.load_users(self.profile)
        self._load_history(reattach=True)

    def cancel_work(self) -> None:
        """Stop following. The job itself goes on (and is re-attached next time)."""
        if self.follower is not None:
            self.follower.stop()

    def on_unmount(self) -> None:
        self.cancel_work()

    # -- the form --------------------------------------------------------------------------------

    @on(Select.Changed, "#window")
    def _window_changed(self, event: Select.Changed) -> None:
        if event.value not in (Select.BLANK, "custom"):
            self.form.set_window(int(str(event.value)))

    @on(Select.Changed, "#kind")
    @on(Select.Changed, "#user")
    @on(Input.Changed, "#start")
    @on(Input.Changed, "#end")
    @on(Input.Changed, "#batch")
    def _form_changed(self) -> None:
        self.pf = None
        self.req = self.form.changed(self.profile)

    @on(Checkbox.Changed, "#chunks")
    def _chunks_changed(self, event: Checkbox.Changed) -> None:
        self.form.chunk = event.value
        self._form_changed()

    @on(PrefillJob)
    def _prefill(self, message: PrefillJob) -> None:
        """A fix from Schema Health: the form set to its request, then its pre-flight (never a
        launch). Waits for the user list (loading it would reset the user) for a few frames."""
        req, form = message.request, self.form
        users = form.query_one("#user", Select)
        try:
            users.value = "all" if req.user is None else str(req.user)
        except InvalidSelectValueError:
            if message.attempts < 120:
                message.attempts += 1
                self.call_after_refresh(self.post_message, message)
                return
            self.notify(f"User {req.user} is not among the users: pick one and press p.",
                        severity="warning")
        form.query_one("#kind", Select).value = req.kind
        form.set_span(req.start, req.end)
        form.query_one("#chunks", Checkbox).value = form.chunk = bool(req.chunk)
        self.query_one("#jobs-tabs", TabbedContent).active = "launch"
        self.call_after_refresh(self.action_preflight)  # after the form's change events

    def action_align(self) -> None:
        if self.req is not None:
            self.form.set_span(*hours.aligned(self.req.start, self.req.end))

    def action_toggle_chunks(self) -> None:
        self.form.toggle_chunks()

    # -- users and history -----------------------------------------------------------------------

    @on(UsersFailed)
    def _banner_error(self, message: UsersFailed) -> None:
        banner = self.query_one("#jobs-banner", Static)
        banner.update(Text(f"‼ {self.redact(message.error)}"))
        banner.display = True

    def _load_history(self, reattach: bool = False) -> None:
        self.query_one(JobHistory).load(self.profile, reattach=reattach)

    @on(HistoryLoaded)
    def _history_loaded(self, message: HistoryLoaded) -> None:
        self.history = message.records
        if message.reattach and self.follower is None:
            live = [r for r in self.history if r.running]
            if live:
                self.attach(live[0], from_start=True)
                self.notify(f"Re-attached to job {live[0].id}, still running since "
                            f"{clock.describe(live[0].started_at)}.", title="Jobs", timeout=10)

    def action_refresh_history(self) -> None:
        self._load_history()

    @on(JobHistory.RowSelected, "#history-table")
    def _open_job(self, event: JobHistory.RowSelected) -> None:
        rec = store.load(str(event.row_key.value))
        if rec is not None:
            self.attach(rec, from_start=True)

    def action_tab(self, tab: str) -> None:
        self.query_one("#jobs-tabs", TabbedContent).active = tab
        # Focus goes with the tab: keys must never land in a text box of a hidden tab.
        self.query_one({"launch": "#kind", "live": "#job-log", "history": "#history-table"}[tab]
                       ).focus()
        if tab == "history":
            self._load_history()

    # -- pre-flight and launch -------------------------------------------------------------------

    def action_preflight(self) -> None:
        self.req = self.form.show_command(self.profile)
        if self.req is None:
            self.notify(f"Cannot run the pre-flight: {self.form.error}", severity="warning")
            return
        self.form.checking()
        self._run_preflight(self.req)

    @work(thread=True, exclusive=True, group="jobs-preflight", name="job pre-flight")
    def _run_preflight(self, req: JobRequest, launch: bool = False) -> None:
        self.post_message(PreflightDone(preflight.run(self.profile, req), launch))

    @on(PreflightDone)
    def _show_preflight(self, message: PreflightDone) -> None:
        pf = message.preflight
        if self.req != pf.request:
            if message.launch:
                self.notify("The form changed during the pre-flight: nothing was launched; "
                            "press L again.", severity="warning")
            return
        self.pf = pf
        if message.launch:
            self.pf_fresh = True
            self.call_after_refresh(self.action_launch)
        self.form.show_preflight(pf, self.profile.read_only)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        read_only = self.profile.read_only
        if action == "delete_guard":
            return bool(self.pf and self.pf.guard_hours and not read_only)
        if action == "cancel_job":  # dimmed when idle: a job starting then changes no key
            return True if self.job is not None and self.job.exit is None and self.follower \
                else None
        return True

    def action_launch(self) -> None:
        profile = self.profile
        pf = self.pf
        if profile.read_only:
            self.notify(f"Profile '{profile.name}' is read-only: jobs cannot be launched.",
                        severity="error")
            return
        if not self.pf_fresh:
            # Never launch on an old pre-flight: the database may have changed since (a guard
            # row written by the last run, a job started by a colleague).
            self.req = self.form.show_command(profile)
            if self.req is None:
                self.notify(f"Cannot launch: {self.form.error}", severity="warning")
                return
            self.form.checking()
            self._run_preflight(self.req, launch=True)
            return
        self.pf_fresh = False
        if pf is None or not pf.ok:
            self.notify(f"Cannot launch: {preflight_refusal(pf)}", severity="warning")
            return
        self.app.push_screen(ActionConfirmScreen(profile, launch_plan(pf, profile)),
                             if_yes(lambda: self._start(pf.request, pf)))

    @work(thread=True, group="jobs-start", name="start job")
    def _start(self, req: JobRequest, pf: preflight.Preflight) -> None:
        """Spawning the wrapper and writing its files happen off the event loop."""
        try:
            rec = runner.start(self.profile, req, total=pf.conversions,
                               users_total=pf.users_total)
        except (runner.StartError, OSError) as e:
            self.notify(f"Could not start the job: {e}", severity="error", timeout=15)
            return
        self.post_message(JobStarted(rec))

    @on(JobStarted)
    def _started(self, message: JobStarted) -> None:
        self.pf = None
        self.form.unchecked(True)  # that pre-flight is spent: the next launch checks again
        self.attach(message.record, from_start=True)
        self.notify(f"Started job {message.record.id}.", title="Jobs")

    def action_delete_guard(self) -> None:
        if not self.pf or not self.pf.guard_hours or self.profile.read_only:
            return
        hour = self.pf.guard_hours[0]
        self.app.push_screen(ActionConfirmScreen(self.profile, preflight.guard_delete_plan(hour)),
                             if_yes(lambda: self._delete_guard(hour)))

    @work(thread=True, group="jobs-guard", name="delete guard row")
    def _delete_guard(self, hour: int) -> None:
        try:
            done = guard.delete_guard(self.profile, hour)
        except DbError as e:  # untouched, or unknown with the read that settles it
            self.notify(self.redact(str(e)), title="Guard row", severity="error", timeout=30)
            return
        self.post_message(GuardRowDeleted(done.rows, hour, done.note))

    @on(GuardRowDeleted)
    def _guard_deleted(self, message: GuardRowDeleted) -> None:
        note = f" ({message.note})" if message.note else ""
        self.notify(f"Deleted {message.rows} guard row(s) for {clock.iso(message.hour)}{note}; "
                    "rerunning the pre-flight.")
        self.action_preflight()

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions = {"btn-preflight": self.action_preflight, "btn-launch": self.action_launch,
                   "btn-guard": self.action_delete_guard, "btn-cancel": self.action_cancel_job}
        fn = actions.get(event.button.id or "")
        if fn:
            fn()

    # -- following -------------------------------------------------------------------------------

    def attach(self, rec: store.JobRecord, *, from_start: bool) -> None:
        """Show a job in the Live tab: follow it if it runs, else load its logs once."""
        if self.follower is not None:
            self.follower.stop()
        self.ring.clear()
        self.lines_seen = 0
        self.noise_folded = 0
        self.live.reset()
        self.query_one("#jobs-tabs", TabbedContent).active = "live"
        self._poster = JobOutputPoster(self, RING)
        self.follower = runner.Follower(rec, self._poster, from_start=from_start)
        self.job = rec
        self.live.show_status(rec, None)
        self.follower.start()
        # Keys now belong to the job (x cancels, q quits), not to the form's inputs.
        self.query_one("#job-log").focus()

    @on(JobOutput)
    def _on_output(self, message: JobOutput) -> None:
        message.poster.taken(message)
        if message.poster is not self._poster or self.job is None:
            return  # the output of a job no longer shown
        self.ring.extend(message.lines)
        self.lines_seen += message.count
        self.noise_folded += sum(1 for ev in message.lines
                                 if parse.is_known_noise(ev.kind, ev.text))
        self.live.add(message.lines, dropped=message.count - len(message.lines))
        self.live.show_folded(self.noise_folded)
        self.live.show_status(self.job, message.snapshot)
        if message.snapshot.finished:
            self._finished()

    @on(Checkbox.Changed, "#show-stdout, #show-stderr, #show-noise, #follow")
    @on(Input.Changed, "#filter")
    def _log_view_changed(self) -> None:
        self.live.rerender(self.ring)
        self.live.show_folded(self.noise_folded)

    def action_toggle_follow(self) -> None:
        self.live.toggle_follow()

    def action_toggle_noise(self) -> None:
        self.live.toggle_noise()

    def _finished(self) -> None:
        rec = store.load(self.job.folder) if self.job else None
        if rec is None:
            return
        self.job = rec
        if self.follower is not None:
            self.follower.rec = rec
        self.live.show_status(rec, self.follower.snapshot(finished=True) if self.follower else None)
        self._load_history()
        if rec.kind == "rebuild" and rec.outcome in VERIFIED:
            self.live.verify(self.profile, rec)

    def action_cancel_job(self) -> None:
        rec, refusal = self.job, cancel_refusal(self.profile, self.job)
        if rec is None or refusal:
            self.notify(refusal or "No running job to cancel.", title="Jobs", severity="error")
            return
        self.app.push_screen(ActionConfirmScreen(self.profile, cancel_plan(rec)),
                             if_yes(lambda: self._cancel(rec)))

    @work(thread=True, group="jobs-cancel", name="cancel job")
    def _cancel(self, rec: store.JobRecord) -> None:
        try:
            self.notify(runner.cancel(rec, profile=self.profile), title="Jobs")
        except runner.CancelRefused as e:
            self.notify(str(e), title="Jobs", severity="error")

