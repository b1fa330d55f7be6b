"""Why a conversion's credits do not sum to 1, read from the data, and the remedy that works.

The rebuild joins conversions to 202_clicks on click_id, which nothing keeps unique
(docs/prosper202.md, "Rebuild runner"): a duplicated click row credits the conversion once per row
and a missing one never credits it. A rebuild reproduces both, so their remedies fix the click rows
first; a rebuild alone is offered only where it writes different rows (a partial write, an hour
reset but not refilled).
"""

from __future__ import annotations

from collections import defaultdict

from attribtui.checks.bounded import Unanswerable, require_index
from attribtui.checks.framework import CheckContext, Evidence, Outcome
from attribtui.checks.recent import Conv, fmt_sum
from attribtui.checks.remedies import rebuild_commands
from attribtui.infra import clock
from attribtui.prosper import tables as pt
from attribtui.prosper.models import ModelRow
from attribtui.queries.clickrows import ClickRow, click_row_counts, click_rows
from attribtui.vocab import Status

TOLERANCE = 0.001  # of a credit sum; credits.conservation uses the same
DUPLICATE, CLICKLESS, PARTIAL, UNFILLED = "duplicate", "clickless", "partial", "unfilled"
SNAPSHOTS = "snapshots"
HEADS = {
    SNAPSHOTS: "{n} pair(s) counted in more than one global snapshot of the same hour and model: "
               "Prosper202's rebuild with several active models hands the oldest model the "
               "snapshot of the model before it (its finalise reference bug, docs/prosper202.md "
               "\"The finalise reference bug\"), so that model's credits add up twice",
    DUPLICATE: "{n} pair(s) credited once per row of a duplicated click: 202_clicks.click_id is "
               "not unique and Prosper202's rebuild joins conversions to 202_clicks on it, so "
               "each extra row credits (and counts) the conversion again",
    CLICKLESS: "{n} pair(s) never credited because the converting click has no 202_clicks row: "
               "the rebuild's INNER JOIN skips the conversion, and no rebuild will credit it",
    PARTIAL: "{n} pair(s) whose credits do not sum to 1 (a partial write or a manual edit)",
    UNFILLED: "{n} pair(s) not credited at all (an hour reset but not refilled: the rebuild "
              "deletes an hour's credits first and, for an empty window, returns before "
              "refilling)",
}
CLICKS_INSPECT = "SELECT * FROM 202_clicks WHERE click_id IN ({ids});"


def cause_of(total: float, rows: int | None, snapshots: int = 1) -> str:
    """Why the credits of one pair sum to `total`, given the click's 202_clicks row count and
    how many global snapshots the model has for the conversion's hour."""
    if snapshots > 1 and total > 0:
        return SNAPSHOTS
    if total == 0:
        return CLICKLESS if rows == 0 else UNFILLED
    if rows is not None and rows > 1 and abs(total - rows) <= TOLERANCE * rows:
        return DUPLICATE
    return PARTIAL


def _click_counts(ctx: CheckContext, click_ids: list[int]) -> dict[int, int] | None:
    """click_id -> 202_clicks rows; None when KEY click_id is missing (the cause stays open)."""
    try:
        require_index(ctx, pt.clicks.name, ("click_id",))
    except Unanswerable:
        return None
    return click_row_counts(ctx.read, click_ids)


def _problem(cause: str, total: float, click_id: int, rows: int | None,
             listed: dict[int, list[ClickRow]]) -> str:
    if cause == DUPLICATE:
        each = "; ".join(r.describe() for r in listed.get(click_id, []))
        return (f"credits sum to {fmt_sum(total)}: click {click_id} has {rows} rows in 202_clicks"
                + (f" ({each})" if each else ""))
    if cause == CLICKLESS:
        return f"not credited: click {click_id} has no row in 202_clicks"
    if cause == UNFILLED:
        return "not credited (hour reset, not refilled)"
    if cause == SNAPSHOTS:
        return f"credits sum to {fmt_sum(total)} over several snapshots of the hour"
    unknown = " (202_clicks rows not counted: no KEY click_id)" if rows is None else ""
    return f"credits sum to {fmt_sum(total)}{unknown}"


