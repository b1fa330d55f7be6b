"""What the crons made of the story: the hourly rebuild replayed up to the last heartbeat, the
export cron's jobs, and the crons' own records.

The rebuild runs at :15 from the models' creation up to hb (docs/prosper202.md §Rebuild runner):
its snapshots, credits (prosper/credit.py) and snapshot_rebuild audit rows are what those runs
would have left, so a healthy sandbox passes the console's checks.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from attribtui.prosper.credit import (
    RUNNER_BATCH,
    Contribution,
    Credit,
    assign_credits,
    contribution,
    hour_totals,
    round_credit,
    store_money,
)
from attribtui.prosper.hours import DAY, HOUR, hour
from attribtui.queries.cron import EXPORT_HEARTBEAT, GUARD_TYPE, REBUILD_HEARTBEAT
from attribtui.sandbox.defects import CRON_MINUTE_OFFSET, next_cron_run
from attribtui.sandbox.seed.records import (
    CONVERSION_DAYS,
    AuditLog,
    ModelSpec,
    Row,
    SeededConversion,
)

MAIN_HEARTBEAT = 1  # 202_cronjob_logs id of the main cron

_Credited = tuple[SeededConversion, list[Credit], Contribution]


@dataclass
class Replayed:
    snapshots: list[Row]  # 202_attribution_snapshots, by snapshot_id
    credits: list[Row]  # 202_attribution_touchpoints, by touchpoint_id
    hours: dict[int, list[int]]  # model_id -> the date_hours of its snapshots


def snapshots(models: Sequence[tuple[int, ModelSpec]], conversions: Sequence[SeededConversion],
              audit: AuditLog, *, now: int, hb: int, models_at: int) -> Replayed:
    """The snapshots and credits of the active models, and their snapshot_rebuild audit rows.

    Each hour's snapshot holds every non-deleted conversion of that hour up to hb, created by
    the first run that saw one and last rewritten by the last run whose 24 h window covered it.
    """
    rows: list[Row] = []
    keys: list[tuple[int, int, int]] = []  # (created_at, model_id, date_hour), for the ids
    hours_by_model: dict[int, list[int]] = defaultdict(list)
    credits_by_snapshot: list[list[Row]] = []
    for model_id, spec in models:
        if not spec.active:
            continue
        convs = [c for c in conversions
                 if c.click.user_id == spec.user_id and not c.deleted and c.conv_time <= hb]
        hours: dict[int, list[_Credited]] = defaultdict(list)
        parts = []
        for conv in convs:
            credits = assign_credits(spec.type, spec.config, conv.credit_journey, conv.touch,
                                     conv.conv_time)
            part = contribution(credits, conv.payout, conv.click.cpc)
            hours[hour(conv.conv_time)].append((conv, credits, part))
            parts.append(part)
        _rebuild_audit(audit, model_id, spec, convs, parts, now=now, hb=hb, models_at=models_at)
        for date_hour, items in hours.items():
            last_run = min(hb, date_hour + DAY + CRON_MINUTE_OFFSET)
            created = max(next_cron_run(items[0][0].conv_time), next_cron_run(models_at))
            hour_parts = [part for _, _, part in items]
            revenue, cost = hour_totals(hour_parts)
            rows.append({
                "model_id": model_id, "user_id": spec.user_id, "scope_type": "global",
                "scope_id": None, "date_hour": date_hour,
                "lookback_start": last_run - DAY, "lookback_end": last_run,
                "attributed_clicks": sum(p.clicks for p in hour_parts),
                "attributed_conversions": len(hour_parts),
                "attributed_revenue": store_money(revenue),
                "attributed_cost": store_money(cost),
                "created_at": created,
            })
            keys.append((created, model_id, date_hour))
            hours_by_model[model_id].append(date_hour)
            credits_by_snapshot.append([
                {"conv_id": conv.conv_id, "click_id": cr.click_id, "position": cr.position,
                 "credit": (stored := round_credit(cr.credit)), "weight": stored,
                 "created_at": last_run}
                for conv, credits, _ in items for cr in credits
            ])
    order = sorted(range(len(rows)), key=keys.__getitem__)
    touchpoints = []
    for snapshot_id, i in enumerate(order, start=1):
        rows[i]["snapshot_id"] = snapshot_id
        for row in credits_by_snapshot[i]:
            row["snapshot_id"] = snapshot_id
            touchpoints.append(row)
    for touchpoint_id, row in enumerate(touchpoints, start=1):
        row["touchpoint_id"] = touchpoint_id
    return Replayed([rows[i] for i in order], touchpoints, dict(hours_by_model))


def _rebuild_audit(audit: AuditLog, model_id: int, spec: ModelSpec, convs: Sequence[SeededConversion],
                   parts: Sequence[Contribution], *, now: int, hb: int, models_at: int) -> None:
    """One snapshot_rebuild row per hourly run of the last 7 days that found conversions."""
    times = [c.conv_time for c in convs]
    clicks, new_hours = [0], [0]
    for i, p in enumerate(parts):
        clicks.append(clicks[-1] + p.clicks)
        changed = i == 0 or hour(times[i]) != hour(times[i - 1])
        new_hours.append(new_hours[-1] + int(changed))
    first = max(next_cron_run(now - CONVERSION_DAYS * DAY), next_cron_run(models_at))
    for run in range(first, hb + 1, HOUR):
        lo, hi = bisect.bisect_left(times, run - DAY), bisect.bisect_right(times, run)
        if lo == hi:
            continue  # an empty window returns early, without an audit row
        hours = new_hours[hi] - new_hours[lo + 1] + 1
        revenue, cost = _run_money(times[lo:hi], parts[lo:hi])
        audit.add(spec.user_id, model_id, "snapshot_rebuild", {
            "lookback_start": run - DAY, "lookback_end": run,
            "batches": math.ceil((hi - lo) / RUNNER_BATCH), "hours_processed": hours,
            "clicks": clicks[hi] - clicks[lo], "conversions": hi - lo,
            "revenue": revenue, "cost": cost,
        }, run)


def _run_money(times: Sequence[int], parts: Sequence[Contribution]) -> tuple[float, float]:
    """A run's metrics as the runner adds them in PHP doubles: per batch, each hour's total
    (hour_totals) in the order hours first appear (the audit row keeps them unrounded)."""
    revenue = cost = 0.0
    for start in range(0, len(parts), RUNNER_BATCH):
        by_hour: dict[int, list[Contribution]] = defaultdict(list)
        for t, part in zip(times[start:start + RUNNER_BATCH], parts[start:start + RUNNER_BATCH],
                           strict=True):
            by_hour[hour(t)].append(part)
        for hour_parts in by_hour.values():
            r, c = hour_totals(hour_parts)
            revenue += r
            cost += c
    return revenue, cost


def exports(models: Sequence[tuple[int, ModelSpec]], snapshot_hours: dict[int, list[int]],
            audit: AuditLog, *, hb: int) -> list[Row]:
    """A few completed v2 export jobs of user 1, each picked up by the next export cron run."""
    model_id = next(mid for mid, s in models if s.user_id == 1 and s.type == "time_decay")
    hours = sorted(snapshot_hours.get(model_id, []))
    rows: list[Row] = []
    for export_id, days_ago in enumerate((3, 2, 1), start=1):
        queued = hb - days_ago * DAY - 1500
        end_hour = hour(queued)
        start_hour = end_hour - DAY
        started = next_cron_run(queued) + 3
        exported = bisect.bisect_right(hours, end_hour) - bisect.bisect_left(hours, start_hour)
        rows.append({
            "export_id": export_id, "user_id": 1, "model_id": model_id,
            "scope_type": "global", "scope_id": None, "start_hour": start_hour,
            "end_hour": end_hour, "requested_format": "csv", "status": "completed",
            "file_path": f"202-exports/attribution/export-{export_id}.csv",
            "rows_exported": exported, "queued_at": queued, "started_at": started,
            "completed_at": started + 2, "created_at": queued, "updated_at": started + 2,
        })
        audit.add(1, model_id, "export_scheduled", {
            "export_id": export_id, "scope": "global", "scope_id": None,
            "start_hour": start_hour, "end_hour": end_hour, "format": "csv",
            "webhook": None}, queued)
    return rows


def cron_rows(*, now: int, hb: int) -> tuple[list[Row], list[Row]]:
    """(202_cronjob_logs, 202_cronjobs): the heartbeats and the rebuild's guard row for hb."""
    logs: list[Row] = [
        {"id": MAIN_HEARTBEAT, "last_execution_time": now - 180},
        {"id": REBUILD_HEARTBEAT, "last_execution_time": hb},
        {"id": EXPORT_HEARTBEAT, "last_execution_time": hb + 4},
    ]
    return logs, [{"cronjob_type": GUARD_TYPE, "cronjob_time": hour(hb)}]
