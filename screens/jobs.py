"""Jobs (key 4): launch rebuild and backfill jobs, watch them live, cancel, browse the history.

The job runs detached (attribtui/jobs): quitting the console stops only the following, never
the job, and the next console re-attaches to it. Lines arrive in batches from the follower
thread (about 20 a second); the log view keeps at most MAX_LINES while the files keep everything.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Footer,
    Input,
    Label,
    ProgressBar,
    RichLog,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from attribtui.infra import clock
from attribtui.infra.db import Database, DbError
from attribtui.infra.redact import redact_text
from attribtui.services.jobs import parse, preflight, runner, store
from attribtui.services.jobs.command import (
    JobRequest,
    RequestError,
    aligned,
    build_commands,
    last_hours,
    parse_time,
    remote_note,
)
from attribtui.vocab import JobOutcome
from screens.confirm import ActionConfirmScreen
from screens.header import ShellHeader
from screens.registry import PaletteCommand, ScreenSpec

MAX_LINES = 2000  # on screen; the log files keep every line
LIVE_CAP = 60  # lines drawn per batch while following (a screenful); a pause (f) shows MAX_LINES
LOG_WIDTH = 400  # characters kept per line on screen (the files keep whole lines)
RING = 5000  # recent lines kept for re-filtering
WINDOWS = [("last 1 h", 3600), ("last 6 h", 6 * 3600), ("last 24 h", 86400),
           ("last 7 d", 7 * 86400)]
STYLE = {parse.NOISE: "dim", parse.FATAL: "bold red", parse.ITEM_ERROR: "red",
         parse.ERROR_HEADER: "bold red", parse.HTML: "bold magenta", parse.SKIP: "bold yellow",
         parse.DONE: "bold green", parse.META: "cyan", parse.PROGRESS: "green"}
PREFIX = {parse.NOISE: "  ", parse.FATAL: "✖ ", parse.ITEM_ERROR: "✖ ", parse.ERROR_HEADER: "✖ ",
          parse.HTML: "▲ ", parse.SKIP: "▲ ", parse.DONE: "✔ "}


def render_line(ev: parse.LineEvent) -> Text:
    """A line as shown: stderr marked, noise dimmed, errors and outcomes by symbol and style."""
    mark = "!" if ev.stream == "stderr" else " "
    return Text(f"{mark}{PREFIX.get(ev.kind, '  ')}{ev.text}", style=STYLE.get(ev.kind, ""))


class JobsScreen(Screen[None]):
    SCREEN_TITLE = "Jobs"
    CSS_PATH = "jobs.tcss"
    BINDINGS = [
        Binding("p", "preflight", "Pre-flight"),
        Binding("L", "launch", "Launch"),
        Binding("x", "cancel_job", "Cancel job"),
        Binding("a", "align", "Align hours", show=False),
        Binding("k", "toggle_chunks", "Chunk 24h", show=False),
        Binding("g", "delete_guard", "Delete guard row", show=False),
        Binding("f", "toggle_follow", "Follow", show=False),
        Binding("h", "tab('history')", "History"),
        Binding("v", "tab('live')", "Live", show=False),
        Binding("n", "tab('launch')", "New job", show=False),
        Binding("r", "refresh_history", "Refresh", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pf: preflight.Preflight | None = None
        self.req: JobRequest | None = None
        self.follower: runner.Follower | None = None
        self.job: store.JobRecord | None = None
        self.ring: deque[parse.LineEvent] = deque(maxlen=RING)
        self.chunk = False
        self.lines_seen = 0
        self.history: list[store.JobRecord] = []

    # -- layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield ShellHeader()
        yield Static("", id="jobs-banner")
        with TabbedContent(initial="launch", id="jobs-tabs"):
            with TabPane("Launch", id="launch"), VerticalScroll(id="form"):
                with Horizontal(classes="form-row"):
                    yield Label("Job", classes="lbl")
                    yield Select([("rebuild (attribution-rebuild.php)", "rebuild"),
                                  ("backfill (backfill-conversion-journeys.php)", "backfill")],
                                 value="rebuild", allow_blank=False, id="kind", compact=True)
                    yield Label("User", classes="lbl")
                    yield Select([("all users", "all")], value="all", allow_blank=False,
                                 id="user", compact=True)
                with Horizontal(classes="form-row"):
                    yield Label("Window", classes="lbl")
                    yield Select([(t, str(s)) for t, s in WINDOWS] + [("custom", "custom")],
                                 value="86400", allow_blank=False, id="window", compact=True)
                    yield Label("Batch", classes="lbl")
                    yield Input(placeholder="500", id="batch", restrict=r"[0-9]*", compact=True)
                with Horizontal(classes="form-row"):
                    yield Label("Start", classes="lbl")
                    yield Input(id="start", placeholder="epoch, ISO UTC or 24h", compact=True)
                    yield Label("End", classes="lbl")
                    yield Input(id="end", placeholder="epoch, ISO UTC or now", compact=True)
                yield Checkbox("Split into hour-aligned chunks of 24 h (k)", id="chunks", compact=True)
                yield Static("", id="command")
                yield Static("", id="preflight")
                with Horizontal(id="launch-buttons"):
                    yield Button("Pre-flight (p)", id="btn-preflight", compact=True)
                    yield Button("Launch (L)", id="btn-launch", variant="error", compact=True)
                    yield Button("Delete guard row (g)", id="btn-guard", variant="warning",
                                 compact=True)
            with TabPane("Live", id="live"), Vertical():
                yield Static("No job followed yet: launch one, or open one from the history.",
                             id="job-status")
                with Horizontal(id="progress-row"):
                    yield ProgressBar(id="job-progress", show_eta=False)
                    yield Label("", id="job-rate")
                with Horizontal(id="log-controls"):
                    yield Checkbox("follow", True, id="follow", compact=True)
                    yield Checkbox("stdout", True, id="show-stdout", compact=True)
                    yield Checkbox("stderr", True, id="show-stderr", compact=True)
                    yield Checkbox("noise", True, id="show-noise", compact=True)
                    yield Input(placeholder="filter text", id="filter", compact=True)
                    yield Button("Cancel job (x)", id="btn-cancel", variant="error", compact=True)
                yield RichLog(id="job-log", max_lines=MAX_LINES, wrap=False, markup=False,
                              highlight=False, auto_scroll=True)
                yield Static("", id="job-effect")
            with TabPane("History", id="history"):
                yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        profile = self.app.profile  # type: ignore[attr-defined]
        banner = self.query_one("#jobs-banner", Static)
        notes = []
        if profile.read_only:
            notes.append(f"read-only profile '{profile.name}': jobs cannot be launched here")
        if remote_note(profile):
            notes.append(f"jobs run over `{' '.join(profile.jobs.command_prefix)}` (nohup setsid):"
                         " the pre-flight says what cancel and re-attach reach")
        banner.update(Text(" · ".join(notes)))
        banner.display = bool(notes)
        self.query_one("#btn-launch", Button).disabled = True
        self.query_one("#btn-guard", Button).display = False
        self.query_one("#btn-cancel", Button).display = False
        self.query_one("#job-effect").display = False
        table = self.query_one("#history-table", DataTable)
        table.add_columns("job", "outcome", "window (UTC)", "user", "why")
        self._set_window(86400)
        self.app.when_ready(self._load)  # type: ignore[attr-defined]

    def _load(self) -> None:
        self._load_users()
        self._load_history(reattach=True)

    def cancel_work(self) -> None:
        """On quit: stop following. The job itself goes on (and is re-attached next time)."""
        if self.follower is not None:
            self.follower.stop()

    def on_unmount(self) -> None:
        self.cancel_work()

    def _call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the app is shutting down
            self.app.call_from_thread(fn, *args, **kwargs)

    # -- the form --------------------------------------------------------------------------------

    def _set_window(self, seconds: int) -> None:
        start, end = last_hours(seconds)
        self.query_one("#start", Input).value = str(start)
        self.query_one("#end", Input).value = str(end)
        self.chunk = seconds > 86400
        self.query_one("#chunks", Checkbox).value = self.chunk

    @on(Select.Changed, "#window")
    def _window_changed(self, event: Select.Changed) -> None:
        if event.value not in (Select.BLANK, "custom"):
            self._set_window(int(str(event.value)))

    @on(Select.Changed, "#kind")
    @on(Select.Changed, "#user")
    @on(Input.Changed, "#start")
    @on(Input.Changed, "#end")
    @on(Input.Changed, "#batch")
    def _form_changed(self) -> None:
        self.pf = None
        self.query_one("#btn-launch", Button).disabled = True
        self.query_one("#btn-guard", Button).display = False
        self.query_one("#batch", Input).disabled = self._kind() != "backfill"
        self._show_command()

    @on(Checkbox.Changed, "#chunks")
    def _chunks_changed(self, event: Checkbox.Changed) -> None:
        self.chunk = event.value
        self._form_changed()

    def _kind(self) -> str:
        return str(self.query_one("#kind", Select).value)

    def request(self) -> JobRequest:
        """The form as a request; RequestError names the field and the fix."""
        start = parse_time(self.query_one("#start", Input).value, "Start")
        end = parse_time(self.query_one("#end", Input).value, "End")
        user = self.query_one("#user", Select).value
        batch_text = self.query_one("#batch", Input).value.strip()
        kind = self._kind()
        batch = None
        if kind == "backfill" and batch_text:
            batch = int(batch_text)
        return JobRequest(kind, start, end, None if user in ("all", Select.BLANK) else int(str(user)),
                          batch, 86400 if self.chunk else None)

    def _show_command(self) -> None:
        out = self.query_one("#command", Static)
        profile = self.app.profile  # type: ignore[attr-defined]
        try:
            req = self.request()
        except (RequestError, ValueError) as e:
            out.update(Text(f"✖ {e}", style="bold"))
            self.req = None
            return
        self.req = req
        cmds = build_commands(profile, req)
        head = f"Command ({len(cmds)} runs, one after another):" if len(cmds) > 1 else "Command:"
        shown = [c.display for c in cmds[:3]] + ([f"… {len(cmds) - 3} more"] if len(cmds) > 3
                                                 else [])
        window = f"{clock.iso(req.start)} .. {clock.iso(req.end)}"
        out.update(Text(f"{head}  window {window}\n" + "\n".join(f"$ {c}" for c in shown)))

    def action_align(self) -> None:
        if self.req is None:
            return
        start, end = aligned(self.req.start, self.req.end)
        self.query_one("#window", Select).value = "custom"
        self.query_one("#start", Input).value = str(start)
        self.query_one("#end", Input).value = str(end)

    def action_toggle_chunks(self) -> None:
        box = self.query_one("#chunks", Checkbox)
        box.value = not box.value

    # -- users and history -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="jobs-users", name="load users")
    def _load_users(self) -> None:
        profile = self.app.profile  # type: ignore[attr-defined]
        try:
            db = Database.from_profile(profile)
        except DbError as e:
            self._call(self._banner_error, str(e))
            return
        try:
            found = preflight.users(db)
        except DbError as e:
            self._call(self._banner_error, str(e))
            return
        finally:
            db.close()
        self._call(self._set_users, found)

    def _banner_error(self, text: str) -> None:
        banner = self.query_one("#jobs-banner", Static)
        banner.update(Text(f"‼ {redact_text(text, self.app.profile.secrets())}"))  # type: ignore[attr-defined]
        banner.display = True

    def _set_users(self, found: list[tuple[int, str]]) -> None:
        sel = self.query_one("#user", Select)
        sel.set_options([("all users", "all")] + [(f"{u} {n}", str(u)) for u, n in found])
        profile = self.app.profile  # type: ignore[attr-defined]
        if profile.name == "demo" and any(u == 1 for u, _ in found):
            sel.value = "1"  # the demo defaults to the demo user
        else:
            sel.value = "all"

    @work(thread=True, exclusive=True, group="jobs-history", name="load job history")
    def _load_history(self, reattach: bool = False) -> None:
        profile = self.app.profile  # type: ignore[attr-defined]
        recs = store.history(200, profile.name)
        self._call(self._show_history, recs, reattach)

    def _show_history(self, recs: list[store.JobRecord], reattach: bool) -> None:
        self.history = recs
        table = self.query_one("#history-table", DataTable)
        table.clear()
        for r in recs:
            w = r.meta.get("window") or {}
            span = f"{(clock.iso(w.get('start')) or '')[5:16]}..{(clock.iso(w.get('end')) or '')[5:16]}"
            table.add_row(Text(r.id), Text(JobOutcome(r.outcome).label),
                          Text(span), Text(str(r.meta.get("user") or "all")),
                          Text(r.reason[:90]), key=r.id)
        if reattach and self.follower is None:
            live = [r for r in recs if r.running]
            if live:
                self.attach(live[0], from_start=True)
                self.notify(f"Re-attached to job {live[0].id}, still running since "
                            f"{clock.describe(live[0].started_at)}.", title="Jobs", timeout=10)

    def action_refresh_history(self) -> None:
        self._load_history()

    @on(DataTable.RowSelected, "#history-table")
    def _open_job(self, event: DataTable.RowSelected) -> None:
        rec = store.load(str(event.row_key.value))
        if rec is not None:
            self.attach(rec, from_start=True)

    def action_tab(self, tab: str) -> None:
        self.query_one("#jobs-tabs", TabbedContent).active = tab
        if tab == "history":
            self._load_history()

    # -- pre-flight and launch -------------------------------------------------------------------

    def action_preflight(self) -> None:
        self._show_command()
        if self.req is None:
            self.notify("Fix the form first (see the line under the form).", severity="warning")
            return
        if self.req.batch_size is not None and self.req.batch_size < 1:
            pass  # reported by the pre-flight itself
        self.query_one("#preflight", Static).update(Text("Pre-flight: checking…"))
        self._run_preflight(self.req)

    @work(thread=True, exclusive=True, group="jobs-preflight", name="job pre-flight")
    def _run_preflight(self, req: JobRequest, launch: bool = False) -> None:
        pf = preflight.run(self.app.profile, req)  # type: ignore[attr-defined]
        self._call(self._show_preflight, pf, launch)

    def _show_preflight(self, pf: preflight.Preflight, launch: bool = False) -> None:
        if self.req != pf.request:
            return  # the form changed meanwhile
        self.pf = pf
        if launch:
            self.pf_fresh = True
            self.call_after_refresh(self.action_launch)
        sym = {"error": "✖", "warn": "▲", "info": "ℹ"}
        lines = [f"{sym[f.level]} {f.text}" for f in pf.findings]
        head = "Pre-flight: ✔ ready to launch (L)" if pf.ok else \
            "Pre-flight: ✖ cannot launch as it is"
        text = Text(head + "\n", style="bold")
        for f, line in zip(pf.findings, lines, strict=True):
            text.append(line + "\n", style={"error": "bold", "warn": "", "info": "dim"}[f.level])
        self.query_one("#preflight", Static).update(text)
        profile = self.app.profile  # type: ignore[attr-defined]
        self.query_one("#btn-launch", Button).disabled = not pf.ok or profile.read_only
        self.query_one("#btn-guard", Button).display = bool(pf.guard_hours) and not profile.read_only
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        profile = self.app.profile  # type: ignore[attr-defined]
        if action == "launch":
            return None if profile.read_only or self.pf is None or not self.pf.ok else True
        if action == "delete_guard":
            return bool(self.pf and self.pf.guard_hours and not profile.read_only)
        if action == "cancel_job":
            return bool(self.job is not None and self.job.exit is None and self.follower)
        return True

    def action_launch(self) -> None:
        profile = self.app.profile  # type: ignore[attr-defined]
        pf = self.pf
        if profile.read_only:
            self.notify(f"Profile '{profile.name}' is read-only: jobs cannot be launched.",
                        severity="error")
            return
        if not getattr(self, "pf_fresh", False):
            # Never launch on an old pre-flight: the database may have changed since (a guard
            # row written by the last run, a job started by a colleague).
            if self.req is None:
                self.notify("Fix the form first (see the line under the form).", severity="warning")
                return
            self.query_one("#preflight", Static).update(Text("Pre-flight: checking…"))
            self._run_preflight(self.req, launch=True)
            return
        self.pf_fresh = False
        if pf is None or not pf.ok:
            self.notify("The pre-flight found problems (listed on the Launch tab); nothing was "
                        "started.", severity="warning")
            return
        req = pf.request
        cmds = build_commands(profile, req)
        from attribtui.services.actions import ActionPlan

        effects = [f.text for f in pf.findings if f.level == "warn"]
        if req.kind == "rebuild":
            effects.insert(0, "Rewrites the window's credits and snapshot totals of every active "
                           "model, the guard row for the hour of --end and the heartbeat")
        else:
            effects.insert(0, "Rewrites the stored journeys of the window's conversions")
        effects.append("Runs detached: it goes on if this console closes")
        plan = ActionPlan(title=f"Launch {req.kind}: {clock.iso(req.start)} .. "
                          f"{clock.iso(req.end)}", effects=effects,
                          request="\n".join(c.display for c in cmds[:3]))

        def go(yes: bool | None) -> None:
            if yes:
                self._start(req, pf)

        self.app.push_screen(ActionConfirmScreen(profile, plan), go)

    @work(thread=True, group="jobs-start", name="start job")
    def _start(self, req: JobRequest, pf: preflight.Preflight) -> None:
        """Spawning the wrapper and writing its files happen off the event loop."""
        profile = self.app.profile  # type: ignore[attr-defined]
        try:
            rec = runner.start(profile, req, total=pf.conversions, users_total=pf.users_total)
        except (runner.StartError, OSError) as e:
            self._call(self.notify, f"Could not start the job: {e}", severity="error", timeout=15)
            return
        self._call(self._started, rec)

    def _started(self, rec: Any) -> None:
        self.pf = None
        self.query_one("#btn-launch", Button).disabled = True
        self.attach(rec, from_start=True)
        self.notify(f"Started job {rec.id}.", title="Jobs")

    def action_delete_guard(self) -> None:
        profile = self.app.profile  # type: ignore[attr-defined]
        if not self.pf or not self.pf.guard_hours or profile.read_only:
            return
        hour = self.pf.guard_hours[0]

        def go(yes: bool | None) -> None:
            if yes:
                self._delete_guard(hour)

        self.app.push_screen(ActionConfirmScreen(profile, preflight.guard_delete_plan(hour)), go)

    @work(thread=True, group="jobs-guard", name="delete guard row")
    def _delete_guard(self, hour: int) -> None:
        try:
            n = preflight.delete_guard_row(self.app.profile, hour)  # type: ignore[attr-defined]
        except DbError as e:
            self._call(self.notify, f"Guard row not deleted: {e}", severity="error")
            return
        self._call(self.notify, f"Deleted {n} guard row(s) for {clock.iso(hour)}; rerunning the "
                   "pre-flight.")
        self._call(self.action_preflight)

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
        self.job = rec
        self.ring.clear()
        self.lines_seen = 0
        self.query_one("#job-log", RichLog).clear()
        self.query_one("#job-effect").display = False
        self.query_one("#jobs-tabs", TabbedContent).active = "live"
        self.follower = runner.Follower(rec, self._from_thread, from_start=from_start)
        if rec.exit is not None:
            self.follower.rec = rec
        self._show_status(None)
        self.follower.start()
        self.refresh_bindings()

    def _from_thread(self, lines: list[parse.LineEvent], snap: runner.Snapshot) -> None:
        self._call(self._on_batch, lines, snap)

    def _view(self) -> Callable[[parse.LineEvent], bool]:
        """The log view's filter, read from the widgets once per batch (not once per line)."""
        streams = {s for s in ("stdout", "stderr")
                   if self.query_one(f"#show-{s}", Checkbox).value}
        noise = self.query_one("#show-noise", Checkbox).value
        needle = self.query_one("#filter", Input).value.lower()

        def visible(ev: parse.LineEvent) -> bool:
            return (ev.stream in streams and (noise or ev.kind != parse.NOISE)
                    and (not needle or needle in ev.text.lower()))

        return visible

    def _on_batch(self, lines: list[parse.LineEvent], snap: runner.Snapshot) -> None:
        self.ring.extend(lines)
        self.lines_seen += len(lines)
        if lines and self.query_one("#follow", Checkbox).value:
            visible = self._view()
            shown = [ev for ev in lines if visible(ev)]
            if len(shown) > LIVE_CAP:
                # Nobody reads 20 x 2000 lines a second; drawing them would starve the keys.
                skipped = len(shown) - LIVE_CAP
                self.query_one("#job-log", RichLog).write(Text(
                    f"   … {skipped:,} lines not drawn (all in the log files; f pauses and "
                    f"shows the last {MAX_LINES:,})", style="dim italic"))
                shown = shown[-LIVE_CAP:]
            self._write(shown)
        self._show_status(snap)
        if snap.finished:
            self._finished()

    def _write(self, events: list[parse.LineEvent]) -> None:
        if not events:
            return
        text = Text("\n").join(render_line(ev) for ev in events)
        # An explicit width skips measuring every line (lines are not wrapped anyway).
        self.query_one("#job-log", RichLog).write(text, width=LOG_WIDTH)

    def _rerender(self) -> None:
        log = self.query_one("#job-log", RichLog)
        log.clear()
        visible = self._view()
        self._write([ev for ev in list(self.ring)[-MAX_LINES:] if visible(ev)])

    @on(Checkbox.Changed, "#show-stdout, #show-stderr, #show-noise, #follow")
    @on(Input.Changed, "#filter")
    def _log_view_changed(self) -> None:
        self._rerender()

    def action_toggle_follow(self) -> None:
        box = self.query_one("#follow", Checkbox)
        box.value = not box.value

    def _show_status(self, snap: runner.Snapshot | None) -> None:
        rec = self.job
        if rec is None:
            return
        status = self.query_one("#job-status", Static)
        w = rec.meta.get("window") or {}
        head = (f"{rec.id} · {rec.kind} {clock.iso(w.get('start'))}..{clock.iso(w.get('end'))}"
                f" · user {rec.meta.get('user') or 'all'}")
        if rec.exit is None and (snap is None or not snap.finished):
            state = f"… running (pid {rec.pid}), started {clock.describe(rec.started_at)}"
        else:
            state = f"{JobOutcome(rec.outcome).label}: {rec.reason}"
        status.update(Text(f"{head}\n{state}\n$ {rec.meta.get('command', '')}"))
        bar = self.query_one("#job-progress", ProgressBar)
        rate = self.query_one("#job-rate", Label)
        if snap is None:
            bar.update(total=None)
            rate.update("")
        else:
            if snap.finished and rec.exit is not None:
                snap = _settled(snap, rec)
            fraction = snap.fraction if snap.fraction is not None else (
                1.0 if snap.finished else None)
            if fraction is None:
                bar.update(total=None)  # no total known: an indeterminate bar
            else:
                bar.update(total=100, progress=round(fraction * 100))
            rate.update(Text(runner.describe_snapshot(snap)))
        self.query_one("#btn-cancel", Button).display = rec.exit is None and not (
            snap is not None and snap.finished)

    def _finished(self) -> None:
        rec = store.load(self.job.folder) if self.job else None
        if rec is None:
            return
        self.job = rec
        if self.follower is not None:
            self.follower.rec = rec
        self._show_status(self.follower.snapshot(finished=True) if self.follower else None)
        self.refresh_bindings()
        self._load_history()
        if rec.kind == "rebuild" and rec.outcome in ("succeeded", "skipped", "suspicious",
                                                      "failed", "cancelled"):
            self._verify(rec)

    @work(thread=True, group="jobs-verify", name="verify rebuild")
    def _verify(self, rec: store.JobRecord) -> None:
        try:
            effect = preflight.rebuild_effect(self.app.profile, rec)  # type: ignore[attr-defined]
            lines = effect.lines(rec.started_at)
        except (DbError, KeyError) as e:
            lines = [f"Could not re-read the heartbeat and snapshots: {e}"]
        self._call(self._show_effect, rec.id, lines)

    def _show_effect(self, job_id: str, lines: list[str]) -> None:
        if self.job is None or self.job.id != job_id:
            return
        effect = self.query_one("#job-effect", Static)
        effect.update(Text("After the run: " + "\n".join(lines)))
        effect.display = True

    def action_cancel_job(self) -> None:
        rec = self.job
        if rec is None or rec.exit is not None:
            self.notify("No running job to cancel.", severity="warning")
            return
        profile = self.app.profile  # type: ignore[attr-defined]
        from attribtui.services.actions import ActionPlan

        plan = ActionPlan(title=f"Cancel job {rec.id}",
                          effects=["SIGTERM to the job's process group, SIGKILL after "
                                   f"{runner.GRACE_S:g} s", "The work done so far stays (a "
                                   "rebuild keeps the hours it rewrote; its guard row stays)"],
                          request=f"kill -TERM -{rec.pid}")

        def go(yes: bool | None) -> None:
            if yes:
                self._cancel(rec)

        self.app.push_screen(ActionConfirmScreen(profile, plan), go)

    @work(thread=True, group="jobs-cancel", name="cancel job")
    def _cancel(self, rec: store.JobRecord) -> None:
        msg = runner.cancel(rec, profile=self.app.profile)  # type: ignore[attr-defined]
        self._call(self.notify, msg, title="Jobs")