def explain(ctx: CheckContext, scope: str, found: list[tuple[Conv, ModelRow, float]],
            snapshots: dict[tuple[int, int], int] | None = None) -> Outcome:
    """snapshots: (model_id, conv_id) -> the global snapshots of the model for its hour."""
    counts = _click_counts(ctx, [c.click_id for c, _, _ in found])
    per = snapshots or {}
    causes = [cause_of(t, None if counts is None else counts.get(c.click_id),
                       per.get((m.model_id, c.conv_id), 1)) for c, m, t in found]
    dup_ids = sorted({c.click_id for (c, _, _), k in zip(found, causes, strict=True)
                      if k == DUPLICATE})
    listed = click_rows(ctx.read, dup_ids) if dup_ids else {}
    order = (DUPLICATE, PARTIAL, SNAPSHOTS, CLICKLESS, UNFILLED)
    ranked = sorted(zip(found, causes, strict=True), key=lambda fc: order.index(fc[1]))
    rows = []
    by_cause: dict[str, list[tuple[Conv, ModelRow]]] = defaultdict(list)
    for (c, m, total), cause in ranked:
        n = None if counts is None else counts.get(c.click_id)
        rows.append([c.conv_id, clock.iso(c.conv_time), c.user_id, m.label, fmt_sum(total),
                     c.click_id, "?" if n is None else n,
                     _problem(cause, total, c.click_id, n, listed)])
        by_cause[cause].append((c, m))
    status = Status.FAIL if by_cause.keys() & {DUPLICATE, PARTIAL} else Status.WARN
    head = [HEADS[k].format(n=len(by_cause[k])) for k in order if k in by_cause]
    fixes = [_remedy(ctx, k, by_cause[k], counts or {}) for k in order if k in by_cause]
    return Outcome(
        status,
        f"Checked {scope}: " + "; ".join(head) + ".",
        Evidence.of(["conv_id", "conv_time", "user_id", "model", "credit sum", "click_id",
                     "202_clicks rows", "problem"], rows),
        fixes[0] if len(fixes) == 1 else " ".join(f"({i}) {f}" for i, f in enumerate(fixes, 1)),
    )


def _hours(pairs: list[tuple[Conv, ModelRow]], user_id: int) -> tuple[int, int]:
    hours = [clock.hour(c.conv_time) for c, m in pairs if m.user_id == user_id]
    return min(hours), max(hours)


def _remedy(ctx: CheckContext, cause: str, pairs: list[tuple[Conv, ModelRow]],
            counts: dict[int, int]) -> str:
    """What fixes one cause; a rebuild only where it writes different rows than last time."""
    c, m = pairs[0]
    h0, h1 = _hours(pairs, m.user_id)
    rebuild = rebuild_commands(ctx, m.user_id, h0, h1)
    clicks = sorted({cc.click_id for cc, _ in pairs})
    ids = ", ".join(map(str, clicks[:20]))
    if cause == DUPLICATE:
        extra = counts.get(c.click_id, 2) - 1
        return (
            f"Duplicated click rows: a rebuild alone writes the same double credits again. "
            f"Inspect them: {CLICKS_INSPECT.format(ids=ids)} Back them up: mysqldump "
            f"--where='click_id IN ({ids})' prosper202 202_clicks > clicks-duplicates-backup.sql, "
            f"then delete the extra row(s) of each click (202_clicks has no primary key; when the rows "
            f"differ, add the columns of the row to delete to the WHERE), e.g. DELETE FROM "
            f"202_clicks WHERE click_id = {c.click_id} LIMIT {extra}; Then rebuild the hours so "
            f"each conversion is credited once: {rebuild}")
    if cause == CLICKLESS:
        return (
            f"Missing click rows: a rebuild cannot credit these conversions while "
            f"{CLICKS_INSPECT.format(ids=ids)} returns nothing (the rebuild joins 202_clicks on "
            "click_id). Restore the rows from a backup of 202_clicks (mysqldump --where='click_id "
            f"IN ({ids})' on the backup, then load it), then rebuild the hours: {rebuild} "
            "Without the rows these conversions stay out of every model's snapshots and reports.")
    if cause == SNAPSHOTS:
        return (
            "Several global snapshots of one hour and model: see snapshots.duplicates. Prosper202's "
            "rebuild causes this whenever a user has more than one active model (its finalise "
            "reference bug), so a rebuild reproduces it; it is upstream's to fix. Until then, "
            f"read this model's figures with care (model {m.model_id}, user {m.user_id}).")
    if cause == PARTIAL:
        return (
            "Inspect: SELECT t.touchpoint_id, t.click_id, t.position, t.credit FROM "
            "202_attribution_touchpoints t JOIN 202_attribution_snapshots s ON s.snapshot_id = "
            f"t.snapshot_id WHERE s.model_id = {m.model_id} AND s.date_hour = "
            f"{clock.hour(c.conv_time)} AND t.conv_id = {c.conv_id}; Rebuilding the hour rewrites "
            f"its credits from the stored journeys: {rebuild}")
    return (f"The hour was reset but not refilled; rebuilding it refills its credits from the "
            f"stored journeys: {rebuild}")
