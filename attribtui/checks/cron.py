"""Cron checks: the rebuild and export heartbeats and the rebuild's duplicate-window guard.

Prosper202's own System Checks (docs/prosper202.md, "System checks") allow 24 h; the rebuild is
meant to run hourly, so attribtui warns after 2 h. The heartbeat (202_cronjob_logs id 2) is written
even by failed runs (docs/prosper202.md, "Cron scripts"), so a fresh one proves only that the script
started.
"""

from __future__ import annotations

from attribtui.checks.framework import (
    CheckContext,
    Evidence,
    Outcome,
    check,
    nothing_to_examine,
)
from attribtui.checks.recent import heartbeats
from attribtui.checks.remedies import script_path
from attribtui.infra import clock
from attribtui.prosper import scripts
from attribtui.prosper.hours import DAY, HOUR, hour
from attribtui.queries.cron import EXPORT_HEARTBEAT, REBUILD_HEARTBEAT, newest_guard
from attribtui.vocab import Status

HEARTBEAT_WARN_S = 2 * HOUR
HEARTBEAT_FAIL_S = DAY
GUARD_SKIP_LINE = "Attribution cron already processed this window; skipping."


def _evidence(row_id: int, value: int | None, now: int) -> Evidence:
    age = clock.ago(now - value) if value else "never"
    return Evidence.of(
        ["table", "id", "last_execution_time", "last_execution_time_iso", "age"],
        [["202_cronjob_logs", row_id, value, clock.iso(value) if value else None, age]],
    )


@check("cron.attribution_heartbeat", "Attribution rebuild cron heartbeat")
def attribution_heartbeat(ctx: CheckContext) -> Outcome:
    last = heartbeats(ctx).get(REBUILD_HEARTBEAT)
    cron_line = (f"{scripts.CRON_SCHEDULE} /usr/bin/php {script_path(ctx, scripts.REBUILD)} "
                 ">> /var/log/prosper202/attribution-cron.log 2>&1")
    caveat = ("Prosper202 writes this timestamp even when the run fails, so a fresh heartbeat "
              "only proves the script started; read the cron log for its outcome.")
    if not last:
        return Outcome(Status.WARN,
            "The attribution rebuild has never recorded a run (202_cronjob_logs id 2 is missing "
            "or 0): snapshots and credits are not being computed. " + caveat,
            _evidence(REBUILD_HEARTBEAT, last, ctx.now),
            f"Schedule the rebuild hourly (upstream example, as root's or the web user's crontab): {cron_line}",
        )
    age = ctx.now - last
    ev = _evidence(REBUILD_HEARTBEAT, last, ctx.now)
    if age < -60:
        return Outcome(Status.WARN,
            f"The heartbeat is {clock.ago(-age)} in the future ({clock.iso(last)}): the database "
            "clock or this machine's clock is wrong, and every age here is suspect.",
            ev,
            "Compare the DB server's clock with NTP (see db.clock_skew) and fix the one that drifts.",
        )
    desc = f"Last attribution rebuild ran {clock.describe(last, ctx.now)}."
    if age > HEARTBEAT_FAIL_S:
        status, head = Status.FAIL, f"{desc} Older than 24 h: snapshots are stale for every model."
    elif age > HEARTBEAT_WARN_S:
        status, head = Status.WARN, f"{desc} It is meant to run hourly; the last {age // HOUR} runs are missing."
    else:
        return Outcome(Status.OK, f"{desc} {caveat}", ev)
    return Outcome(
        status,
        f"{head} {caveat}",
        ev,
        f"Check that the cron entry exists and its log for errors; the upstream schedule is: "
        f"{cron_line}. Then rebuild the missed window in chunks of at most 24 h with "
        "hour-aligned bounds (--start=H0 --end=H1-1).",
    )


@check("cron.export_heartbeat", "Attribution export cron heartbeat")
def export_heartbeat(ctx: CheckContext) -> Outcome:
    last = heartbeats(ctx).get(EXPORT_HEARTBEAT)
    if not last:
        return nothing_to_examine(
            "The export cron has never recorded a run (202_cronjob_logs id 3): no heartbeat to "
            "examine. It matters only if attribution exports are scheduled; it exits 0 even when "
            "jobs fail.",
            _evidence(EXPORT_HEARTBEAT, last, ctx.now),
        )
    return Outcome(Status.INFO,
        f"Last attribution export cron run {clock.describe(last, ctx.now)}. It exits 0 even when "
        "jobs fail, so judge exports by their job rows.",
        _evidence(EXPORT_HEARTBEAT, last, ctx.now),
    )


@check("cron.rebuild_guard", "Rebuild duplicate-window guard")
def rebuild_guard(ctx: CheckContext) -> Outcome:
    newest = newest_guard(ctx.read)
    this_hour = hour(ctx.now)
    if newest is None:
        return nothing_to_examine(
            "No guard row ('attr' in 202_cronjobs) to examine: the next rebuild, scheduled or "
            "manual, will run.",
            Evidence.of(["table", "cronjob_type", "newest cronjob_time"], [["202_cronjobs", "attr", None]]),
        )
    ev = Evidence.of(
        ["table", "cronjob_type", "cronjob_time", "cronjob_time_iso", "current hour_iso"],
        [["202_cronjobs", "attr", newest, clock.iso(newest), clock.iso(this_hour)]],
    )
    skip = (f"a rebuild whose --end falls in that hour will print '{GUARD_SKIP_LINE}' and do "
            "nothing (the guard ignores --user and --start)")
    if newest > this_hour:
        return Outcome(Status.WARN,
            f"A guard row exists for a future hour ({clock.iso(newest)}): {skip}, so the scheduled "
            "run in that hour will be skipped. A manual rebuild with a future --end wrote it.",
            ev,
            "Delete that guard row once you are sure no rebuild is running: "
            f"DELETE FROM 202_cronjobs WHERE cronjob_type = 'attr' AND cronjob_time = {newest};",
        )
    if newest == this_hour:
        return Outcome(Status.INFO,
            f"This hour ({clock.iso(this_hour)}) is already guarded: {skip}. Use an --end in "
            "another hour for a manual rebuild now.",
            ev,
        )
    return Outcome(Status.INFO,
        f"Newest guarded hour is {clock.describe(newest, ctx.now)}; the current hour is not guarded.",
        ev,
    )
