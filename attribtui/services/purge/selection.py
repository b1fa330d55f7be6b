"""What a purge selects, and the dry run: a bounded list of conversions and their journey rows.

The selection is a list of conv_ids, or a user/campaign and a conv_time window found as a conv_id
range on the primary key (docs/architecture.md, "Promise 1"); an empty, unbounded or oversized
one is refused before anything is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from attribtui.infra import clock
from attribtui.infra.config import Profile
from attribtui.infra.db import Database, RawRow, in_clause
from attribtui.prosper import tables as pt
from attribtui.queries import idrange
from attribtui.services.actions import ActionPlan
from attribtui.services.journeys import parse_conv_ids
from attribtui.services.purge.backup import backups_dir
from attribtui.services.purge.common import (
    COLUMNS,
    HANDFUL,
    ID_CHUNK,
    MAX_BACKUP_ROWS,
    MAX_CONVERSIONS,
    MAX_WINDOW_S,
    TOUCHPOINTS,
    PurgeRefused,
    chunks,
)


def parse_ids(text: str) -> list[int]:
    """conv_ids for a purge: the lookup's parser and rules, up to MAX_CONVERSIONS, not its 500.

    The purge deletes in batches, so its cap is the purge's own (Selection.check says it).
    """
    return parse_conv_ids(text, limit=None)


@dataclass
class Selection:
    conv_ids: list[int] = field(default_factory=list)
    user_id: int | None = None
    campaign_id: int | None = None
    start: int | None = None
    end: int | None = None

    def check(self) -> None:
        """Refuse an empty, unbounded or oversized selection (one line, with the fix)."""
        by_window = self.user_id is not None or self.campaign_id is not None
        if self.conv_ids and by_window:
            raise PurgeRefused("give either conv_ids or a user/campaign with a window, not both")
        if self.conv_ids:
            if len(self.conv_ids) > MAX_CONVERSIONS:
                raise PurgeRefused(f"{len(self.conv_ids)} conv_ids: at most {MAX_CONVERSIONS} per "
                                   "purge (it deletes them in batches); split the list")
            return
        if not by_window:
            raise PurgeRefused("empty selection: give conv_ids, or a user or campaign with "
                               "--start and --end")
        if self.start is None or self.end is None:
            raise PurgeRefused("unbounded selection: a user or campaign needs both --start and --end")
        if self.start >= self.end:
            raise PurgeRefused(f"start ({clock.iso(self.start)}) must be before end "
                               f"({clock.iso(self.end)})")
        if self.end - self.start > MAX_WINDOW_S:
            raise PurgeRefused("the window is longer than 31 days; purge it in smaller windows")

    def describe(self) -> str:
        if self.conv_ids:
            head = ", ".join(map(str, self.conv_ids[:8]))
            more = f" and {len(self.conv_ids) - 8} more" if len(self.conv_ids) > 8 else ""
            return f"conversions {head}{more}"
        who = " ".join(p for p in (f"user {self.user_id}" if self.user_id is not None else "",
                                   f"campaign {self.campaign_id}" if self.campaign_id is not None else "") if p)
        return f"{who}, conv_time {clock.iso(self.start)} to {clock.iso(self.end)}"


@dataclass
class Affected:
    """One user's share of the purge: the backfill that restores it covers start..end."""

    user_id: int
    start: int
    end: int
    conversions: int

    def backfill_args(self) -> list[str]:
        return [f"--user={self.user_id}", f"--start={self.start}", f"--end={self.end}"]


@dataclass
class PurgePlan:
    selection: Selection
    conv_ids: list[int]  # existing conversions selected (with or without a journey)
    missing_ids: list[int]  # asked for but not in 202_conversion_logs
    touchpoint_rows: int
    with_journey: int
    sample: list[dict[str, int]]
    affected: list[Affected]

    def action(self, profile: Profile) -> ActionPlan:
        typed = f"purge {len(self.conv_ids)}" if len(self.conv_ids) > HANDFUL else None
        return ActionPlan(
            title=f"Purge the journeys of {len(self.conv_ids)} conversion(s)",
            effects=[
                f"Deletes {self.touchpoint_rows} row(s) of {TOUCHPOINTS} for "
                f"{self.with_journey} conversion(s) ({self.selection.describe()}).",
                f"First writes every one of those rows to a backup under {backups_dir()}; "
                "`attribtui purge restore FILE` puts them back exactly.",
                "Evicts the journeys' cache keys; holds the one-operator lock while it runs.",
                "Afterwards: " + "; ".join(
                    f"backfill user {a.user_id} {clock.iso(a.start)}..{clock.iso(a.end)}"
                    for a in self.affected) + " to rebuild the journeys from 202_clicks.",
            ],
            request=(f"DELETE FROM {TOUCHPOINTS} WHERE conv_id IN (…{len(self.conv_ids)} bound "
                     "ids…) AND touchpoint_id IN (…backed-up ids…), in batches"),
            typed=typed,
            destructive=True,
        )


