"""The Jobs screen's Live tab: the followed job's status, progress and log, filtered on screen.

The log view keeps at most MAX_LINES (the files keep everything) and, while following, draws at
most LIVE_CAP lines per batch: nobody reads 2000 lines a second, and drawing them would starve
the keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, RichLog, Static

from attribtui.infra import clock
from attribtui.infra.config import Profile
from attribtui.infra.db import DbError
from attribtui.services.actions import ActionPlan
from attribtui.services.jobs import parse, preflight, runner, store
from attribtui.vocab import JobOutcome
from screens.components.text_box import TextBox
from screens.components.toggle import Toggle
from screens.jobs.messages import RebuildVerified

MAX_LINES = 2000  # on screen; the log files keep every line
LIVE_CAP = 60  # lines drawn per batch while following (a screenful); a pause (f) shows MAX_LINES
LOG_WIDTH = 400  # characters kept per line on screen (the files keep whole lines)
STYLE: Mapping[str, str] = MappingProxyType({
    parse.NOISE: "dim", parse.FATAL: "bold red", parse.ITEM_ERROR: "red",
    parse.ERROR_HEADER: "bold red", parse.HTML: "bold magenta", parse.SKIP: "bold yellow",
    parse.DONE: "bold green", parse.META: "cyan", parse.PROGRESS: "green"})
PREFIX: Mapping[str, str] = MappingProxyType({
    parse.NOISE: "  ", parse.FATAL: "✖ ", parse.ITEM_ERROR: "✖ ", parse.ERROR_HEADER: "✖ ",
    parse.HTML: "▲ ", parse.SKIP: "▲ ", parse.DONE: "✔ "})


def render_line(ev: parse.LineEvent) -> Text:
    """A line as shown: stderr marked, noise dimmed, errors and outcomes by symbol and style."""
    mark = "!" if ev.stream == "stderr" else " "
    return Text(f"{mark}{PREFIX.get(ev.kind, '  ')}{ev.text}", style=STYLE.get(ev.kind, ""))


def settled(snap: runner.Snapshot, rec: store.JobRecord) -> runner.Snapshot:
    """For a finished job: elapsed from its record (not from when we opened it)."""
    if rec.started_at is None or rec.ended_at is None:
        return snap
    elapsed = max(0, rec.ended_at - rec.started_at)
    units = snap.done if snap.rate_unit != "lines/s" else snap.lines
    rate = units / elapsed if elapsed else 0.0
    return runner.Snapshot(snap.lines, snap.done, snap.total, snap.fraction, elapsed, rate,
                           snap.rate_unit, None, snap.chunk, snap.chunks, True)


def cancel_plan(rec: store.JobRecord) -> ActionPlan:
    return ActionPlan(title=f"Cancel job {rec.id}",
                      effects=["SIGTERM to the job's process group, SIGKILL after "
                               f"{runner.GRACE_S:g} s", "The work done so far stays (a rebuild "
                               "keeps the hours it rewrote; its guard row stays)"],
                      request=f"kill -TERM -{rec.pid}")


def cancel_refusal(profile: Profile, rec: store.JobRecord | None) -> str | None:
    """Why this console does not cancel the job, or None (a read-only profile refuses). The
    confirmation then follows this profile's rules, the job's own (the history is per profile)."""
    if rec is None or rec.exit is not None:
        return "No running job to cancel."
    if profile.read_only:
        return f"Profile '{profile.name}' is read-only: job {rec.id} was not cancelled."
    return None


class LiveLog(Vertical):
    """Status, progress, the log's filters and the log; the screen feeds it lines."""

    def __init__(self) -> None:
        super().__init__()
        self.job_id: str | None = None  # the job shown

    def compose(self) -> ComposeResult:
        yield Static("No job followed yet: launch one, or open one from the history.",
                     id="job-status")
        with Horizontal(id="progress-row"):
            yield ProgressBar(id="job-progress", show_eta=False)
            yield Label("", id="job-rate")
        with Horizontal(id="log-controls"):
            yield Toggle("follow", True, id="follow", compact=True)
            yield Toggle("stdout", True, id="show-stdout", compact=True)
            yield Toggle("stderr", True, id="show-stderr", compact=True)
            yield Toggle("noise (N)", False, id="show-noise", compact=True)
            yield TextBox(placeholder="filter text", id="filter", compact=True)
            yield Button("Cancel job (x)", id="btn-cancel", variant="error", compact=True)
        yield RichLog(id="job-log", max_lines=MAX_LINES, wrap=False, markup=False,
                      highlight=False, auto_scroll=True)
        yield Static("", id="job-effect")

    def on_mount(self) -> None:
        self.query_one("#btn-cancel", Button).display = False
        self.query_one("#job-effect").display = False

    def reset(self) -> None:
        """A new job: an empty log, no verification yet."""
        self.query_one("#job-log", RichLog).clear()
        self.show_folded(0)
        self.query_one("#job-effect").display = False

    def toggle_follow(self) -> None:
        box = self.query_one("#follow", Checkbox)
        box.value = not box.value

    def toggle_noise(self) -> None:
        box = self.query_one("#show-noise", Checkbox)
        box.value = not box.value

    def show_folded(self, folded: int) -> None:
        """The one counted line standing for the known noise, on the log's bottom border."""
        shown = self.query_one("#show-noise", Checkbox).value
        self.query_one("#job-log", RichLog).border_subtitle = (
            f"… {folded:,} lines of known PHP noise folded · N shows them"
            if folded and not shown else "")

    def _visible(self) -> Callable[[parse.LineEvent], bool]:
        """The log view's filter, read from the widgets once per batch (not once per line)."""
        streams = {s for s in ("stdout", "stderr")
                   if self.query_one(f"#show-{s}", Checkbox).value}
        noise = self.query_one("#show-noise", Checkbox).value
        needle = self.query_one("#filter", Input).value.lower()
        known_noise = parse.is_known_noise

        def visible(ev: parse.LineEvent) -> bool:
            return (ev.stream in streams and (noise or not known_noise(ev.kind, ev.text))
                    and (not needle or needle in ev.text.lower()))

        return visible

    def add(self, lines: list[parse.LineEvent], dropped: int = 0) -> None:
        """New lines while following (dropped: lines read but no longer held, never drawn)."""
        if not lines or not self.query_one("#follow", Checkbox).value:
            return
        visible = self._visible()
        shown = [ev for ev in lines if visible(ev)]
        if len(shown) > LIVE_CAP or dropped:
            skipped = max(0, len(shown) - LIVE_CAP) + dropped
            self.query_one("#job-log", RichLog).write(Text(
                f"   … {skipped:,} lines not drawn (all in the log files; f pauses and "
                f"shows the last {MAX_LINES:,})", style="dim italic"))
            shown = shown[-LIVE_CAP:]
        self._write(shown)

    def _write(self, events: list[parse.LineEvent]) -> None:
        if not events:
            return
        text = Text("\n").join(render_line(ev) for ev in events)
        # An explicit width skips measuring every line (lines are not wrapped anyway).
        self.query_one("#job-log", RichLog).write(text, width=LOG_WIDTH)

    def rerender(self, recent: Iterable[parse.LineEvent]) -> None:
        """The filters changed: draw the recent lines again through them."""
        self.query_one("#job-log", RichLog).clear()
        visible = self._visible()
        self._write([ev for ev in list(recent)[-MAX_LINES:] if visible(ev)])

    def show_status(self, rec: store.JobRecord, snap: runner.Snapshot | None) -> None:
        self.job_id = rec.id
        w = rec.meta.get("window") or {}
        head = (f"{rec.id} · {rec.kind} {clock.iso(w.get('start'))}..{clock.iso(w.get('end'))}"
                f" · user {rec.meta.get('user') or 'all'}")
        if rec.exit is None and (snap is None or not snap.finished):
            state = f"… running (pid {rec.pid}), started {clock.describe(rec.started_at)}"
            if snap is not None and snap.alert:
                # promise 8: the job goes on without its lock; nothing new may start meanwhile
                state += f"\n‼ {snap.alert}"
        else:
            state = f"{JobOutcome(rec.outcome).label}: {rec.reason}"
        self.query_one("#job-status", Static).update(
            Text(f"{head}\n{state}\n$ {rec.meta.get('command', '')}"))
        bar = self.query_one("#job-progress", ProgressBar)
        rate = self.query_one("#job-rate", Label)
        if snap is None:
            bar.update(total=None)
            rate.update("")
        else:
            if snap.finished and rec.exit is not None:
                snap = settled(snap, rec)
            fraction = snap.fraction if snap.fraction is not None else (
                1.0 if snap.finished else None)
            if fraction is None:
                bar.update(total=None)  # no total known: an indeterminate bar
            else:
                bar.update(total=100, progress=round(fraction * 100))
            rate.update(Text(runner.describe_snapshot(snap)))
        self.query_one("#btn-cancel", Button).display = rec.exit is None and not (
            snap is not None and snap.finished)

    @work(thread=True, group="jobs-verify", name="verify rebuild")
    def verify(self, profile: Profile, rec: store.JobRecord) -> None:
        """After a rebuild: re-read the heartbeat and the snapshots it should have written."""
        try:
            lines = preflight.rebuild_effect(profile, rec).lines(rec.started_at)
        except (DbError, KeyError) as e:
            lines = [f"Could not re-read the heartbeat and snapshots: {e}"]
        self.post_message(RebuildVerified(rec.id, lines))

    @on(RebuildVerified)
    def _show_effect(self, message: RebuildVerified) -> None:
        if message.job_id != self.job_id:
            return  # another job is shown now
        effect = self.query_one("#job-effect", Static)
        effect.update(Text("After the run: " + "\n".join(message.lines)))
        effect.display = True
