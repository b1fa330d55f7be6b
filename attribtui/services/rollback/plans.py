"""Planning a walkthrough step: what running it will do now (reads only).

  mitigate  PATCH through the v2 client; services/models.py's planners defuse the default trap
  purge     delete the polluted journeys with a replayable backup (services/purge.py)
  backfill  rebuild exactly the affected user's journeys for the affected window (a job)
  rebuild   recompute the affected hours, hour-aligned --start=H0 --end=H1-1 (a job); the
            duplicate-window guard is found before launch; old numbers cannot come back
  verify, audit, report  read only
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from attribtui.checks import store as check_store
from attribtui.infra import clock
from attribtui.infra.api import V2Client
from attribtui.infra.config import Profile
from attribtui.infra.db import Database
from attribtui.prosper.hours import DAY, HOUR, hour
from attribtui.services import models, purge
from attribtui.services.actions import ActionPlan
from attribtui.services.jobs import preflight
from attribtui.services.jobs.command import JobRequest, build_commands
from attribtui.services.models import ModelAction
from attribtui.services.rollback.state import (
    Incident,
    RebuildSpan,
    RollbackError,
    Walkthrough,
    save,
)
from attribtui.vocab import JsonDict, Status, worst

VERIFY_LIMIT = 200  # affected conversions whose journeys the verify step looks up


@dataclass
class JobPlan:
    request: JobRequest
    preflight: preflight.Preflight


@dataclass
class StepPlan:
    """What running a step will do. `action` is set for writes (confirm it first)."""

    step: str
    lines: list[str] = field(default_factory=list)  # shown on screen and by `rollback show`
    action: ActionPlan | None = None
    refused: str | None = None  # cannot run as things are (the text says how to fix it)
    noop: str | None = None  # nothing to do: running it just records this
    change: ModelAction | None = None  # mitigate
    purge_plan: purge.PurgePlan | None = None  # purge
    job: JobPlan | None = None  # backfill, rebuild
    guard_hours: list[int] = field(default_factory=list)
    alternatives: list[tuple[int, int]] = field(default_factory=list)  # other rebuild windows


Planner = Callable[[Profile, Walkthrough, Database | None, V2Client | None], StepPlan]


def plan(profile: Profile, wt: Walkthrough, step_id: str, *, db: Database | None = None,
         client: V2Client | None = None) -> StepPlan:
    """Describe the step as things are now (reads only)."""
    planners: dict[str, Planner] = {
        "mitigate": _plan_mitigate, "purge": _plan_purge, "backfill": _plan_backfill,
        "rebuild": _plan_rebuild, "verify": _plan_verify, "audit": _plan_audit,
        "report": _plan_report}
    p = planners[wt.step(step_id).id](profile, wt, db, client)
    if p.action is not None and profile.read_only and not p.refused:
        p.refused = (f"profile '{profile.name}' is read-only: this step writes; view it here and "
                     "run it from a profile without read_only = true")
    return p


def _plan_mitigate(profile: Profile, wt: Walkthrough, db: Database | None,
                   client: V2Client | None) -> StepPlan:
    inc = wt.incident
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
        safe = listing.get(inc.safe_model_id) if inc.safe_model_id is not None else None
        if safe is None:
            p.refused = f"model {inc.safe_model_id} is not a model of user {inc.user_id}"
            return p
        action = models.plan_set_default(client, listing, safe)
    p.change, p.action = action, action.plan
    p.refused, p.noop = action.refused, action.noop
    p.lines = [action.plan.title, *action.plan.effects]  # the request is in the confirmation
    if bad is not None and bad.weighting_text:
        p.lines.append(f"Bad model: {bad.model_id} “{bad.name}” ({bad.type}, "
                       f"{bad.weighting_text}), updated {clock.describe(bad.updated_at)}")
    return p


def selection(wt: Walkthrough) -> purge.Selection:
    inc = wt.incident
    if inc.conv_ids:
        return purge.Selection(conv_ids=list(inc.conv_ids))
    return purge.Selection(user_id=inc.user_id, start=inc.start, end=inc.end)


def _plan_purge(profile: Profile, wt: Walkthrough, db: Database | None,
                client: V2Client | None) -> StepPlan:
    p = StepPlan("purge")
    if db is None:
        p.refused = "no database configured (db.url)"
        return p
    try:
        pp = purge.plan(db, selection(wt))
    except purge.PurgeRefused as e:
        p.refused = str(e)
        return p
    p.purge_plan = pp
    inc = wt.incident
    others = [a.user_id for a in pp.affected if a.user_id != inc.user_id]
    p.lines = [f"{len(pp.conv_ids)} conversion(s) selected, {pp.with_journey} with a journey, "
               f"{pp.touchpoint_rows} touchpoint row(s) to delete."]
    if pp.missing_ids:
        p.lines.append("Not in 202_conversion_logs (ignored): "
                       f"{', '.join(map(str, pp.missing_ids[:20]))}")
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


def affected(wt: Walkthrough, db: Database | None) -> tuple[int, int, int] | None:
    """(user, first conv_time, last conv_time) of the incident's conversions."""
    got = wt.step("purge").details.get("affected")
    inc = wt.incident
    if not got and db is not None:
        try:
            got = [asdict(a) for a in purge.plan(db, selection(wt)).affected]
        except purge.PurgeRefused:
            got = []
    mine = [a for a in got or [] if a["user_id"] == inc.user_id]
    if not mine:
        return None
    return inc.user_id, mine[0]["start"], mine[0]["end"]


