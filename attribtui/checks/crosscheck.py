"""Heartbeat cross-check (group `cron`): a fresh heartbeat without the rebuild's audit rows.

attribution-rebuild.php writes its heartbeat (202_cronjob_logs id 2) even when the run fails
(docs/prosper202.md, "Cron scripts"), so a fresh heartbeat alone proves nothing. A successful run
writes one snapshot_rebuild audit row per model whenever its 24 h window has conversions:
conversions in the hour before the heartbeat without such a row since one hour before it mean the
runs are failing. Unless the heartbeat came from a manual run (a window other than the cron's
last 24 h, e.g. a rollback's `--user=1 --start=H0 --end=H1-1`): upstream writes the same heartbeat
then, and the users it was not asked to rebuild wait for the next scheduled run.
"""

from __future__ import annotations

from collections import Counter

from attribtui.checks.bounded import skip_on_missing
from attribtui.checks.framework import (
    CheckContext,
    Evidence,
    Outcome,
    check,
    nothing_to_examine,
)
from attribtui.checks.recent import (
    convs_between,
    heartbeat,
    live_users_with_active_models,
    rebuilds_since,
    users,
)
from attribtui.checks.remedies import rebuild_commands
from attribtui.infra import clock
from attribtui.prosper.hours import DAY, HOUR
from attribtui.vocab import Status

LIMIT = 5_000


@check("cron.rebuild_crosscheck", "Rebuild heartbeat matches snapshot_rebuild audit rows")
@skip_on_missing
def rebuild_crosscheck(ctx: CheckContext) -> Outcome:
    hb = heartbeat(ctx)
    if not hb:
        return nothing_to_examine("No rebuild heartbeat to cross-check (see "
                                  "cron.attribution_heartbeat).")
    since = hb - HOUR
    rebuilt, _ = rebuilds_since(ctx, since)
    per_user = live_users_with_active_models(ctx)
    convs = Counter(c.user_id for c in convs_between(ctx, since, hb, LIMIT))
    done = {r.user_id for r in rebuilt}
    silent = [u for u in per_user if convs.get(u) and u not in done]
    if not any(convs.get(u) for u in per_user):
        return nothing_to_examine(
            f"No conversion of a user with an active model in the hour before the heartbeat "
            f"({clock.describe(hb, ctx.now)}): no rebuild had to write audit rows, nothing to "
            "cross-check.")
    if not silent:
        return Outcome(Status.OK, f"Every user with an active model and conversions in the hour before "
                             f"the heartbeat ({clock.describe(hb, ctx.now)}) has snapshot_rebuild "
                             "audit rows since then.")
    names = users(ctx, silent)
    rows = [[u, names.get(u, ("?", False))[0], convs[u], clock.iso(hb),
             f"no snapshot_rebuild since {clock.iso(since)}"] for u in silent]
    latest = max(rebuilt, key=lambda r: r.audit_id, default=None)
    if latest is not None and latest.end - latest.start != DAY:
        who = sorted({r.user_id for r in rebuilt if (r.start, r.end) == (latest.start,
                                                                         latest.end)})
        return Outcome(Status.INFO,
            f"The heartbeat ({clock.describe(hb, ctx.now)}) was written by a manual rebuild of "
            f"{clock.iso(latest.start)} .. {clock.iso(latest.end)} (not the cron's last 24 h) "
            f"that rebuilt user(s) {', '.join(map(str, who))}: {len(silent)} other user(s) with "
            "conversions wait for the next scheduled run (or failed in that run: its output says "
            "which). This cross-check judges again after the next :15 run.",
            Evidence.of(["user_id", "user_name", "conversions in the hour before the heartbeat",
                         "heartbeat", "problem"], rows))
    return Outcome(Status.WARN,
        f"The heartbeat says the rebuild ran {clock.describe(hb, ctx.now)}, but {len(silent)} "
        "user(s) with conversions in the hour before it got no snapshot_rebuild audit row since "
        "one hour before it: the runs start (and write the heartbeat) but fail for them. A model "
        "row the engine cannot parse (models.types, models.weighting) fails a whole user.",
        Evidence.of(["user_id", "user_name", "conversions in the hour before the heartbeat",
                     "heartbeat", "problem"], rows),
        "Read the rebuild's cron log for 'Attribution recalculation completed with errors:' and "
        "'User N: …' lines, fix the cause, then rerun the missed hours by hand (hour-aligned): "
        + rebuild_commands(ctx, silent[0], hb - 24 * HOUR, hb - HOUR),
    )
