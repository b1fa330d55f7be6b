"""The guided rollback (runbook section 6) as a resumable state machine, with no Textual.

A walkthrough is one incident: a user, the bad model, the mitigation chosen (deactivate it, or
make a safe model the default), and the polluted conversions (conv_ids, or a conv_time window).
Its steps follow the runbook, each planned (what it will do, an ActionPlan when it writes), run
after confirmation by the caller, recorded, or skipped with a reason:

  mitigate  PATCH through the v2 client; models.py's planners defuse the default trap
  purge     delete the polluted journeys with a replayable backup (attribtui.purge)
  backfill  rebuild exactly the affected user's journeys for the affected window (a job)
  rebuild   recompute the affected hours, hour-aligned --start=H0 --end=H1-1 (a job); the
            duplicate-window guard is found before launch; old numbers cannot come back
  verify    a saved run of every check, and the journey checks of the affected conversions
  audit     the 202_attribution_audit rows and console actions of the incident
  report    the incident report of this walkthrough (attribtui.report)

The state is a JSON file, data_dir()/rollbacks/<id>.json (0600), written after every change,
so the operator can quit or lose SSH and resume. A step is marked `running` before it starts;
on resume a job step re-attaches to its job (or takes its outcome if it ended), and any other
step found `running` becomes `interrupted`: it is never silently run again.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from attribtui.infra import actionlog, clock
from attribtui.infra.paths import data_dir
from attribtui.services.actions import ActionPlan
from attribtui.vocab import Refused

KIND = "attribtui-rollback"
MITIGATIONS = ("deactivate", "set-default", "none")
VERIFY_LIMIT = 200  # affected conversions whose journeys the verify step looks up
MAX_WINDOW_S = 31 * 86400

# (id, runbook number, title, mutating)
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
FINISHED = ("done", "skipped")


class RollbackError(Refused):
    """A walkthrough that cannot be loaded, created or advanced; one line with the fix."""


# -- persistence -----------------------------------------------------------------------------------


def rollbacks_dir() -> Path:
    folder = data_dir() / "rollbacks"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def _path(rollback_id: str) -> Path:
    if not rollback_id or "/" in rollback_id or rollback_id.startswith("."):
        raise RollbackError(f"'{rollback_id}' is not a walkthrough id; see `attribtui rollback list`")
    return rollbacks_dir() / f"{rollback_id}.json"


def save(state: dict[str, Any]) -> Path:
    """Write the state atomically (a crash never leaves half a file), 0600."""
    state["updated_at"] = clock.now()
    path = _path(state["id"])
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(state, fh, indent=1, default=str)
    os.replace(tmp, path)
    return path


def load_state(rollback_id: str) -> dict[str, Any]:
    """The saved state of a walkthrough; RollbackError if there is none or it is unreadable."""
    path = _path(rollback_id)
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        raise RollbackError(f"no walkthrough '{rollback_id}'; see `attribtui rollback list`") from None
    except (OSError, ValueError) as e:
        raise RollbackError(f"{path} is unreadable ({type(e).__name__}); it was not changed") from None
    if not isinstance(state, dict) or state.get("kind") != KIND:
        raise RollbackError(f"{path} is not an attribtui rollback state")
    return state


def list_states(profile_name: str | None = None) -> list[dict[str, Any]]:
    """Every walkthrough (newest first), optionally of one profile; unreadable files are skipped."""
    out = []
    for path in rollbacks_dir().glob("rb-*.json"):
        try:
            state = load_state(path.stem)
        except RollbackError:
            continue
        if profile_name is None or state.get("profile") == profile_name:
            out.append(state)
    return sorted(out, key=lambda s: (s.get("started_at", 0), s["id"]), reverse=True)


def latest_active(profile_name: str) -> dict[str, Any] | None:
    return next((s for s in list_states(profile_name) if s.get("status") == "active"), None)


# -- creating one ----------------------------------------------------------------------------------


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
        what = (f"conversions {', '.join(map(str, self.conv_ids[:6]))}"
                + (f" and {len(self.conv_ids) - 6} more" if len(self.conv_ids) > 6 else "")
                if self.conv_ids else f"conv_time {clock.iso(self.start)} to {clock.iso(self.end)}")
        model = f"model {self.model_id}" if self.model_id is not None else "no model named"
        return f"user {self.user_id}, {model}, {what}"


def new(profile: Any, incident: Incident) -> dict[str, Any]:
    """Start a walkthrough (saved at once). One active walkthrough per profile at a time."""
    incident.check()
    active = latest_active(profile.name)
    if active is not None:
        raise RollbackError(f"walkthrough {active['id']} is still active on profile "
                            f"'{profile.name}' (started {clock.describe(active['started_at'])} by "
                            f"{active.get('operator')}); resume it, or finish or skip its steps")
    now = clock.now()
    stamp = clock.iso(now).replace("-", "").replace(":", "")
    n = 1
    while (rollbacks_dir() / f"rb-{stamp}-{n}.json").exists():
        n += 1
    state = {
        "kind": KIND, "version": 1, "id": f"rb-{stamp}-{n}",
        "profile": profile.name, "environment": profile.environment,
        "operator": actionlog.operator(getattr(profile, "operator", None)),
        "host": socket.gethostname(), "status": "active",
        "started_at": now, "started_at_iso": clock.iso(now), "ended_at": None,
        "incident": asdict(incident), "rebuild_window": None,
        "steps": [{"id": sid, "number": num, "title": title, "mutating": mut,
                   "status": "pending", "result": None, "reason": None, "details": {},
                   "started_at": None, "ended_at": None, "ended_at_iso": None}
                  for sid, num, title, mut in STEPS],
    }
    # Reserve the id: O_EXCL, so two consoles never share a walkthrough file.
    fd = os.open(_path(state["id"]), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    save(state)
    actionlog.record("rollback.start", profile=profile, target=state["id"],
                     params=asdict(incident), result="started")
    return state


def incident_of(state: dict[str, Any]) -> Incident:
    return Incident(**state["incident"])


def step_of(state: dict[str, Any], step_id: str) -> dict[str, Any]:
    for s in state["steps"]:
        if s["id"] == step_id:
            return s
    raise RollbackError(f"no step '{step_id}'; steps: {', '.join(STEP_IDS)}")


def current_step(state: dict[str, Any]) -> dict[str, Any] | None:
    """The first step not done or skipped (None when the walkthrough is complete)."""
    return next((s for s in state["steps"] if s["status"] not in FINISHED), None)


def summary_line(state: dict[str, Any]) -> str:
    done = sum(1 for s in state["steps"] if s["status"] in FINISHED)
    cur = current_step(state)
    at = f"next: {cur['number']} {cur['id']} ({cur['status']})" if cur else "complete"
    return (f"{state['id']} · {state['status']} · {incident_of(state).describe()} · "
            f"{done}/{len(state['steps'])} steps · {at}")


def _finish_step(profile: Any, state: dict[str, Any], step: dict[str, Any], status: str,
                 result: str | None = None, reason: str | None = None,
                 details: dict[str, Any] | None = None) -> dict[str, Any]:
    now = clock.now()
    step.update(status=status, ended_at=now, ended_at_iso=clock.iso(now))
    if result is not None:
        step["result"] = result
    if reason is not None:
        step["reason"] = reason
    if details:
        step["details"].update(details)
    if current_step(state) is None and state["status"] == "active":
        state["status"], state["ended_at"] = "done", now
    save(state)
    actionlog.record(f"rollback.{step['id']}", profile=profile, target=state["id"],
                     params={"step": step["id"]},
                     result={"status": status, "result": step.get("result"),
                             "reason": step.get("reason")})
    return step


def _mark_running(state: dict[str, Any], step: dict[str, Any]) -> None:
    step.update(status="running", started_at=clock.now(), result=None, reason=None,
                ended_at=None, ended_at_iso=None)
    save(state)


def skip(profile: Any, state: dict[str, Any], step_id: str, reason: str) -> dict[str, Any]:
    """Skip a step with the operator's reason (required: it goes in the report)."""
    step = step_of(state, step_id)
    if not reason.strip():
        raise RollbackError("give a reason to skip a step: it goes in the incident report")
    if step["status"] == "running":
        raise RollbackError(f"step {step_id} is running; wait for it (or cancel its job) first")
    if step["status"] in FINISHED:
        raise RollbackError(f"step {step_id} is already {step['status']}")
    return _finish_step(profile, state, step, "skipped", reason=reason.strip())