def _conversions(db: Database, sel: Selection) -> list[RawRow]:
    cols = "conv_id, user_id, campaign_id, conv_time"
    if sel.conv_ids:
        rows: list[RawRow] = []
        for chunk in chunks(sorted(set(sel.conv_ids)), ID_CHUNK):
            sql, params = in_clause("c", chunk)
            rows += db.read(f"SELECT {cols} FROM `{pt.conversion_logs.name}` WHERE conv_id IN ({sql}) "
                            f"LIMIT {len(chunk)}", params, primary=True)
        return rows
    assert sel.start is not None and sel.end is not None  # Selection.check() made sure
    ids = idrange.id_range(db.reader(primary=True), pt.conversion_logs, "conv_time", sel.start,
                           sel.end)
    if ids is None:
        return []
    lo, hi = ids
    where, params = ["conv_id >= :lo", "conv_id < :hi", "conv_time BETWEEN :t0 AND :t1"], {
        "lo": lo, "hi": hi, "t0": sel.start, "t1": sel.end}
    if sel.user_id is not None:
        where.append("user_id = :u")
        params["u"] = sel.user_id
    if sel.campaign_id is not None:
        where.append("campaign_id = :cmp")
        params["cmp"] = sel.campaign_id
    rows = db.read(f"SELECT {cols} FROM `{pt.conversion_logs.name}` WHERE {' AND '.join(where)} "
                   f"ORDER BY conv_id LIMIT {MAX_CONVERSIONS + 1}", params, primary=True)
    if len(rows) > MAX_CONVERSIONS:
        raise PurgeRefused(f"more than {MAX_CONVERSIONS} conversions in this window; narrow it")
    return rows


def plan(db: Database, sel: Selection) -> PurgePlan:
    """The dry run: what a purge of this selection would delete (reads the primary)."""
    sel.check()
    convs = _conversions(db, sel)
    ids = [int(r[0]) for r in convs]
    missing = sorted(set(sel.conv_ids) - set(ids)) if sel.conv_ids else []
    counts: dict[int, int] = {}
    for chunk in chunks(ids, ID_CHUNK):
        sql, params = in_clause("c", chunk)
        for conv_id, n in db.read(f"SELECT conv_id, COUNT(*) FROM `{TOUCHPOINTS}` WHERE conv_id "
                                  f"IN ({sql}) GROUP BY conv_id LIMIT {len(chunk)}", params,
                                  primary=True):
            counts[int(conv_id)] = int(n)
    sample: list[dict[str, int]] = []
    if counts:
        sql, params = in_clause("c", sorted(counts)[:5])
        sample = [dict(zip(COLUMNS, map(int, r), strict=True)) for r in db.read(
            f"SELECT {', '.join(COLUMNS)} FROM `{TOUCHPOINTS}` WHERE conv_id IN ({sql}) "
            "ORDER BY conv_id, position LIMIT 10", params, primary=True)]
    per_user: dict[int, list[int]] = {}
    for r in convs:
        per_user.setdefault(int(r[1]), []).append(int(r[3]))
    affected = [Affected(u, min(ts), max(ts), len(ts)) for u, ts in sorted(per_user.items())]
    return PurgePlan(sel, ids, missing, sum(counts.values()), len(counts), sample, affected)


def check_size(touchpoint_rows: int) -> None:
    """Refuse a purge whose backup would be larger than a restore reads back."""
    if touchpoint_rows > MAX_BACKUP_ROWS:
        raise PurgeRefused(f"{touchpoint_rows} touchpoint rows: at most {MAX_BACKUP_ROWS} per purge "
                           "(the backup's limit); narrow the selection")
