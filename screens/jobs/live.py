"""The Jobs screen's Live tab: the followed job's status, progress and log, filtered on screen.

The log view (`TailLog`) keeps the newest MAX_LINES shown lines (the files keep everything) and
renders only the rows on screen, so following a flood neither starves the keys nor skips lines.
A pause (f) freezes the view; following again shows the newest lines through the filters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, Static

from attribtui.infra import clock
from attribtui.infra.config import Profile
from attribtui.infra.db import DbError
from attribtui.services.actions import ActionPlan
from attribtui.services.jobs import parse, preflight, runner, store
from attribtui.vocab import JobOutcome
from screens.components.tail_log import TailLog
from screens.components.text_box import TextBox
from screens.components.toggle import Toggle
from screens.jobs.messages import RebuildVerified

MAX_LINES = 2000  # on screen; the log files keep every line


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
        self._status = ""  # the status box's text

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
        yield TailLog(MAX_LINES, id="job-log")
        yield Static("", id="job-effect")

    def on_mount(self) -> None:
        self.query_one("#btn-cancel", Button).display = False
        self.query_one("#job-effect").display = False

    @property
    def log_view(self) -> TailLog:
        return self.query_one("#job-log", TailLog)

    def reset(self) -> None:
        """A new job: an empty log, no verification yet."""
        self.log_view.clear()
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
        self.log_view.border_subtitle = (
            f"… {folded:,} lines of known PHP noise folded · N shows them"
            if folded and not shown else "")

    def _visible(self) -> Callable[[parse.LineEvent], bool]:
        """The log view's filter, read from the widgets once per batch (not once per line)."""
        streams = {s for s in ("stdout", "stderr")
                   if self.query_one(f"#show-{s}", Checkbox).value}
        noise = self.query_one("#show-noise", Checkbox).value
        needle = self.query_one("#filter", Input).value.lower()

        def visible(ev: parse.LineEvent) -> bool:
            return (ev.stream in streams
                    and (noise or not parse.is_known_noise(ev.kind, ev.text))
                    and (not needle or needle in ev.text.lower()))

        return visible

    def add(self, lines: list[parse.LineEvent], dropped: int = 0) -> None:
        """New lines while following (dropped: lines read but never handed to the screen)."""
        if not lines or not self.query_one("#follow", Checkbox).value:
            return
        self.log_view.extend(filter(self._visible(), lines), gap=dropped)

    def rerender(self, recent: Iterable[parse.LineEvent]) -> None:
        """The filters changed, or following again: the recent lines through the filters."""
        log = self.log_view
        log.clear()
        log.extend(filter(self._visible(), recent))

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
        status = f"{head}\n{state}\n$ {rec.meta.get('command', '')}"
        # Called for every batch of a flood: repaint only what changed, and never lay the
        # screen out again for it (both boxes have a fixed size).
        if status != self._status:
            self._status = status
            self.query_one("#job-status", Static).update(Text(status), layout=False)
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
            rate.update(Text(runner.describe_snapshot(snap)), layout=False)
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