def abandon(profile: Any, state: dict[str, Any], reason: str) -> dict[str, Any]:
    """Close an active walkthrough without running the rest (a new one may then start)."""
    if not reason.strip():
        raise RollbackError("give a reason to abandon the walkthrough")
    if any(s["status"] == "running" for s in state["steps"]):
        raise RollbackError("a step is still running; wait for it or cancel its job first")
    state.update(status="abandoned", ended_at=clock.now(), abandoned=reason.strip())
    save(state)
    actionlog.record("rollback.abandon", profile=profile, target=state["id"],
                     params={"reason": reason.strip()}, result="abandoned")
    return state


# -- resume ----------------------------------------------------------------------------------------


def resume(profile: Any, state: dict[str, Any]) -> list[str]:
    """Reconcile a loaded state with what happened while nobody watched; what changed, one line each.

    A job step whose job still runs stays `running` (the caller re-attaches); one whose job ended
    takes the job's outcome. Any other step left `running` becomes `interrupted`.
    """
    from attribtui.services.jobs import store

    notes = []
    for step in state["steps"]:
        if step["status"] != "running":
            continue
        job_id = step["details"].get("job_id")
        rec = store.load(job_id) if job_id else None
        if rec is not None and rec.running:
            notes.append(f"step {step['id']}: job {job_id} is still running; re-attached")
            continue
        if rec is not None:
            settle_job(profile, state, step["id"])
            notes.append(f"step {step['id']}: job {job_id} ended while away: {rec.outcome}")
            continue
        why = ("the console closed while this step was running; check what it did (the action "
               "log, `attribtui jobs`, the backups) before running it again, or skip it")
        _finish_step(profile, state, step, "interrupted", reason=why)
        notes.append(f"step {step['id']}: interrupted")
    return notes