def _settled(snap: runner.Snapshot, rec: store.JobRecord) -> runner.Snapshot:
    """For a finished job: elapsed from its record (not from when we opened it)."""
    if rec.started_at is None or rec.ended_at is None:
        return snap
    elapsed = max(0, rec.ended_at - rec.started_at)
    units = snap.done if snap.rate_unit != "lines/s" else snap.lines
    rate = units / elapsed if elapsed else 0.0
    return runner.Snapshot(snap.lines, snap.done, snap.total, snap.fraction, elapsed, rate,
                           snap.rate_unit, None, snap.chunk, snap.chunks, True)


SCREEN = ScreenSpec(
    key="4",
    name="jobs",
    title="Jobs",
    factory=JobsScreen,
    help="Launch rebuild and backfill jobs, watch them live, cancel, history",
    commands=(
        PaletteCommand("Job pre-flight (rebuild or backfill)",
                       "Check the window, count, guard and lock (p)", "preflight"),
        PaletteCommand("Launch job (rebuild or backfill)", "Pre-flight, then start it detached (L)",
                       "launch"),
        PaletteCommand("Cancel the running job", "SIGTERM, then SIGKILL (x)", "cancel_job"),
        PaletteCommand("Delete the rebuild guard row", "Confirmed and logged (g)",
                       "delete_guard"),
        PaletteCommand("Job history", "Past jobs and their logs (h)", "tab('history')"),
        PaletteCommand("Align the window to whole hours", "--start=H0 --end=H1-1 (a)", "align"),
    ),
)
