"""A rollback walkthrough as a typed, persisted state: the incident, its steps, how each ended.

The state is a JSON file, <data dir>/rollbacks/<id>.json (0600), written atomically after every
change, so the operator can quit or lose SSH and resume. A step is marked `running` before it
starts; on resume a job step re-attaches to its job (or takes its outcome if it ended), and any
other step found `running` becomes `interrupted`: it is never silently run again.
"""

from __future__ import annotations

import json
import socket
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from attribtui.infra import actionlog, clock, paths
from attribtui.infra.config import Profile
from attribtui.prosper.hours import DAY
from attribtui.services.jobs import store
from attribtui.vocab import JsonDict, Refused, StepStatus

KIND = "attribtui-rollback"
MITIGATIONS = ("deactivate", "set-default", "none")
MAX_WINDOW_S = 31 * DAY
ACTIVE, DONE, ABANDONED = "active", "done", "abandoned"

# (id, number shown to the operator, title, mutating)
STEPS: tuple[tuple[str, str, str, bool], ...] = (
    ("mitigate", "1", "Mitigate: take the bad model out of use", True),
    ("purge", "2a", "Restore journeys: purge the polluted ones (with backup)", True),
    ("backfill", "2b", "Restore journeys: backfill the affected user and window", True),
    ("rebuild", "3", "Snapshots: rebuild the affected hours", True),
    ("verify", "4", "Verify: checks and the affected journeys", False),
    ("audit", "5", "Audit: audit rows and console actions", False),
    ("report", "6", "Report: write the incident report", False),
)
STEP_IDS = tuple(s[0] for s in STEPS)
JOB_STEPS = ("backfill", "rebuild")
FINISHED = (StepStatus.DONE, StepStatus.SKIPPED)


class RollbackError(Refused):
    """A walkthrough that cannot be loaded, created or advanced; one line with the fix."""


@dataclass
class Incident:
    """What went wrong, as the operator describes it in the form or on the command line."""

    user_id: int
    model_id: int | None = None  # the bad model
    mitigation: str = "deactivate"  # deactivate | set-default | none
    safe_model_id: int | None = None  # the new default (needed when the bad model is the default)
    conv_ids: list[int] = field(default_factory=list)
    start: int | None = None  # or a conv_time window
    end: int | None = None
    note: str = ""

    def check(self) -> None:
        if self.user_id is None or self.user_id < 1:
            raise RollbackError("user: give the user_id of the incident (a positive number)")
        if self.mitigation not in MITIGATIONS:
            raise RollbackError(f"mitigation '{self.mitigation}': use one of {', '.join(MITIGATIONS)}")
        if self.mitigation == "deactivate" and self.model_id is None:
            raise RollbackError("model: give the bad model's id to deactivate it")
        if self.mitigation == "set-default" and self.safe_model_id is None:
            raise RollbackError("safe model: give the id of the model to make the default")
        if self.safe_model_id is not None and self.safe_model_id == self.model_id:
            raise RollbackError("the safe model must not be the bad model")
        window = self.start is not None or self.end is not None
        if self.conv_ids and window:
            raise RollbackError("give either conv_ids or a window, not both")
        if not self.conv_ids and not window:
            raise RollbackError("affected conversions: give conv_ids, or a window (start and end)")
        if window:
            if self.start is None or self.end is None:
                raise RollbackError("window: give both start and end")
            if self.start >= self.end:
                raise RollbackError(f"window: start {clock.iso(self.start)} must be before end "
                                    f"{clock.iso(self.end)}")
            if self.end - self.start > MAX_WINDOW_S:
                raise RollbackError("window: at most 31 days; split the incident")

    def describe(self) -> str:
        if self.conv_ids:
            more = f" and {len(self.conv_ids) - 6} more" if len(self.conv_ids) > 6 else ""
            what = f"conversions {', '.join(map(str, self.conv_ids[:6]))}{more}"
        else:
            what = f"conv_time {clock.iso(self.start)} to {clock.iso(self.end)}"
        model = f"model {self.model_id}" if self.model_id is not None else "no model named"
        return f"user {self.user_id}, {model}, {what}"


@dataclass
class Step:
    """One step of the walkthrough as it stands; `details` is what it recorded (shown, reported)."""

    id: str
    number: str
    title: str
    mutating: bool
    status: StepStatus = StepStatus.PENDING
    result: str | None = None
    reason: str | None = None
    details: JsonDict = field(default_factory=dict)
    started_at: int | None = None
    ended_at: int | None = None
    ended_at_iso: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def job_id(self) -> str | None:
        job_id = self.details.get("job_id")
        return str(job_id) if job_id else None


@dataclass
class RebuildSpan:
    """The hour-aligned window the rebuild step covers, and the evidence it was found from."""

    start: int
    end: int
    why: list[str] = field(default_factory=list)