# -- planning a step -------------------------------------------------------------------------------


@dataclass
class StepPlan:
    """What running a step will do. `action` is set for writes (confirm it first)."""

    step: str
    lines: list[str] = field(default_factory=list)  # shown on screen and by `rollback show`
    action: ActionPlan | None = None
    refused: str | None = None  # cannot run as things are (the text says how to fix it)
    noop: str | None = None  # nothing to do: running it just records this
    data: Any = None  # the planner's object (ModelAction, PurgePlan, JobRequest, ...)
    guard_hours: list[int] = field(default_factory=list)
    alternatives: list[tuple[int, int]] = field(default_factory=list)  # other rebuild windows


def plan(profile: Any, state: dict[str, Any], step_id: str, *, db: Any = None,
         client: Any = None) -> StepPlan:
    """Describe the step as things are now (reads only)."""
    planner = {"mitigate": _plan_mitigate, "purge": _plan_purge, "backfill": _plan_backfill,
               "rebuild": _plan_rebuild, "verify": _plan_verify, "audit": _plan_audit,
               "report": _plan_report}[step_of(state, step_id)["id"]]
    p = planner(profile, state, db, client)
    if p.action is not None and profile.read_only and not p.refused:
        p.refused = (f"profile '{profile.name}' is read-only: this step writes; view it here and "
                     "run it from a profile without read_only = true")
    return p


def _plan_mitigate(profile: Any, state: dict[str, Any], db: Any, client: Any) -> StepPlan:
    from attribtui.services import models

    inc = incident_of(state)
    p = StepPlan("mitigate")
    if inc.mitigation == "none":
        p.noop = "the incident names no mitigation (the model was already fixed); nothing to send"
        return p
    if client is None:
        p.refused = "the v2 API is not configured for this profile (api.base_url and a key)"
        return p
    listing = models.load_models(client, db, user_id=inc.user_id, primary=True)
    if listing.api_error and not listing.models:
        p.refused = listing.api_error
        return p
    if listing.user_id is not None and listing.user_id != inc.user_id:
        p.refused = (f"the API key belongs to user {listing.user_id}, the incident to user "
                     f"{inc.user_id}; use a profile whose key is the incident user's")
        return p
    bad = listing.get(inc.model_id) if inc.model_id is not None else None
    if inc.mitigation == "deactivate":
        if bad is None:
            p.refused = f"model {inc.model_id} is not a model of user {inc.user_id}; check the id"
            return p
        if bad.is_default and inc.safe_model_id is None:
            p.refused = (f"model {bad.model_id} “{bad.name}” is the default: Prosper202 silently "
                         "re-activates the default on {\"is_active\": false}, so a safe model "
                         "must become the default first; abandon this walkthrough and start one "
                         "with a safe model, or skip this step with a reason")
            return p
        action = models.plan_deactivate(client, listing, bad, new_default=inc.safe_model_id
                                        if bad.is_default else None)
    else:
        safe = listing.get(inc.safe_model_id)
        if safe is None:
            p.refused = f"model {inc.safe_model_id} is not a model of user {inc.user_id}"
            return p
        action = models.plan_set_default(client, listing, safe)
    p.data, p.action = action, action.plan
    p.refused, p.noop = action.refused, action.noop
    p.lines = [action.plan.title, *action.plan.effects]  # the request is in the confirmation
    if bad is not None and bad.weighting_text:
        p.lines.append(f"Bad model: {bad.model_id} “{bad.name}” ({bad.type}, "
                       f"{bad.weighting_text}), updated {clock.describe(bad.updated_at)}")
    return p


