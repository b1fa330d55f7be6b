"""The export pipeline (group `exports`): stuck, failed and waiting attribution export jobs.

attribution-export.php exits 0 even when jobs fail (docs/prosper202.md, "Cron scripts"), so the job
rows are the only honest record. Reads go through KEY user_status (user_id, status) with a LIMIT:
202_attribution_exports has no index on status alone.
"""

from __future__ import annotations

from typing import Any

from attribtui.checks.bounded import skip_on_missing
from attribtui.checks.framework import (
    CheckContext,
    Evidence,
    Outcome,
    check,
    nothing_to_examine,
)
from attribtui.checks.recent import heartbeats
from attribtui.checks.remedies import script_command
from attribtui.infra import clock
from attribtui.infra.db import RawRow, in_clause
from attribtui.prosper import scripts
from attribtui.prosper import tables as pt
from attribtui.queries.cron import EXPORT_HEARTBEAT
from attribtui.vocab import Status

STUCK_S = 3600
PENDING_S = 3600
EXPORT_CRON_DOWN_S = 24 * 3600
LIMIT = 100
COLS = ["export_id", "user_id", "model_id", "status", "window", "queued", "age", "detail"]
INSPECT = ("SELECT export_id, user_id, model_id, status, queued_at, started_at, failed_at, "
           "last_error FROM 202_attribution_exports WHERE export_id = {id};")


def _jobs(ctx: CheckContext, status: str, extra: str = "", params: dict[str, object] | None = None) -> list[RawRow]:
    user_ids = ctx.memo("exports.users", lambda: [int(r[0]) for r in ctx.read(
        f"SELECT user_id FROM `{pt.users.name}` ORDER BY user_id LIMIT 1000")])
    if not user_ids:
        return []
    sql, p = in_clause("u", user_ids)
    return ctx.read("SELECT export_id, user_id, model_id, status, start_hour, end_hour, queued_at, "
                     f"started_at, failed_at, last_error FROM `{pt.attribution_exports.name}` "
                     f"WHERE user_id IN ({sql}) AND status = :s {extra} "
                     f"ORDER BY export_id DESC LIMIT {LIMIT}", {**p, "s": status, **(params or {})})


def newest_job(ctx: CheckContext) -> tuple[int, int] | None:
    """(export_id, queued_at) of the newest export job of any status (the primary key), or None:
    with no job at all the export checks have nothing to examine."""
    def go() -> tuple[int, int] | None:
        rows = ctx.read(f"SELECT export_id, queued_at FROM `{pt.attribution_exports.name}` "
                        "ORDER BY export_id DESC LIMIT 1")
        return (int(rows[0][0]), int(rows[0][1] or 0)) if rows else None

    return ctx.memo("exports.newest", go)


NO_JOBS = "No attribution export job exists (202_attribution_exports is empty): nothing to examine."


def _row(r: Any, since: int | None, now: int, detail: str) -> list[Any]:
    window = f"{clock.iso(int(r[4]))} .. {clock.iso(int(r[5]))}"
    return [int(r[0]), int(r[1]), int(r[2]), r[3], window, clock.iso(int(r[6])),
            clock.ago(now - since) if since else "", detail]


@check("exports.stuck", "No export job stuck in processing")
@skip_on_missing
def stuck(ctx: CheckContext) -> Outcome:
    if newest_job(ctx) is None:
        return nothing_to_examine(NO_JOBS)
    jobs = [r for r in _jobs(ctx, "processing")
            if ctx.now - int(r[7] or r[6]) > STUCK_S]
    if not jobs:
        return Outcome(Status.OK, "No export job has been processing for over 1 h.")
    rows = [_row(r, int(r[7] or r[6]), ctx.now, "processing for over 1 h") for r in jobs]
    return Outcome(Status.FAIL,
        f"{len(jobs)} export job(s) have been in 'processing' for over 1 h: the export cron died "
        "mid-job (it picks up only 'pending' jobs, so these never finish and their webhook never "
        "fires).",
        Evidence.of(COLS, rows),
        f"Inspect: {INSPECT.format(id=rows[0][0])} Check the export cron log, then requeue the job "
        "(back it up first: mysqldump --where='export_id=N' prosper202 202_attribution_exports): "
        f"UPDATE 202_attribution_exports SET status = 'pending', started_at = NULL WHERE export_id "
        f"= {rows[0][0]}; and run {script_command(ctx, scripts.EXPORT)}.",
    )


@check("exports.failed", "No failed export job in the window")
@skip_on_missing
def failed(ctx: CheckContext) -> Outcome:
    start = ctx.now - ctx.window_s
    newest = newest_job(ctx)
    if newest is None:
        return nothing_to_examine(NO_JOBS)
    jobs = [r for r in _jobs(ctx, "failed") if int(r[8] or r[6]) >= start]
    if not jobs and newest[1] < start:
        return nothing_to_examine(f"No export job was queued in the last "
                                  f"{clock.ago(ctx.window_s)} (the newest, {newest[0]}, was queued "
                                  f"{clock.describe(newest[1], ctx.now)}): nothing to examine.")
    if not jobs:
        return Outcome(Status.OK, f"No export job failed in the last {clock.ago(ctx.window_s)}.")
    rows = [_row(r, int(r[8] or r[6]), ctx.now, (r[9] or "no last_error recorded")[:200])
            for r in jobs]
    return Outcome(Status.WARN,
        f"{len(jobs)} export job(s) failed in the last {clock.ago(ctx.window_s)} (the export cron "
        f"still exited 0). First error: {rows[0][7]}",
        Evidence.of(COLS, rows),
        f"Inspect: {INSPECT.format(id=rows[0][0])} Fix the cause in last_error, then schedule the "
        "export again: POST /api/v2/attribution/models/MODEL_ID/exports?apikey=… with the same "
        "scope, start_hour and end_hour.",
    )


@check("exports.pending", "Pending export jobs are picked up")
@skip_on_missing
def pending(ctx: CheckContext) -> Outcome:
    if newest_job(ctx) is None:
        return nothing_to_examine(NO_JOBS)
    jobs = [r for r in _jobs(ctx, "pending") if ctx.now - int(r[6]) > PENDING_S]
    if not jobs:
        return Outcome(Status.OK, "No export job has been pending for over 1 h.")
    beat = heartbeats(ctx).get(EXPORT_HEARTBEAT)
    down = not beat or ctx.now - beat > EXPORT_CRON_DOWN_S
    cron = (f"the export cron last ran {clock.describe(beat, ctx.now)}" if beat
            else "the export cron never recorded a run")
    detail = (f"pending; export cron not running ({cron})" if down else f"pending; {cron}")
    rows = [_row(r, int(r[6]), ctx.now, detail) for r in jobs]
    return Outcome(Status.FAIL if down else Status.WARN,
        f"{len(jobs)} export job(s) have been pending for over 1 h; {cron}"
        + (" (over 24 h: the export cron is not running)." if down
           else ". It takes at most 5 jobs per run, oldest first: a backlog or a slow run."),
        Evidence.of(COLS, rows),
        f"Schedule the export cron (as for the rebuild: {scripts.CRON_SCHEDULE} "
        f"{script_command(ctx, scripts.EXPORT)} >> /var/log/prosper202/attribution-export.log "
        f"2>&1) or run it now; then check: {INSPECT.format(id=rows[0][0])}",
    )
