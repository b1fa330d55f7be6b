"""Coverage summary (info, first in the run and at the top of the health screen).

How much of the window the attribution data covers: conversions, how many have a journey, what
each active model's snapshots attribute, and the newest conversion against the newest snapshot
hour. Built from the reads the other integrity checks share (memoised), so it costs little.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from attribtui.checks.bounded import Unanswerable
from attribtui.checks.framework import CheckContext, Evidence, Outcome, check, nothing_to_examine
from attribtui.checks.journeys import journeyless
from attribtui.checks.recent import live_users_with_active_models, users, window
from attribtui.checks.snapshots import snapshot_rows, window_hours
from attribtui.infra import clock
from attribtui.infra.db import MissingTable
from attribtui.vocab import Status


@dataclass(frozen=True)
class CoverageLine:
    """The one-line summary the health screen shows above the checks."""

    window: str
    conversions: int
    live: int
    with_journey: int | None
    newest_conversion: int | None
    newest_snapshot: int | None

    def text(self) -> str:
        """Short enough for an 80-column header line."""
        journeys = "?" if self.with_journey is None else f"{self.with_journey:,}"
        if self.newest_snapshot is None:
            snaps = "no snapshot"
        else:
            behind = (self.newest_conversion or 0) - (self.newest_snapshot + 3600)
            snaps = f"snapshots {clock.ago(behind)} behind" if behind > 0 else "snapshots current"
        return f"{self.live:,} conversions · {journeys} journeys · {snaps}"

    def long(self) -> str:
        newest_snap = clock.iso(self.newest_snapshot) if self.newest_snapshot is not None else "none"
        return (f"Newest conversion {clock.iso(self.newest_conversion) or 'none'}, newest snapshot "
                f"hour {newest_snap}")


@check("coverage.summary", "Coverage of the window by journeys and snapshots")
def summary(ctx: CheckContext) -> Outcome:
    w = window(ctx)
    live = w.live
    try:
        missing, cut = journeyless(ctx)
        with_journey: int | None = None if cut else len(live) - len(missing)
    except (Unanswerable, MissingTable):
        with_journey = None
    per_user = live_users_with_active_models(ctx)
    names = users(ctx, per_user)
    active = {m.model_id: m for ms in per_user.values() for m in ms}
    h0, h1 = window_hours(ctx)
    attributed: dict[int, int] = defaultdict(int)
    newest: dict[int, int] = {}
    for r in snapshot_rows(ctx, list(active), h0, h1):
        if r[2] == "global" and r[3] is None:
            attributed[int(r[1])] += int(r[5])
            newest[int(r[1])] = max(newest.get(int(r[1]), 0), int(r[4]))
    by_user = Counter(c.user_id for c in live)
    newest_conv = max((c.conv_time for c in w.convs), default=None)
    rows = [[f"{m.label}", f"{m.user_id} {names.get(m.user_id, ('?', False))[0]}",
             by_user.get(m.user_id, 0), attributed.get(mid, 0),
             clock.iso(newest[mid]) if mid in newest else "none"]
            for mid, m in sorted(active.items())]
    line = CoverageLine(clock.ago(ctx.window_s), len(w.convs), len(live), with_journey,
                        newest_conv, max(newest.values(), default=None))
    ctx.cache["coverage.line"] = line
    journeys = ("not counted (see journeys.missing)" if with_journey is None
                else f"{with_journey:,} with a journey")
    ev = Evidence.of(["model", "user", "live conversions (window)", "attributed (snapshots)",
                      "newest snapshot hour"], rows)
    if not live:
        return nothing_to_examine(
            f"No live conversion in the last {clock.ago(ctx.window_s)} ({w.describe()}): nothing "
            f"to cover. {line.long()}.", ev)
    return Outcome(Status.INFO,
        f"{w.describe()}: {len(live):,} live, {journeys}. {line.long()}. Per active model: live "
        "conversions of its user in the window against what its snapshots attribute (they lag by "
        "the conversions since the last rebuild).", ev)