def _selection(state: dict[str, Any]) -> Any:
    from attribtui.services.purge import Selection

    inc = incident_of(state)
    if inc.conv_ids:
        return Selection(conv_ids=list(inc.conv_ids))
    return Selection(user_id=inc.user_id, start=inc.start, end=inc.end)


def _plan_purge(profile: Any, state: dict[str, Any], db: Any, client: Any) -> StepPlan:
    from attribtui.services import purge

    p = StepPlan("purge")
    if db is None:
        p.refused = "no database configured (db.url)"
        return p
    try:
        pp = purge.plan(db, _selection(state))
    except purge.PurgeRefused as e:
        p.refused = str(e)
        return p
    p.data = pp
    inc = incident_of(state)
    others = [a.user_id for a in pp.affected if a.user_id != inc.user_id]
    p.lines = [f"{len(pp.conv_ids)} conversion(s) selected, {pp.with_journey} with a journey, "
               f"{pp.touchpoint_rows} touchpoint row(s) to delete."]
    if pp.missing_ids:
        p.lines.append(f"Not in 202_conversion_logs (ignored): {', '.join(map(str, pp.missing_ids[:20]))}")
    for r in pp.sample[:6]:
        p.lines.append(f"  sample: conv {r['conv_id']} pos {r['position']} click {r['click_id']} "
                       f"at {clock.iso(r['click_time'])}")
    if others:
        p.refused = (f"conversions of other users ({', '.join(map(str, sorted(set(others))))}) are "
                     f"selected; this walkthrough is user {inc.user_id}'s: start another for them")
        return p
    if not pp.touchpoint_rows:
        p.noop = "the selected conversions have no journey rows: nothing to purge"
        return p
    p.action = pp.action(profile)
    p.lines += p.action.effects
    return p


def _affected(state: dict[str, Any], db: Any) -> tuple[int, int, int] | None:
    """(user, first conv_time, last conv_time) of the incident's conversions."""
    got = step_of(state, "purge")["details"].get("affected")
    inc = incident_of(state)
    if not got and db is not None:
        from attribtui.services import purge

        try:
            got = [asdict(a) for a in purge.plan(db, _selection(state)).affected]
        except purge.PurgeRefused:
            got = []
    mine = [a for a in got or [] if a["user_id"] == inc.user_id]
    if not mine:
        return None
    return inc.user_id, mine[0]["start"], mine[0]["end"]


def _job_plan(profile: Any, p: StepPlan, req: Any, db: Any) -> None:
    from attribtui.services.jobs import preflight
    from attribtui.services.jobs.command import build_commands

    pf = preflight.run(profile, req, db)
    commands = build_commands(profile, req)
    p.data = (req, pf)
    p.guard_hours = list(pf.guard_hours)
    p.lines += [f"{f.level}: {f.text}" for f in pf.findings]
    p.lines += [f"Command: {c.display}" for c in commands]
    errors = [f.text for f in pf.findings if f.level == "error"]
    if errors:
        p.refused = errors[0]
    p.action = ActionPlan(
        title=f"Run {req.kind} {clock.iso(req.start)} .. {clock.iso(req.end)} for user {req.user}",
        effects=[ln for ln in p.lines if not ln.startswith(("Command:", "info:"))],
        request="\n".join(c.display for c in commands))


