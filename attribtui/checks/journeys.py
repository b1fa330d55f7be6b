"""Journeys: the stored rule on a bounded sample, and live conversions without any journey.

Rule breaks use prosper/journey.py's validate_journey (the journey screen uses the same one) and
are `fail`. A live conversion without a journey is `warn` unless multi-touch is disabled for it
(prosper/settings.py decides, as isMultiTouchEnabled does): the backfill writes it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from attribtui.checks.bounded import has_column, require_index, skip_on_missing
from attribtui.checks.framework import (
    CheckContext,
    Evidence,
    Outcome,
    check,
    nothing_to_examine,
)
from attribtui.checks.recent import SAMPLE, convs_between, users, window
from attribtui.checks.remedies import backfill_command
from attribtui.infra import clock
from attribtui.infra.db import RawRow, in_clause
from attribtui.prosper import tables as pt
from attribtui.prosper.journey import MAX_TOUCHES, StoredTouch, validate_journey
from attribtui.prosper.settings import SettingsError
from attribtui.queries.settings import (
    OLD_LAYOUT,
    TOGGLE,
    campaign_networks,
    decide,
    settings_rows,
)
from attribtui.vocab import Status

CT = pt.conversion_touchpoints.name
MISSING_CAP = 5_000
INSPECT = ("SELECT position, click_id, click_time FROM 202_conversion_touchpoints WHERE conv_id = "
           "{c} ORDER BY position; SELECT click_id, click_time, conv_time, user_id, campaign_id "
           "FROM 202_conversion_logs WHERE conv_id = {c};")


def journeyless(ctx: CheckContext) -> tuple[list[RawRow], bool]:
    """Live conversions of the (capped) window with no touchpoint row, newest first, and whether
    the list was cut at MISSING_CAP. One NOT EXISTS probe per conversion on KEY conv_id."""
    def go() -> tuple[list[Any], bool]:
        require_index(ctx, CT, ("conv_id",))
        w = window(ctx)
        if not w.convs:
            return [], False
        lo, hi = w.convs[-1].conv_id, w.convs[0].conv_id
        rows = ctx.read("SELECT l.conv_id, l.user_id, l.campaign_id, l.conv_time "
                        f"FROM `{pt.conversion_logs.name}` l WHERE l.conv_id BETWEEN :lo AND :hi "
                         "AND l.deleted = 0 AND NOT EXISTS (SELECT 1 FROM "
                         f"`{CT}` t WHERE t.conv_id = l.conv_id) ORDER BY l.conv_id DESC "
                         "LIMIT :n", {"lo": lo, "hi": hi, "n": MISSING_CAP + 1})
        return rows[:MISSING_CAP], len(rows) > MISSING_CAP

    return ctx.memo("journeys.journeyless", go)


@check("journeys.sample", "Stored journeys of recent conversions follow the journey rule")
@skip_on_missing
def sample(ctx: CheckContext) -> Outcome:
    require_index(ctx, CT, ("conv_id",))
    convs = convs_between(ctx, ctx.now - ctx.window_s, ctx.now, SAMPLE)
    if not convs:
        return nothing_to_examine(f"No live conversion in the last {clock.ago(ctx.window_s)} to "
                                  "sample: no stored journey was checked.")
    stored: dict[int, list[StoredTouch]] = defaultdict(list)
    cap = SAMPLE * (MAX_TOUCHES + 1) * 2
    for i in range(0, len(convs), 100):
        ctx.step(f"journeys: {i} of {len(convs)} conversions")
        sql, params = in_clause("c", [c.conv_id for c in convs[i:i + 100]])
        for r in ctx.read(f"SELECT conv_id, position, click_id, click_time FROM `{CT}` "
                           f"WHERE conv_id IN ({sql}) ORDER BY conv_id, position LIMIT {cap}",
                      params):
            stored[int(r[0])].append(StoredTouch(int(r[1]), int(r[2]), int(r[3])))
    rows, codes, broken = [], Counter[str](), []
    for c in convs:
        for v in validate_journey(stored.get(c.conv_id, []), c.click_id, c.conv_time):
            rows.append([c.conv_id, c.user_id, clock.iso(c.conv_time),
                         len(stored[c.conv_id]), v.code, v.message[:200]])
            codes[v.code] += 1
            broken.append(c)
    with_journey = sum(1 for c in convs if stored.get(c.conv_id))
    scope = (f"the newest {len(convs)} live conversions ({with_journey} with a stored journey, "
             f"{sum(len(v) for v in stored.values())} touches)")
    if not with_journey:
        return nothing_to_examine(f"None of the newest {len(convs)} live conversions has a stored "
                                  "journey: no journey to check against the rule (see "
                                  "journeys.missing).")
    if not rows:
        return Outcome(Status.OK, f"Every stored journey in {scope} follows the rule.")
    c = broken[0]
    return Outcome(Status.FAIL,
        f"{len(set(x.conv_id for x in broken))} journey(s) in {scope} break the journey rule: "
        + ", ".join(f"{code} x{n}" for code, n in codes.most_common())
        + ". Credits computed from them are wrong for every multi-touch model.",
        Evidence.of(["conv_id", "user_id", "conv_time", "touches", "code", "violation"], rows),
        f"Inspect: {INSPECT.format(c=c.conv_id)} (or `attribtui journey {c.conv_id}` for the diff "
        "against the rule). The backfill rewrites each journey of its window from the clicks "
        f"(delete, then insert): {backfill_command(ctx, c.user_id, c.conv_time, c.conv_time)} "
        "then rebuild the same hours so credits follow.",
    )


def toggles(ctx: CheckContext) -> bool:
    """202_attribution_settings has the multi_touch_* columns (False: the 1.9.56 layout)."""
    return has_column(ctx, pt.attribution_settings.name, TOGGLE)


def _enabled_map(ctx: CheckContext, rows: list[Any]) -> dict[int, str]:
    """conv_id -> deciding scope for the conversions whose multi-touch is enabled, decided as
    isMultiTouchEnabled does on either layout (queries/settings.py)."""
    settings = settings_rows(ctx.read, [int(r[1]) for r in rows])
    networks = campaign_networks(ctx.read, [int(r[2]) for r in rows])
    out = {}
    for r in rows:
        try:
            on, scope = decide(settings, networks, int(r[1]), int(r[2]))
        except SettingsError as e:  # upstream throws here too: the backfill dies (exit 255)
            on, scope = True, f"undecidable: {e.message} Fix that settings row before a backfill"
        if on:
            out[int(r[0])] = scope
    return out


@check("journeys.missing", "Live conversions in the window have a journey")
@skip_on_missing
def missing(ctx: CheckContext) -> Outcome:
    rows, cut = journeyless(ctx)
    w = window(ctx)
    if not w.live:
        return nothing_to_examine(f"No live conversion in the last {clock.ago(ctx.window_s)} "
                                  f"({w.describe()}): no journey was expected.")
    enabled = _enabled_map(ctx, rows) if rows else {}
    bad = [r for r in rows if int(r[0]) in enabled]
    off = len(rows) - len(bad)
    note = f" {off} more have multi-touch disabled, as intended." if off else ""
    if off and not toggles(ctx):
        note = (f" {off} more are in a scope with a settings row, which Prosper202 reads as "
                f"disabled: {OLD_LAYOUT} (see settings.disabled).")
    if not bad:
        return Outcome(Status.OK, f"Every live conversion with multi-touch enabled has a journey "
                             f"({w.describe()}).{note}")
    names = users(ctx, [int(r[1]) for r in bad])
    ev = [[int(r[0]), int(r[1]), names.get(int(r[1]), ("?", False))[0], int(r[2]),
           clock.iso(int(r[3])), f"enabled ({enabled[int(r[0])]})", "no journey"] for r in bad]
    count = f"at least {len(bad)}" if cut else str(len(bad))
    per_user: dict[int, list[int]] = defaultdict(list)
    for r in bad:
        per_user[int(r[1])].append(int(r[3]))
    fixes = " ; ".join(backfill_command(ctx, u, min(ts), max(ts)) for u, ts in sorted(per_user.items()))
    return Outcome(Status.WARN,
        f"{count} live conversion(s) with multi-touch enabled have no journey ({w.describe()}): "
        "their credit falls back to the converting click alone. The pixel only logs a failed "
        f"journey write, and a purge removes journeys without a trace.{note}",
        Evidence.of(["conv_id", "user_id", "user_name", "campaign_id", "conv_time", "multi-touch",
                     "problem"], ev),
        f"Backfill the journeys (hour-aligned windows; keep each run to 24 h or less): {fixes} "
        "Then rebuild the same hours so credits use them.",
    )