def _job_plan(profile: Profile, p: StepPlan, req: JobRequest, db: Database) -> None:
    pf = preflight.run(profile, req, db)
    commands = build_commands(profile, req)
    p.job = JobPlan(req, pf)
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


def _plan_backfill(profile: Profile, wt: Walkthrough, db: Database | None,
                   client: V2Client | None) -> StepPlan:
    p = StepPlan("backfill")
    if db is None:
        p.refused = "no database configured (db.url)"
        return p
    aff = affected(wt, db)
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


def rebuild_window(wt: Walkthrough, db: Database | None, now: int | None = None
                   ) -> RebuildSpan | None:
    """The hour-aligned window to rebuild, with the evidence it was found from.

    H0 = hour of the first affected conversion, H1 = the hour after the last one; the bad
    model's create/update audit rows and the snapshot_rebuild rows over it are the evidence.
    """
    if wt.rebuild_window is not None:
        return wt.rebuild_window
    now = clock.now() if now is None else now
    inc = wt.incident
    aff = affected(wt, db)
    if aff is not None:
        first, last = aff[1], aff[2]
    elif inc.start is not None and inc.end is not None:
        first, last = inc.start, inc.end
    else:
        return None
    h0, h1 = hour(first), hour(last) + HOUR
    notes = [f"affected conversions: conv_time {clock.iso(first)} .. {clock.iso(last)}"]
    end = h1 - 1
    if end >= hour(now):
        # Never --end=now: a run ending in the current hour writes that hour's guard row and
        # the :15 cron then skips it. The last full hour ends the window; the cron rebuilds
        # the current hour itself.
        end = hour(now) - 1
        notes.append(f"the window ends at the last full hour ({clock.iso(end)}): the current "
                     f"hour ({clock.iso(hour(now))}) is left to the hourly cron, whose guard "
                     "row a run ending now would take")
    if end <= h0:
        return None
    notes += _audit_evidence(db, inc, h0, h1)
    return RebuildSpan(h0, end, notes)


def _audit_evidence(db: Database | None, inc: Incident, h0: int, h1: int) -> list[str]:
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


def choose_rebuild_window(wt: Walkthrough, start: int, end: int) -> RebuildSpan:
    """Set another hour-aligned window (e.g. an --end in another hour, past the guard)."""
    if start % HOUR or (end + 1) % HOUR or start >= end:
        raise RollbackError("the rebuild window must be hour-aligned: --start=H0 --end=H1-1 with "
                            "H0 < H1 whole hours")
    why = list(wt.rebuild_window.why) if wt.rebuild_window else []
    why.append(f"chosen by the operator: {clock.iso(start)} .. {clock.iso(end)}")
    wt.rebuild_window = RebuildSpan(start, end, why)
    save(wt)
    return wt.rebuild_window