def _plan_backfill(profile: Any, state: dict[str, Any], db: Any, client: Any) -> StepPlan:
    from attribtui.services.jobs.command import JobRequest

    p = StepPlan("backfill")
    if db is None:
        p.refused = "no database configured (db.url)"
        return p
    aff = _affected(state, db)
    if aff is None:
        p.noop = "no conversion of the incident user was found: nothing to backfill"
        return p
    user, start, end = aff
    p.lines = [f"Rewrites the journeys of user {user}'s conversions between {clock.iso(start)} "
               f"and {clock.iso(end)} from 202_clicks (delete then insert, per conversion); "
               "scopes with multi-touch disabled are skipped.",
               "Only this user and window: the conversions the purge emptied, and any other of "
               "theirs in the same seconds."]
    _job_plan(profile, p, JobRequest("backfill", start, end, user=user), db)
    return p


def rebuild_window(state: dict[str, Any], db: Any, now: int | None = None) -> dict[str, Any] | None:
    """The hour-aligned window to rebuild, with the evidence it was found from.

    H0 = hour of the first affected conversion, H1 = the hour after the last one; the bad
    model's create/update audit rows and the snapshot_rebuild rows over it are the evidence.
    """
    if state.get("rebuild_window"):
        return state["rebuild_window"]
    now = clock.now() if now is None else now
    inc = incident_of(state)
    aff = _affected(state, db)
    if aff is None and inc.start is None:
        return None
    first, last = (aff[1], aff[2]) if aff else (inc.start, inc.end)
    h0, h1 = clock.hour(first), clock.hour(last) + clock.HOUR
    notes = [f"affected conversions: conv_time {clock.iso(first)} .. {clock.iso(last)}"]
    end = h1 - 1
    if end > now:  # the incident reaches into the current hour: rebuild it up to now
        end = now
        notes.append(f"the window ends now, inside the current hour ({clock.iso(clock.hour(now))}"
                     "): that hour is refilled with every conversion so far")
    notes += _audit_evidence(db, inc, h0, h1)
    return {"start": h0, "end": end, "why": notes}


def _audit_evidence(db: Any, inc: Incident, h0: int, h1: int) -> list[str]:
    from attribtui.services import models

    if db is None:
        return []
    out = []
    try:
        rows = models.read_audit(db, inc.user_id, limit=50, primary=True)
    except Exception as e:  # noqa: BLE001 - evidence is a help, never a blocker
        return [f"audit history unavailable: {e}"]
    for r in rows:
        if inc.model_id is not None and r.model_id == inc.model_id and r.action.startswith("model_"):
            out.append(f"audit {r.audit_id}: {r.action} of model {r.model_id} at "
                       f"{clock.iso(r.created_at)}")
        elif r.action == "snapshot_rebuild" and isinstance(r.metadata, dict):
            lo, hi = r.metadata.get("lookback_start"), r.metadata.get("lookback_end")
            if isinstance(lo, int) and isinstance(hi, int) and lo < h1 and hi >= h0:
                out.append(f"audit {r.audit_id}: snapshot_rebuild of model {r.model_id} over "
                           f"{clock.iso(lo)} .. {clock.iso(hi)} (computed from the polluted "
                           "journeys)")
    return out[:8]


def choose_rebuild_window(state: dict[str, Any], start: int, end: int) -> dict[str, Any]:
    """Set another hour-aligned window (e.g. an --end in another hour, past the guard)."""
    if start % clock.HOUR or (end + 1) % clock.HOUR or start >= end:
        raise RollbackError("the rebuild window must be hour-aligned: --start=H0 --end=H1-1 with "
                            "H0 < H1 whole hours")
    win = dict(state.get("rebuild_window") or {"why": []})
    win.update(start=start, end=end)
    win["why"] = [*win.get("why", []), f"chosen by the operator: {clock.iso(start)} .. {clock.iso(end)}"]
    state["rebuild_window"] = win
    save(state)
    return win


