"""What the Rollback screen shows of a step: its line in the list, its plan and its result."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from attribtui.infra import clock
from attribtui.infra.config import Profile
from attribtui.services import rollback as rb
from attribtui.services.jobs import parse, runner
from attribtui.vocab import StepStatus
from screens.base import describe_error
from screens.components.job_output import JobOutput, JobOutputPoster
from screens.components.tail_log import TailLog
from screens.rollback.messages import FollowStarted, RollbackFailed, StepRan

LOG_LINES = 400
SETTLED = ("done", "skipped", "running")  # steps with nothing left to plan


def walkthrough_summary(wt: rb.Walkthrough, read_only: bool) -> str:
    inc = wt.incident
    ro = " · READ-ONLY: mutating steps unavailable" if read_only else ""
    return f"{wt.id} · {wt.status} · {inc.describe()} · mitigation {inc.mitigation}{ro}"


def step_label(step: rb.Step, current: bool) -> Text:
    mark = "›" if current else " "
    return Text(f"{mark}{step.status.symbol} {step.number:<3}{step.id:<9}{step.status}")


def step_head(step: rb.Step) -> str:
    return (f"{step.number} {step.title}\n{step.status.symbol} {step.status}"
            + (f" · ended {step.ended_at_iso}" if step.ended_at_iso else ""))


def plan_lines(step: rb.Step, plan: rb.StepPlan | None) -> list[str]:
    """What running the step will do, and the keys that act on it."""
    if step.status in SETTLED:
        return []
    if plan is None or plan.step != step.id:
        return ["Planning…"]
    lines: list[str] = []
    if plan.noop:
        lines.append(f"ℹ Nothing to do: {plan.noop} (g records it)")
    lines += plan.lines
    if plan.guard_hours:
        lines.append("d deletes the guard row (confirmed)"
                     + (", e extends the window by an hour" if plan.alternatives else ""))
    if not plan.refused:
        lines.append("g runs it" + (" after the confirmation" if plan.action else "")
                     + "; s skips it with a reason")
    return lines


def result_text(step: rb.Step) -> str:
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
    if d.get("got_worse"):
        out += [f"Worse than before the walkthrough ({d.get('before_iso')}):",
                *[f"  ✘ {w}" for w in d["got_worse"][:12]]]
    if d.get("accepted"):
        out.append(f"Accepted by {d['accepted']['by']}: {d['accepted']['reason']}")
    if d.get("checks_not_ok"):
        same = step.id == "verify" and not d.get("got_worse") and d.get("before")
        out.append("Not ok, as before the walkthrough:" if same else "Not ok:")
        out += [f"  {c}" for c in d["checks_not_ok"][:8]]
    out += d.get("journey_problems", [])[:8]
    if step.id == "audit" and step.status == StepStatus.DONE and "audit" in d:
        out += ["Audit rows:", *(d.get("audit") or ["(none)"])[-15:], "Console actions:",
                *(d.get("actions") or ["(none)"])[-15:]]
    return "\n".join(out)


class StepList(OptionList):
    """Every step of the walkthrough with its status; › marks the current one."""

    def __init__(self) -> None:
        super().__init__(id="rb-steps")

    def fill(self, wt: rb.Walkthrough, select: str) -> None:
        cur = wt.current
        self.clear_options()
        self.add_options([Option(step_label(st, cur is not None and st.id == cur.id), id=st.id)
                          for st in wt.steps])
        self.highlighted = rb.STEP_IDS.index(select)
        self.focus()


class StepDetail(VerticalScroll):
    """The selected step: head, plan, result, progress, and the output of its job, followed here."""

    def __init__(self) -> None:
        super().__init__(id="rb-detail")
        self.step_id: str | None = None  # the step shown
        self._follower: runner.Follower | None = None
        self._folded = 0  # known PHP noise lines of the followed job, left out of the log

    def compose(self) -> ComposeResult:
        yield Static("", id="rb-head")
        yield Static("", id="rb-result")  # what happened first; then what running it again does
        yield Static("", id="rb-plan")
        yield Static("", id="rb-progress")
        yield TailLog(LOG_LINES, id="rb-log")

    def on_mount(self) -> None:
        self.query_one("#rb-log").display = False

    def show_text(self, head: str, plan: str, result: str) -> None:
        self.query_one("#rb-head", Static).update(Text(head, style="bold"))
        for wid, text in (("#rb-result", result), ("#rb-plan", plan)):
            box = self.query_one(wid, Static)
            box.update(Text(text))
            box.display = bool(text)  # an empty one would still take its margin

    def show_step(self, step: rb.Step, plan: rb.StepPlan | None) -> None:
        self.step_id = step.id
        head = step_head(step)
        if plan is not None and plan.step == step.id and plan.refused and not step.finished:
            head += f"\n✘ Cannot run: {plan.refused}"  # what blocks it, before any detail
        self.show_text(head, "\n".join(plan_lines(step, plan)), result_text(step))
        self.query_one("#rb-log").display = bool(step.id in rb.JOB_STEPS and step.job_id)

    def set_progress(self, text: str) -> None:
        self.query_one("#rb-progress", Static).update(Text(text))

    # -- following a step's job ------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="rollback-follow", name="follow job")
    def follow(self, profile: Profile, state: rb.Walkthrough, step_id: str) -> None:
        """Tail the step's job in batches (the runner's follower) and settle it at the end; the
        settled step (or the error) bubbles to the screen."""
        rec = rb.job_of(state, step_id)
        if rec is None:
            return
        self.post_message(FollowStarted(step_id, rec.id))
        # Up to 10 lines read per line shown: the folded noise must not leave the view short.
        self._follower = runner.Follower(rec, JobOutputPoster(self, 10 * LOG_LINES)).start()
        self._follower.finished.wait()
        self._follower = None
        final = rb.job_of(state, step_id)
        if final is None or final.running:  # stopped following (quit): the job goes on
            return
        try:
            step = rb.settle_job(profile, state, step_id)
        except Exception as e:  # noqa: BLE001 - shown, and the console keeps running
            self.post_message(RollbackFailed(describe_error(e, (rb.RollbackError,), profile)))
            return
        self.post_message(StepRan(step))

    def stop_following(self) -> None:
        """The job itself goes on and is re-attached on resume."""
        if self._follower is not None:
            self._follower.stop()

    def on_unmount(self) -> None:
        self.stop_following()

    @on(FollowStarted)
    def _log_start(self, message: FollowStarted) -> None:
        log = self.query_one("#rb-log", TailLog)
        log.clear()
        log.border_subtitle, self._folded = "", 0
        log.display = self.step_id == message.step_id
        self.set_progress(f"following job {message.job_id}…")

    @on(JobOutput)
    def _log_batch(self, message: JobOutput) -> None:
        message.poster.taken(message)
        lines = [e for e in message.lines if not parse.is_known_noise(e.kind, e.text)]
        self._folded += len(message.lines) - len(lines)
        log = self.query_one("#rb-log", TailLog)
        if self._folded:  # the job's full output is on the Jobs screen and in its log files
            log.border_subtitle = parse.fold_note(self._folded, "the Jobs screen (4, N)")
        log.extend(lines, gap=message.count - len(message.lines))
        self.set_progress(runner.describe_snapshot(message.snapshot))
