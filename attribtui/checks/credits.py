"""Credit conservation on a bounded sample: each conversion's credits per model sum to 1.

An anomaly is explained by its real cause (credit_causes.py: duplicated or missing 202_clicks rows,
a partial write, an hour reset but not refilled), with the remedy that works for that cause.

The sample is the newest SAMPLE live conversions up to the end of the last rebuild window (newer
ones are simply not credited yet). A pair (conversion, active model) is checked only when a
rebuild covered the conversion after the model was created and the model has the hour's
snapshot (a missing snapshot is snapshots.missing's finding). Credits are read through KEY
snapshot_conv (snapshot_id, conv_id) for exactly those pairs: never a sum over whole hours, which
is what makes a naive credit query take seconds on a big install.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from attribtui.checks.bounded import skip_on_missing
from attribtui.checks.credit_causes import TOLERANCE, explain
from attribtui.checks.framework import (
    CheckContext,
    Outcome,
    check,
    nothing_to_examine,
)
from attribtui.checks.recent import (
    SAMPLE,
    Conv,
    convs_between,
    coverage,
    inside,
    live_users_with_active_models,
    rebuilds_since,
)
from attribtui.checks.snapshots import snapshot_rows
from attribtui.infra import clock
from attribtui.infra.db import in_clause
from attribtui.prosper import tables as pt
from attribtui.prosper.models import ModelRow
from attribtui.vocab import Status

GROUPS_PER_QUERY = 100


def _credit_sums(ctx: CheckContext, groups: dict[int, list[int]]) -> dict[tuple[int, int], Any]:
    """(snapshot_id, conv_id) -> SUM(credit) for each snapshot's conversions."""
    out: dict[tuple[int, int], Any] = {}
    items = sorted(groups.items())
    for i in range(0, len(items), GROUPS_PER_QUERY):
        ctx.step(f"credits: {i} of {len(items)} snapshot(s)")
        clauses, params = [], {}
        for j, (snapshot_id, conv_ids) in enumerate(items[i:i + GROUPS_PER_QUERY]):
            sql, p = in_clause(f"c{j}", conv_ids)
            clauses.append(f"(snapshot_id = :s{j} AND conv_id IN ({sql}))")
            params.update(p)
            params[f"s{j}"] = snapshot_id
        for r in ctx.read("SELECT snapshot_id, conv_id, SUM(credit), COUNT(*) FROM "
                          f"`{pt.attribution_touchpoints.name}` WHERE {' OR '.join(clauses)} "
                           "GROUP BY snapshot_id, conv_id", params):
            out[(int(r[0]), int(r[1]))] = r[2]
    return out


@check("credits.conservation", "Credits of sampled conversions sum to 1 per model")
@skip_on_missing
def conservation(ctx: CheckContext) -> Outcome:
    rebuilds, _ = rebuilds_since(ctx, ctx.now - ctx.window_s)
    per_user = live_users_with_active_models(ctx)
    if not rebuilds or not per_user:
        return nothing_to_examine(
            f"No rebuild in the last {clock.ago(ctx.window_s)} for a user with an active model: "
            "nothing has been credited to check.")
    end = min(ctx.now, max(r.end for r in rebuilds))
    sample: list[Conv] = convs_between(ctx, ctx.now - ctx.window_s, end, SAMPLE)
    pairs: list[tuple[Conv, ModelRow]] = []
    for ms in per_user.values():
        for m in ms:
            spans = coverage(m, rebuilds)
            pairs += [(c, m) for c in sample if c.user_id == m.user_id and inside(spans, c.conv_time)]
    if not pairs:
        return nothing_to_examine(
            f"No live conversion of the last {clock.ago(ctx.window_s)} is covered by a rebuild "
            "yet: nothing credited to check.")
    hours = [clock.hour(c.conv_time) for c, _ in pairs]
    snaps: dict[tuple[int, int], list[int]] = defaultdict(list)  # (model, hour) -> snapshot ids
    for r in snapshot_rows(ctx, sorted({m.model_id for _, m in pairs}), min(hours), max(hours)):
        if r[2] == "global" and r[3] is None:
            snaps[(int(r[1]), int(r[4]))].append(int(r[0]))
    groups: dict[int, list[int]] = defaultdict(list)
    checked: list[tuple[Conv, ModelRow]] = []
    for c, m in pairs:
        for sid in snaps.get((m.model_id, clock.hour(c.conv_time)), []):
            groups[sid].append(c.conv_id)
        if (m.model_id, clock.hour(c.conv_time)) in snaps:
            checked.append((c, m))
    if not checked:
        return nothing_to_examine(
            f"None of the {len({c.conv_id for c, _ in pairs})} rebuilt conversion(s) has its "
            "hour's snapshot (see snapshots.missing): nothing credited to check.")
    sums = _credit_sums(ctx, groups)
    found: list[tuple[Conv, ModelRow, float]] = []
    for c, m in checked:
        parts = [sums[(sid, c.conv_id)] for sid in snaps[(m.model_id, clock.hour(c.conv_time))]
                 if (sid, c.conv_id) in sums]
        total = sum(float(p or 0) for p in parts)
        if abs(total - 1.0) > TOLERANCE:
            found.append((c, m, total))
    convs = len({c.conv_id for c, _ in checked})
    scope = (f"{len(checked)} conversion x model pair(s) of the newest {convs} credited "
             f"conversion(s) (up to the last rebuild, {clock.iso(end)})")
    if not found:
        return Outcome(Status.OK, f"Credits sum to 1 within {TOLERANCE} for {scope}.")
    counted = {(m.model_id, c.conv_id): len(snaps[(m.model_id, clock.hour(c.conv_time))])
               for c, m, _ in found}
    return explain(ctx, scope, found, counted)
