"""Credit conservation on a bounded sample: each conversion's credits per model sum to 1.

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
from attribtui.checks.framework import CheckContext, Evidence, Outcome, check
from attribtui.checks.recent import (
    SAMPLE,
    Conv,
    convs_between,
    coverage,
    fmt_sum,
    inside,
    live_users_with_active_models,
    rebuilds_since,
)
from attribtui.checks.remedies import rebuild_commands
from attribtui.checks.snapshots import snapshot_rows
from attribtui.infra import clock
from attribtui.infra.db import in_clause
from attribtui.prosper import tables as pt
from attribtui.prosper.models import ModelRow
from attribtui.vocab import Status

TOLERANCE = 0.001
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
        return Outcome(Status.OK, "No rebuild in the window for a user with an active model: nothing "
                             "has been credited to check.")
    end = min(ctx.now, max(r.end for r in rebuilds))
    sample: list[Conv] = convs_between(ctx, ctx.now - ctx.window_s, end, SAMPLE)
    pairs: list[tuple[Conv, ModelRow]] = []
    for ms in per_user.values():
        for m in ms:
            spans = coverage(m, rebuilds)
            pairs += [(c, m) for c in sample if c.user_id == m.user_id and inside(spans, c.conv_time)]
    if not pairs:
        return Outcome(Status.OK, "No sampled conversion is covered by a rebuild yet.")
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
    sums = _credit_sums(ctx, groups)
    bad: list[tuple[list[object], Conv, ModelRow]] = []
    zero: list[tuple[list[object], Conv, ModelRow]] = []
    for c, m in checked:
        parts = [sums[(sid, c.conv_id)] for sid in snaps[(m.model_id, clock.hour(c.conv_time))]
                 if (sid, c.conv_id) in sums]
        total = sum(float(p or 0) for p in parts)
        if abs(total - 1.0) <= TOLERANCE:
            continue
        row = [c.conv_id, clock.iso(c.conv_time), c.user_id, m.label, fmt_sum(total),
               "not credited" if total == 0 else f"credits sum to {fmt_sum(total)}"]
        (zero if total == 0 else bad).append((row, c, m))
    convs = len({c.conv_id for c, _ in checked})
    scope = (f"{len(checked)} conversion x model pair(s) of the newest {convs} credited "
             f"conversion(s) (up to the last rebuild, {clock.iso(end)})")
    if not bad and not zero:
        return Outcome(Status.OK, f"Credits sum to 1 within {TOLERANCE} for {scope}.")
    found = bad + zero
    rows = [r for r, _, _ in found]
    _, c, m = found[0]
    status = Status.FAIL if bad else Status.WARN
    head = []
    if bad:
        head.append(f"{len(bad)} pair(s) whose credits do not sum to 1 (a partial write or a "
                    "manual edit)")
    if zero:
        head.append(f"{len(zero)} pair(s) not credited at all (an hour reset but not refilled: the "
                    "rebuild deletes an hour's credits first and, for an empty window, returns "
                    "before refilling)")
    hours_bad = [clock.hour(cc.conv_time) for _, cc, mm in found if mm.user_id == m.user_id]
    return Outcome(
        status,
        f"Checked {scope}: " + "; ".join(head) + ".",
        Evidence.of(["conv_id", "conv_time", "user_id", "model", "credit sum", "problem"], rows),
        "Inspect: SELECT t.touchpoint_id, t.click_id, t.position, t.credit FROM "
        "202_attribution_touchpoints t JOIN 202_attribution_snapshots s ON s.snapshot_id = "
        f"t.snapshot_id WHERE s.model_id = {m.model_id} AND s.date_hour = "
        f"{clock.hour(c.conv_time)} AND t.conv_id = {c.conv_id}; Rebuilding the hour rewrites its "
        "credits from the stored journeys: "
        + rebuild_commands(ctx, m.user_id, min(hours_bad), max(hours_bad)),
    )