def _plan_rebuild(profile: Any, state: dict[str, Any], db: Any, client: Any) -> StepPlan:
    from attribtui.services.jobs.command import MAX_CHUNK, JobRequest

    p = StepPlan("rebuild")
    if db is None:
        p.refused = "no database configured (db.url)"
        return p
    win = rebuild_window(state, db)
    if win is None:
        p.noop = "no affected hours were found: nothing to rebuild"
        return p
    user = incident_of(state).user_id
    p.lines = [f"Rebuilds user {user}'s active models over {clock.iso(win['start'])} .. "
               f"{clock.iso(win['end'])} ("
               + ("hour-aligned: --start=H0 --end=H1-1" if (win["end"] + 1) % clock.HOUR == 0
                  else "--start=H0, --end=now") + ") from the restored journeys.",
               "A rebuild recomputes from the current journeys: it cannot bring back the numbers "
               "of before the incident. An inactive model (the one just "
               "deactivated) is not rebuilt; its snapshots stay as they are.",
               *[f"Found from: {w}" for w in win["why"]]]
    chunk = MAX_CHUNK if win["end"] - win["start"] >= MAX_CHUNK else None
    req = JobRequest("rebuild", win["start"], win["end"], user=user, chunk=chunk)
    _job_plan(profile, p, req, db)
    if p.guard_hours:
        now = clock.now()
        nxt = clock.hour(win["end"]) + clock.HOUR
        if nxt + clock.HOUR - 1 < now:
            p.alternatives.append((win["start"], nxt + clock.HOUR - 1))
        p.lines.append("The duplicate-window guard would skip this run. Either extend the window "
                       "by an hour (its --end then falls in another hour), or delete the guard "
                       "row (confirmed and logged).")
    return p


def _plan_verify(profile: Any, state: dict[str, Any], db: Any, client: Any) -> StepPlan:
    p = StepPlan("verify")
    if db is None:
        p.refused = "no database configured (db.url)"
        return p
    ids = _affected_ids(state)
    p.lines = ["Runs every check (saved, for the report's before/after) and the journey checks "
               f"of the {len(ids)} affected conversion(s), reading the primary.",
               "Reads only; no confirmation needed."]
    return p


def _affected_ids(state: dict[str, Any]) -> list[int]:
    inc = incident_of(state)
    ids = inc.conv_ids or step_of(state, "purge")["details"].get("deleted_conv_ids") or []
    return list(ids)[:VERIFY_LIMIT]


def _plan_audit(profile: Any, state: dict[str, Any], db: Any, client: Any) -> StepPlan:
    return StepPlan("audit", [
        f"Lists the 202_attribution_audit rows and the console actions since the walkthrough "
        f"started ({clock.iso(state['started_at'])}). Reads only."])


def _plan_report(profile: Any, state: dict[str, Any], db: Any, client: Any) -> StepPlan:
    return StepPlan("report", [
        "Writes the incident report (Markdown + JSON, secrets redacted) of this walkthrough: "
        "every step, the console actions, the jobs with their log tails, the purge backups, "
        "checks before and after, the audit rows. Closes the walkthrough."])


# -- running a step --------------------------------------------------------------------------------

Progress = Callable[[str, float], None]


def run(profile: Any, state: dict[str, Any], p: StepPlan, *, db: Any = None, client: Any = None,
        progress: Progress | None = None) -> dict[str, Any]:
    """Run a planned step (the caller has confirmed p.action). Job steps return `running`."""
    step = step_of(state, p.step)
    if step["status"] in FINISHED:
        raise RollbackError(f"step {p.step} is already {step['status']}")
    if step["status"] == "running":
        raise RollbackError(f"step {p.step} is already running")
    if p.refused:
        raise RollbackError(f"step {p.step} cannot run: {p.refused}")
    cur = current_step(state)
    if cur is not None and cur["id"] != p.step:
        raise RollbackError(f"step {cur['id']} comes first: run it or skip it with a reason")
    if p.noop:
        return _finish_step(profile, state, step, "done", result=p.noop)
    _mark_running(state, step)
    try:
        return {"mitigate": _run_mitigate, "purge": _run_purge, "backfill": _run_job,
                "rebuild": _run_job, "verify": _run_verify, "audit": _run_audit,
                "report": _run_report}[p.step](profile, state, step, p, db, client, progress)
    except Exception as e:
        from attribtui.infra.redact import redact_text

        msg = redact_text(f"{type(e).__name__}: {e}", profile.secrets())
        return _finish_step(profile, state, step, "failed", result=msg)