def _plan_rebuild(profile: Profile, wt: Walkthrough, db: Database | None,
                  client: V2Client | None) -> StepPlan:
    p = StepPlan("rebuild")
    if db is None:
        p.refused = "no database configured (db.url)"
        return p
    win = rebuild_window(wt, db)
    if win is None:
        p.noop = ("no full hour to rebuild: the affected conversions are in the current hour, "
                  "which the hourly cron rebuilds at :15 from the restored journeys")
        return p
    user = wt.incident.user_id
    p.lines = [f"Rebuilds user {user}'s active models over {clock.iso(win.start)} .. "
               f"{clock.iso(win.end)} ("
               + "hour-aligned: --start=H0 --end=H1-1) from the restored journeys.",
               "A rebuild recomputes from the current journeys: it cannot bring back the numbers "
               "of before the incident. An inactive model (the one just "
               "deactivated) is not rebuilt; its snapshots stay as they are.",
               *[f"Found from: {w}" for w in win.why]]
    chunk = DAY if win.end - win.start >= DAY else None
    _job_plan(profile, p, JobRequest("rebuild", win.start, win.end, user=user, chunk=chunk), db)
    if p.guard_hours:
        now = clock.now()
        nxt = hour(win.end) + HOUR
        if nxt + HOUR - 1 < now:
            p.alternatives.append((win.start, nxt + HOUR - 1))
        p.lines.append("The duplicate-window guard would skip this run. Either extend the window "
                       "by an hour (its --end then falls in another hour), or delete the guard "
                       "row (confirmed and logged).")
    return p


def affected_ids(wt: Walkthrough) -> list[int]:
    ids = wt.incident.conv_ids or wt.step("purge").details.get("deleted_conv_ids") or []
    return [int(i) for i in ids][:VERIFY_LIMIT]


def _plan_verify(profile: Profile, wt: Walkthrough, db: Database | None,
                 client: V2Client | None) -> StepPlan:
    p = StepPlan("verify")
    if db is None:
        p.refused = "no database configured (db.url)"
        return p
    before = checks_before(wt)
    p.lines = ["Runs every check (saved, for the report's before/after) and the journey checks "
               f"of the {len(affected_ids(wt))} affected conversion(s), reading the primary.",
               "Compares each check with the run before the walkthrough "
               + (f"({before.get('generated_at_iso')}): " if before else "(none saved: the "
                  "Health screen or `attribtui check` saves one): ")
               + "done only when none got worse, or when you accept the difference with a "
               "reason (a, recorded).",
               "Reads only; no confirmation needed."]
    return p


def checks_before(wt: Walkthrough) -> JsonDict | None:
    """The last check run saved before the walkthrough started (the state to compare with)."""
    runs = check_store.load_runs(wt.profile, until=wt.started_at)
    runs = [r for r in runs if r.get("generated_at", 0) <= wt.started_at]
    return runs[-1] if runs else None


def got_worse(before: JsonDict | None, after: JsonDict) -> list[str]:
    """Each check whose status is worse after than before, as `id: before → after`."""
    if before is None:
        return []
    was = {c["id"]: str(c["status"]) for c in before.get("checks", [])}
    out = []
    for c in after.get("checks", []):
        old, new = was.get(c["id"]), str(c["status"])
        if old is not None and worst([old, new]) == new and new != old and \
                worst([old, new]) not in (Status.OK, Status.INFO):
            out.append(f"{c['id']}: {old} → {new}")
    return out


def _plan_audit(profile: Profile, wt: Walkthrough, db: Database | None,
                client: V2Client | None) -> StepPlan:
    return StepPlan("audit", [
        f"Lists the 202_attribution_audit rows and the console actions since the walkthrough "
        f"started ({clock.iso(wt.started_at)}). Reads only."])


def _plan_report(profile: Profile, wt: Walkthrough, db: Database | None,
                 client: V2Client | None) -> StepPlan:
    return StepPlan("report", [
        "Writes the incident report (Markdown + JSON, secrets redacted) of this walkthrough: "
        "every step, the console actions, the jobs with their log tails, the purge backups, "
        "checks before and after, the audit rows. Closes the walkthrough."])