@dataclass
class Walkthrough:
    id: str
    profile: str
    environment: str
    operator: str
    host: str
    started_at: int
    incident: Incident
    steps: list[Step]
    status: str = ACTIVE  # active | done | abandoned
    started_at_iso: str | None = None
    ended_at: int | None = None
    updated_at: int | None = None
    rebuild_window: RebuildSpan | None = None
    abandoned: str | None = None
    kind: str = KIND
    version: int = 1

    def step(self, step_id: str) -> Step:
        for s in self.steps:
            if s.id == step_id:
                return s
        raise RollbackError(f"no step '{step_id}'; steps: {', '.join(STEP_IDS)}")

    @property
    def current(self) -> Step | None:
        """The first step not done or skipped (None when the walkthrough is complete)."""
        return next((s for s in self.steps if not s.finished), None)

    @property
    def active(self) -> bool:
        return self.status == ACTIVE

    def summary_line(self) -> str:
        done = sum(1 for s in self.steps if s.finished)
        cur = self.current
        at = f"next: {cur.number} {cur.id} ({cur.status})" if cur else "complete"
        return (f"{self.id} · {self.status} · {self.incident.describe()} · "
                f"{done}/{len(self.steps)} steps · {at}")

    def to_json(self) -> JsonDict:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: JsonDict) -> Walkthrough:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in doc.items() if k in known}
        values["incident"] = Incident(**doc["incident"])
        values["steps"] = [Step(**{**s, "status": StepStatus(s["status"])}) for s in doc["steps"]]
        window = doc.get("rebuild_window")
        values["rebuild_window"] = RebuildSpan(**window) if window else None
        return cls(**values)


# -- persistence -----------------------------------------------------------------------------------


def rollbacks_dir() -> Path:
    return paths.folder("rollbacks")


def _path(rollback_id: str) -> Path:
    if not rollback_id or "/" in rollback_id or rollback_id.startswith("."):
        raise RollbackError(f"'{rollback_id}' is not a walkthrough id; see `attribtui rollback list`")
    return rollbacks_dir() / f"{rollback_id}.json"


def save(wt: Walkthrough) -> Path:
    """Write the state atomically (a crash never leaves half a file), 0600."""
    wt.updated_at = clock.now()
    return paths.write_private(_path(wt.id), json.dumps(wt.to_json(), indent=1, default=str))


def load_state(rollback_id: str) -> Walkthrough:
    """The saved state of a walkthrough; RollbackError if there is none or it is unreadable."""
    path = _path(rollback_id)
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise RollbackError(f"no walkthrough '{rollback_id}'; see `attribtui rollback list`") from None
    except (OSError, ValueError) as e:
        raise RollbackError(f"{path} is unreadable ({type(e).__name__}); it was not changed") from None
    if not isinstance(doc, dict) or doc.get("kind") != KIND:
        raise RollbackError(f"{path} is not an attribtui rollback state")
    try:
        return Walkthrough.from_json(doc)
    except (KeyError, TypeError, ValueError) as e:
        raise RollbackError(f"{path} is not a readable rollback state ({type(e).__name__}); it "
                            "was not changed") from None


def list_states(profile_name: str | None = None) -> list[Walkthrough]:
    """Every walkthrough (newest first), optionally of one profile; unreadable files are skipped."""
    out = []
    for path in rollbacks_dir().glob("rb-*.json"):
        try:
            wt = load_state(path.stem)
        except RollbackError:
            continue
        if profile_name is None or wt.profile == profile_name:
            out.append(wt)
    return sorted(out, key=lambda w: (w.started_at, w.id), reverse=True)


def latest_active(profile_name: str) -> Walkthrough | None:
    return next((w for w in list_states(profile_name) if w.active), None)


# -- creating one and moving it along --------------------------------------------------------------


def new(profile: Profile, incident: Incident) -> Walkthrough:
    """Start a walkthrough (saved at once). One active walkthrough per profile at a time."""
    incident.check()
    active = latest_active(profile.name)
    if active is not None:
        raise RollbackError(f"walkthrough {active.id} is still active on profile "
                            f"'{profile.name}' (started {clock.describe(active.started_at)} by "
                            f"{active.operator}); resume it, or finish or skip its steps")
    now = clock.now()
    # Reserve the id: O_EXCL, so two consoles never share a walkthrough file.
    with paths.new_private_file(rollbacks_dir(), f"rb-{paths.stamp(clock.iso(now) or '')}",
                                ".json", first=1) as (path, _fh):
        pass
    wt = Walkthrough(
        id=path.stem, profile=profile.name, environment=profile.environment,
        operator=actionlog.operator(profile.operator), host=socket.gethostname(),
        started_at=now, started_at_iso=clock.iso(now), incident=incident,
        steps=[Step(sid, num, title, mut) for sid, num, title, mut in STEPS])
    save(wt)
    actionlog.record("rollback.start", profile=profile, target=wt.id, params=asdict(incident),
                     result="started")
    return wt