def _run_mitigate(profile: Any, state: dict[str, Any], step: dict[str, Any], p: StepPlan,
                  db: Any, client: Any, progress: Progress | None) -> dict[str, Any]:
    from attribtui.services import models

    out = models.execute(p.data, client, profile, db)
    details = {"requests": [s.shown for s in p.data.steps], "model_after": out.model_after,
               "partial": out.partial}
    return _finish_step(profile, state, step, "done" if out.ok else "failed",
                        result=out.message, details=details)


def _run_purge(profile: Any, state: dict[str, Any], step: dict[str, Any], p: StepPlan,
               db: Any, client: Any, progress: Progress | None) -> dict[str, Any]:
    from attribtui.services import purge

    res = purge.execute(db, profile, p.data, progress=progress)
    details = {"backup": res.backup, "backed_up_rows": res.backed_up_rows,
               "deleted_rows": res.deleted_rows, "deleted_conv_ids": res.deleted_conv_ids,
               "not_deleted_conv_ids": res.not_deleted_conv_ids, "cache": res.cache,
               "affected": [asdict(a) for a in res.affected]}
    text = (f"deleted {res.deleted_rows} row(s) of {len(res.deleted_conv_ids)} conversion(s); "
            f"backup {res.backup}")
    if res.error:
        text = (f"STOPPED: {res.error}; {text}; not deleted: "
                f"{', '.join(map(str, res.not_deleted_conv_ids[:20]))} (their rows are untouched)")
    return _finish_step(profile, state, step, "done" if res.complete else "failed",
                        result=text, details=details)


def _run_job(profile: Any, state: dict[str, Any], step: dict[str, Any], p: StepPlan,
             db: Any, client: Any, progress: Progress | None) -> dict[str, Any]:
    from attribtui.services.jobs import runner

    req, pf = p.data
    rec = runner.start(profile, req, total=pf.conversions, users_total=pf.users_total)
    step["details"].update(job_id=rec.id, command=rec.meta.get("command"),
                           window={"start": req.start, "end": req.end,
                                   "start_iso": clock.iso(req.start), "end_iso": clock.iso(req.end)},
                           stdout_log=str(rec.stdout_log), stderr_log=str(rec.stderr_log))
    save(state)
    return step


def job_of(state: dict[str, Any], step_id: str) -> Any:
    from attribtui.services.jobs import store

    job_id = step_of(state, step_id)["details"].get("job_id")
    return store.load(job_id) if job_id else None


def settle_job(profile: Any, state: dict[str, Any], step_id: str) -> dict[str, Any]:
    """Record the outcome of a job step whose job has ended (done only if it succeeded)."""
    step = step_of(state, step_id)
    rec = job_of(state, step_id)
    if rec is None:
        raise RollbackError(f"step {step_id} has no job to settle")
    if rec.running:
        raise RollbackError(f"job {rec.id} is still running")
    status = "done" if rec.outcome == "succeeded" else "failed"
    text = f"job {rec.id} {rec.outcome}: {rec.reason}"
    if rec.outcome == "skipped":
        text += ("; the guard skipped it: extend the window past the guarded hour or delete the "
                 "guard row, then run the step again")
    return _finish_step(profile, state, step, status, result=text,
                        details={"outcome": rec.outcome, "exit_codes": (rec.exit or {}).get("exit_codes")})


def wait_job(profile: Any, state: dict[str, Any], step_id: str,
             on_batch: Callable[[list[Any], Any], None] | None = None) -> dict[str, Any]:
    """Follow a job step to its end (headless, tests), then settle it."""
    from attribtui.services.jobs import runner

    rec = job_of(state, step_id)
    if rec is None:
        raise RollbackError(f"step {step_id} has no job")
    runner.run_attached(rec, on_batch or (lambda _lines, _snap: None))
    return settle_job(profile, state, step_id)


def delete_guard(profile: Any, state: dict[str, Any], hour: int, db: Any = None) -> int:
    """The facts' second way past the guard: delete one guard row (the caller confirmed it)."""
    from attribtui.services.jobs import preflight

    if profile.read_only:
        raise RollbackError(f"profile '{profile.name}' is read-only: the guard row stays")
    n = preflight.delete_guard_row(profile, hour, db)
    step = step_of(state, "rebuild")
    step["details"].setdefault("guard_rows_deleted", []).append(hour)
    save(state)
    return n


