"""Running a planned walkthrough step (the caller has confirmed its action first).

Job steps (backfill, rebuild) start a detached job and return `running`; the caller follows it
and settles the step when the job ends (state.settle_job), now or after a resume.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from attribtui.checks.catalog import select
from attribtui.checks.framework import CheckContext
from attribtui.checks.results import empty_text
from attribtui.checks.runner import run_checks_and_save
from attribtui.infra import clock
from attribtui.infra.api import V2Client
from attribtui.infra.config import Profile
from attribtui.infra.db import Database
from attribtui.infra.redact import redact_text
from attribtui.services import journeys, models, purge, report
from attribtui.services.jobs import preflight, runner
from attribtui.services.rollback.plans import StepPlan, affected_ids, checks_before, got_worse
from attribtui.services.rollback.state import (
    RollbackError,
    Step,
    Walkthrough,
    finish_step,
    job_of,
    mark_running,
    save,
    settle_job,
)
from attribtui.vocab import Status, StepStatus

Progress = Callable[[str, float], None]
StepRunner = Callable[[Profile, Walkthrough, Step, StepPlan, Database | None, V2Client | None,
                       Progress | None], Step]


def run(profile: Profile, wt: Walkthrough, p: StepPlan, *, db: Database | None = None,
        client: V2Client | None = None, progress: Progress | None = None) -> Step:
    """Run a planned step (the caller has confirmed p.action). Job steps return `running`."""
    step = wt.step(p.step)
    if step.finished:
        raise RollbackError(f"step {p.step} is already {step.status}")
    if step.status == StepStatus.RUNNING:
        raise RollbackError(f"step {p.step} is already running")
    if p.refused:
        raise RollbackError(f"step {p.step} cannot run: {p.refused}")
    cur = wt.current
    if cur is not None and cur.id != p.step:
        raise RollbackError(f"step {cur.id} comes first: run it or skip it with a reason")
    if p.noop:
        return finish_step(profile, wt, step, StepStatus.DONE, result=p.noop)
    mark_running(wt, step)
    runners: dict[str, StepRunner] = {
        "mitigate": _run_mitigate, "purge": _run_purge, "backfill": _run_job,
        "rebuild": _run_job, "verify": _run_verify, "audit": _run_audit, "report": _run_report}
    try:
        return runners[p.step](profile, wt, step, p, db, client, progress)
    except Exception as e:  # recorded on the step, never a crash: the walkthrough goes on
        msg = redact_text(f"{type(e).__name__}: {e}", profile.secrets())
        return finish_step(profile, wt, step, StepStatus.FAILED, result=msg)


def _run_mitigate(profile: Profile, wt: Walkthrough, step: Step, p: StepPlan, db: Database | None,
                  client: V2Client | None, progress: Progress | None) -> Step:
    assert p.change is not None and client is not None  # the planner set them
    out = models.execute(p.change, client, profile, db)
    details = {"requests": [r.shown for r in p.change.requests], "model_after": out.model_after,
               "partial": out.partial}
    return finish_step(profile, wt, step, StepStatus.DONE if out.ok else StepStatus.FAILED,
                       result=out.message, details=details)


def _run_purge(profile: Profile, wt: Walkthrough, step: Step, p: StepPlan, db: Database | None,
               client: V2Client | None, progress: Progress | None) -> Step:
    assert p.purge_plan is not None and db is not None  # the planner set them
    res = purge.execute(db, profile, p.purge_plan, progress=progress)
    details = {"backup": res.backup, "backed_up_rows": res.backed_up_rows,
               "deleted_rows": res.deleted_rows, "deleted_conv_ids": res.deleted_conv_ids,
               "not_deleted_conv_ids": res.not_deleted_conv_ids,
               "unknown_conv_ids": res.unknown_conv_ids, "truth": res.truth, "cache": res.cache,
               "affected": [asdict(a) for a in res.affected]}
    text = (f"deleted {res.deleted_rows} row(s) of {len(res.deleted_conv_ids)} conversion(s); "
            f"backup {res.backup}")
    if res.error and not res.complete:
        text = f"{res.summary()}; {text}"
    return finish_step(profile, wt, step, StepStatus.DONE if res.complete else StepStatus.FAILED,
                       result=text, details=details)


def _run_job(profile: Profile, wt: Walkthrough, step: Step, p: StepPlan, db: Database | None,
             client: V2Client | None, progress: Progress | None) -> Step:
    assert p.job is not None  # the planner set it
    req, pf = p.job.request, p.job.preflight
    rec = runner.start(profile, req, total=pf.conversions, users_total=pf.users_total)
    step.details.update(job_id=rec.id, command=rec.meta.get("command"),
                        window={"start": req.start, "end": req.end,
                                "start_iso": clock.iso(req.start), "end_iso": clock.iso(req.end)},
                        stdout_log=str(rec.stdout_log), stderr_log=str(rec.stderr_log))
    save(wt)
    return step


def wait_job(profile: Profile, wt: Walkthrough, step_id: str,
             on_batch: runner.Batch | None = None) -> Step:
    """Follow a job step to its end (headless, tests), then settle it."""
    rec = job_of(wt, step_id)
    if rec is None:
        raise RollbackError(f"step {step_id} has no job")
    runner.run_attached(rec, on_batch or (lambda _lines, _snap: None))
    return settle_job(profile, wt, step_id)


def delete_guard(profile: Profile, wt: Walkthrough, hour: int, db: Database | None = None) -> int:
    """The upstream's second way past the guard: delete one guard row (the caller confirmed)."""
    if profile.read_only:
        raise RollbackError(f"profile '{profile.name}' is read-only: the guard row stays")
    n = preflight.delete_guard_row(profile, hour, db)
    wt.step("rebuild").details.setdefault("guard_rows_deleted", []).append(hour)
    save(wt)
    return n