def finish_step(profile: Profile, wt: Walkthrough, step: Step, status: StepStatus,
                result: str | None = None, reason: str | None = None,
                details: JsonDict | None = None) -> Step:
    """Record how a step ended (saved, logged); the walkthrough is done after its last step."""
    now = clock.now()
    step.status, step.ended_at, step.ended_at_iso = status, now, clock.iso(now)
    if result is not None:
        step.result = result
    if reason is not None:
        step.reason = reason
    if details:
        step.details.update(details)
    if wt.current is None and wt.active:
        wt.status, wt.ended_at = DONE, now
    save(wt)
    actionlog.record(f"rollback.{step.id}", profile=profile, target=wt.id,
                     params={"step": step.id},
                     result={"status": str(status), "result": step.result,
                             "reason": step.reason})
    return step


def mark_running(wt: Walkthrough, step: Step) -> None:
    step.status, step.started_at = StepStatus.RUNNING, clock.now()
    step.result = step.reason = step.ended_at_iso = None
    step.ended_at = None
    save(wt)


def skip(profile: Profile, wt: Walkthrough, step_id: str, reason: str) -> Step:
    """Skip a step with the operator's reason (required: it goes in the report)."""
    step = wt.step(step_id)
    if not reason.strip():
        raise RollbackError("give a reason to skip a step: it goes in the incident report")
    if step.status == StepStatus.RUNNING:
        raise RollbackError(f"step {step_id} is running; wait for it (or cancel its job) first")
    if step.finished:
        raise RollbackError(f"step {step_id} is already {step.status}")
    return finish_step(profile, wt, step, StepStatus.SKIPPED, reason=reason.strip())


def accept(profile: Profile, wt: Walkthrough, step_id: str, reason: str) -> Step:
    """The operator accepts what a failed verify found (checks worse than before the incident,
    journeys still broken): the step is done, with who accepted it and why (in the report)."""
    step = wt.step(step_id)
    if step.id != "verify" or step.status != StepStatus.FAILED:
        raise RollbackError("only a verify that found a difference can be accepted; run it first")
    if not reason.strip():
        raise RollbackError("give a reason to accept the difference: it goes in the incident "
                            "report")
    who = actionlog.operator(profile.operator)
    return finish_step(profile, wt, step, StepStatus.DONE,
                       reason=f"difference accepted by {who}: {reason.strip()}",
                       details={"accepted": {"by": who, "reason": reason.strip(),
                                             "at": clock.now()}})


def abandon(profile: Profile, wt: Walkthrough, reason: str) -> Walkthrough:
    """Close an active walkthrough without running the rest (a new one may then start)."""
    if not reason.strip():
        raise RollbackError("give a reason to abandon the walkthrough")
    if any(s.status == StepStatus.RUNNING for s in wt.steps):
        raise RollbackError("a step is still running; wait for it or cancel its job first")
    wt.status, wt.ended_at, wt.abandoned = ABANDONED, clock.now(), reason.strip()
    save(wt)
    actionlog.record("rollback.abandon", profile=profile, target=wt.id,
                     params={"reason": reason.strip()}, result="abandoned")
    return wt


def job_of(wt: Walkthrough, step_id: str) -> store.JobRecord | None:
    job_id = wt.step(step_id).job_id
    return store.load(job_id) if job_id else None


def settle_job(profile: Profile, wt: Walkthrough, step_id: str) -> Step:
    """Record the outcome of a job step whose job has ended (done only if it succeeded)."""
    step = wt.step(step_id)
    rec = job_of(wt, step_id)
    if rec is None:
        raise RollbackError(f"step {step_id} has no job to settle")
    if rec.running:
        raise RollbackError(f"job {rec.id} is still running")
    status = StepStatus.DONE if rec.outcome == "succeeded" else StepStatus.FAILED
    text = f"job {rec.id} {rec.outcome}: {rec.reason}"
    if rec.outcome == "skipped":
        text += ("; the guard skipped it: extend the window past the guarded hour or delete the "
                 "guard row, then run the step again")
    return finish_step(profile, wt, step, status, result=text,
                       details={"outcome": rec.outcome,
                                "exit_codes": (rec.exit or {}).get("exit_codes")})


def resume(profile: Profile, wt: Walkthrough) -> list[str]:
    """Reconcile a loaded state with what happened while nobody watched; what changed, one line
    each. A job step whose job still runs stays `running` (the caller re-attaches); one whose job
    ended takes the job's outcome. Any other step left `running` becomes `interrupted`."""
    notes = []
    for step in wt.steps:
        if step.status != StepStatus.RUNNING:
            continue
        rec = job_of(wt, step.id)
        if rec is not None and rec.running:
            notes.append(f"step {step.id}: job {rec.id} is still running; re-attached")
            continue
        if rec is not None:
            settle_job(profile, wt, step.id)
            notes.append(f"step {step.id}: job {rec.id} ended while away: {rec.outcome}")
            continue
        why = ("the console closed while this step was running; check what it did (the action "
               "log, `attribtui jobs`, the backups) before running it again, or skip it")
        finish_step(profile, wt, step, StepStatus.INTERRUPTED, reason=why)
        notes.append(f"step {step.id}: interrupted")
    return notes