def _run_verify(profile: Any, state: dict[str, Any], step: dict[str, Any], p: StepPlan,
                db: Any, client: Any, progress: Progress | None) -> dict[str, Any]:
    from attribtui.checks import CheckContext, run_checks_and_save, select
    from attribtui.services import journeys

    ctx = CheckContext(db=db, now=clock.now(), profile=profile)
    run_ = run_checks_and_save(
        ctx, select(None), progress=(lambda i, n, _r: progress("checks", i / n)) if progress
        else None)
    report_, path = run_.report, run_.saved
    ids = _affected_ids(state)
    reports = journeys.lookup(db, ids, primary=True)
    memo = journeys.Memo()
    statuses: dict[str, list[int]] = {}
    problems = []
    for r in reports:
        journeys.enrich(db, profile, r, memo)
        statuses.setdefault(r.status, []).append(r.conv_id)
        problems += [f"conv {r.conv_id}: {f.code} ({f.severity}): {f.message}"
                     for f in r.findings if f.severity == "fail"]
    summary = report_["summary"]
    bad = [c for c in report_["checks"] if c["status"] in ("fail", "error")]
    clean = not statuses.get("fail") and not statuses.get("error")
    text = ("journeys of the affected conversions: "
            + ", ".join(f"{k} {len(v)}" for k, v in sorted(statuses.items()))
            + "; checks: " + ", ".join(f"{k} {v}" for k, v in summary.items() if v)
            + ("" if clean else " — affected journeys still break the rule"))
    return _finish_step(profile, state, step, "done", result=text, details={
        "check_run": str(path), "summary": summary, "clean": clean,
        "journey_status": statuses, "journey_problems": problems[:20],
        "checks_not_ok": [f"{c['id']} {c['status']}: {c['details']}" for c in bad][:20]})


def _run_audit(profile: Any, state: dict[str, Any], step: dict[str, Any], p: StepPlan,
               db: Any, client: Any, progress: Progress | None) -> dict[str, Any]:
    from attribtui.services import report

    doc = report.build(profile, db, state["started_at"], clock.now(), rollback=state)
    audit = [f"{a['created_at_iso']} audit {a['audit_id']} {a['action']} model {a['model_id']}"
             for a in doc["audit"]]
    acts = [f"{e['ts_iso']} {e['operator']} {e['action']} {e.get('target') or ''}"
            for e in doc["timeline"]]
    return _finish_step(profile, state, step, "done",
                        result=f"{len(audit)} audit row(s), {len(acts)} console action(s)",
                        details={"audit": audit[-40:], "actions": acts[-40:],
                                 "audit_note": doc.get("audit_note")})


def _run_report(profile: Any, state: dict[str, Any], step: dict[str, Any], p: StepPlan,
                db: Any, client: Any, progress: Progress | None) -> dict[str, Any]:
    from attribtui.services import report

    now = clock.now()
    step.update(status="done", result="this report", ended_at=now, ended_at_iso=clock.iso(now))
    state.update(status="done", ended_at=now)
    doc = report.build(profile, db, state["started_at"], now, rollback=state)
    md, js = report.write(doc)
    return _finish_step(profile, state, step, "done", result=f"written to {md}",
                        details={"markdown": str(md), "json": str(js)})


# -- helping start one -----------------------------------------------------------------------------


def suggest_conv_ids(profile_name: str, user_id: int | None = None) -> list[int]:
    """Conversions the latest saved check run found with broken journeys (journeys.* evidence)."""
    from attribtui.checks import store

    runs = store.load_runs(profile_name, newest=1)
    if not runs:
        return []
    out: list[int] = []
    for c in runs[-1].get("checks", []):
        if not c["id"].startswith("journeys.") or c["status"] != "fail" or not c.get("evidence"):
            continue
        cols = c["evidence"]["columns"]
        if "conv_id" not in cols:
            continue
        ci, ui = cols.index("conv_id"), cols.index("user_id") if "user_id" in cols else None
        for row in c["evidence"]["rows"]:
            if user_id is None or ui is None or int(row[ui]) == user_id:
                out.append(int(row[ci]))
    return sorted(set(out))


def open_backends(profile: Any) -> tuple[Any, Any]:
    """(Database, V2Client) for the profile; either is None when not configured."""
    from attribtui.infra.api import V2Client
    from attribtui.infra.db import Database

    db = Database.from_profile(profile) if profile.db.url else None
    client = V2Client(profile) if profile.api.base_url else None
    return db, client