def _run_verify(profile: Profile, wt: Walkthrough, step: Step, p: StepPlan, db: Database | None,
                client: V2Client | None, progress: Progress | None) -> Step:
    assert db is not None  # the planner refused otherwise
    before = checks_before(wt)  # read first: this run is saved under the same profile
    ctx = CheckContext(db=db, now=clock.now(), profile=profile)
    checked = run_checks_and_save(
        ctx, select(None), progress=(lambda i, n, _r: progress("checks", i / n)) if progress
        else None)
    reports = journeys.lookup(db, affected_ids(wt), primary=True)
    statuses: dict[str, list[int]] = {}
    problems = []
    for r in journeys.enrich_each(db, profile, reports, primary=True):  # verify reads the primary
        statuses.setdefault(str(r.status), []).append(r.conv_id)
        problems += [f"conv {r.conv_id}: {f.code} ({f.severity}): {f.message}"
                     for f in r.findings if f.severity == Status.FAIL]
    summary = checked.report["summary"]
    empty = empty_text(checked.report)
    worse = got_worse(before, checked.report)
    bad = [c for c in checked.report["checks"] if c["status"] in (Status.FAIL, Status.ERROR)]
    clean = not statuses.get(Status.FAIL) and not statuses.get(Status.ERROR)
    compared = (f"compared with {before.get('generated_at_iso')}: "
                + (f"{len(worse)} check(s) got worse" if worse else "none got worse")
                if before else "no check run before the walkthrough to compare with")
    text = ("journeys of the affected conversions: "
            + ", ".join(f"{k} {len(v)}" for k, v in sorted(statuses.items()))
            + "; checks: " + ", ".join(f"{k} {v}" for k, v in summary.items() if v)
            + f"; {compared}"
            + (f" ({empty}: they verify nothing)" if empty else "")
            + ("" if clean else " — affected journeys still break the rule"))
    ok = clean and not worse and before is not None
    if not ok:
        text += "; a accepts the difference with a reason, or fix it and run verify again"
    return finish_step(profile, wt, step, StepStatus.DONE if ok else StepStatus.FAILED,
                       result=text, details={
        "check_run": str(checked.saved), "summary": summary, "clean": clean,
        "before": before.get("_path") if before else None,
        "before_iso": before.get("generated_at_iso") if before else None,
        "got_worse": worse,
        "journey_status": statuses, "journey_problems": problems[:20],
        "checks_not_ok": [f"{c['id']} {c['status']}: {c['details']}" for c in bad][:20],
        "nothing_to_examine": checked.report["nothing_to_examine"]})


def _run_audit(profile: Profile, wt: Walkthrough, step: Step, p: StepPlan, db: Database | None,
               client: V2Client | None, progress: Progress | None) -> Step:
    doc = report.build(profile, db, wt.started_at, clock.now(), rollback=wt.to_json())
    audit = [f"{a['created_at_iso']} audit {a['audit_id']} {a['action']} model {a['model_id']}"
             for a in doc["audit"]]
    acts = [f"{e['ts_iso']} {e['operator']} {e['action']} {e.get('target') or ''}"
            for e in doc["timeline"]]
    return finish_step(profile, wt, step, StepStatus.DONE,
                       result=f"{len(audit)} audit row(s), {len(acts)} console action(s)",
                       details={"audit": audit[-40:], "actions": acts[-40:],
                                "audit_note": doc.get("audit_note")})


def _run_report(profile: Profile, wt: Walkthrough, step: Step, p: StepPlan, db: Database | None,
                client: V2Client | None, progress: Progress | None) -> Step:
    now = clock.now()
    step.status, step.result, step.ended_at, step.ended_at_iso = (
        StepStatus.DONE, "this report", now, clock.iso(now))
    wt.status, wt.ended_at = "done", now
    doc = report.build(profile, db, wt.started_at, now, rollback=wt.to_json())
    md, js = report.write(doc, profile)
    return finish_step(profile, wt, step, StepStatus.DONE, result=f"written to {md}",
                       details={"markdown": str(md), "json": str(js)})


def open_backends(profile: Profile) -> tuple[Database | None, V2Client | None]:
    """(Database, V2Client) for the profile; either is None when not configured."""
    db = Database.from_profile(profile) if profile.db.url else None
    client = V2Client(profile) if profile.api.base_url else None
    return db, client
