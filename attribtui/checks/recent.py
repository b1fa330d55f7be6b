"""The reads the integrity checks share within a run, each memoised and bounded.

The window's conversions are an id range found on the primary key (202_conversion_logs has no
conv_time index; queries/idrange.py), capped at WINDOW_CAP newest rows; samples are LIMITed;
202_attribution_audit is read from the first audit_id of the window. So the rows a check examines
do not grow with the table (tests/functional/test_integrity_checks.py measures it).
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from attribtui.checks.framework import CheckContext
from attribtui.checks.introspect import introspect
from attribtui.infra import clock
from attribtui.infra.db import in_clause
from attribtui.prosper import tables as pt
from attribtui.prosper.hours import HOUR
from attribtui.prosper.models import ModelRow
from attribtui.queries import cron, idrange
from attribtui.queries.clickrows import click_row_counts
from attribtui.queries.models import all_models

SAMPLE = 200  # conversions in the journey and credit samples
WINDOW_CAP = 20_000  # newest conversions a window scan may read
AUDIT_CAP = 5_000  # newest snapshot_rebuild audit rows read
MODELS_CAP = 2_000
SETTINGS_CAP = 5_000
GRACE_S = 2 * HOUR  # an hourly cron plus slack

CONV = f"`{pt.conversion_logs.name}`"
AUDIT = f"`{pt.attribution_audit.name}`"


def first_id_at_or_after(ctx: CheckContext, table: str, time_col: str, t: int) -> int | None:
    """queries/idrange.py's probe, memoised for the run."""
    return ctx.memo(f"probe:{table}:{t}", lambda: idrange.first_id_at_or_after(
        ctx.read, pt.metadata.tables[table], time_col, t))


def newest_id(ctx: CheckContext, table: str) -> int | None:
    (pk,) = pt.metadata.tables[table].primary_key.columns

    def go() -> int | None:
        rows = ctx.read(f"SELECT {pk.name} FROM `{table}` ORDER BY {pk.name} DESC LIMIT 1")
        return int(rows[0][0]) if rows else None

    return ctx.memo(f"newest:{table}", go)


def conv_id_at(ctx: CheckContext, t: int) -> int | None:
    return first_id_at_or_after(ctx, pt.conversion_logs.name, "conv_time", t)


# -- the window ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conv:
    conv_id: int
    user_id: int
    campaign_id: int
    click_id: int
    click_time: int
    conv_time: int
    deleted: int


@dataclass(frozen=True)
class WindowConv:
    """The narrow row of a window scan (conversion rows are wide: fewer columns read faster)."""

    conv_id: int
    user_id: int
    conv_time: int
    deleted: int


@dataclass
class Window:
    start: int
    end: int
    convs: list[WindowConv]  # newest first, at most WINDOW_CAP, deleted ones included
    truncated: bool  # more conversions in the window than WINDOW_CAP
    approx_total: int  # conv_id span of the window (an upper bound of its conversions)

    @property
    def live(self) -> list[WindowConv]:
        return [c for c in self.convs if not c.deleted]

    def describe(self) -> str:
        span = f"{clock.iso(self.start)} .. {clock.iso(self.end)}"
        if self.truncated:
            return (f"the newest {len(self.convs):,} conversions of about {self.approx_total:,} in "
                    f"{span} (capped for a bounded read)")
        return f"{len(self.convs):,} conversions in {span}"


_CONV_COLS = "conv_id, user_id, campaign_id, click_id, click_time, conv_time, deleted"


def window(ctx: CheckContext) -> Window:
    """Conversions of the check window (now - window .. now), read once per run."""
    return ctx.memo("window", lambda: _window(ctx))


def _window(ctx: CheckContext) -> Window:
    start, end = ctx.now - ctx.window_s, ctx.now
    lo = conv_id_at(ctx, start)
    hi = newest_id(ctx, pt.conversion_logs.name)
    if lo is None or hi is None or lo > hi:
        return Window(start, end, [], False, 0)
    rows = ctx.read(f"SELECT conv_id, user_id, conv_time, deleted FROM {CONV} "
                    "WHERE conv_id BETWEEN :lo AND :hi ORDER BY conv_id DESC LIMIT :cap",
                    {"lo": lo, "hi": hi, "cap": WINDOW_CAP + 1})
    convs = [WindowConv(int(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]
    convs = [c for c in convs if start <= c.conv_time <= end]
    truncated = len(convs) > WINDOW_CAP
    return Window(start, end, convs[:WINDOW_CAP], truncated, hi - lo + 1)


def convs_between(ctx: CheckContext, t0: int, t1: int, limit: int, *, user_id: int | None = None,
                  live: bool = True) -> list[Conv]:
    """The newest conversions with t0 <= conv_time <= t1 (at most `limit`), by conv_id range."""
    lo = conv_id_at(ctx, t0)
    hi_next = conv_id_at(ctx, t1 + 1)
    if lo is None or hi_next is None or lo >= hi_next:
        return []
    where = "conv_id >= :lo AND conv_id < :hi"
    params: dict[str, object] = {"lo": lo, "hi": hi_next, "n": limit}
    if user_id is not None:
        where += " AND user_id = :u"  # KEY user_id carries the PK: a range on (user_id, conv_id)
        params["u"] = user_id
    if live:
        where += " AND deleted = 0"
    rows = ctx.read(f"SELECT {_CONV_COLS} FROM {CONV} WHERE {where} ORDER BY conv_id DESC "
                    "LIMIT :n", params)
    return [c for c in (Conv(*map(int, r)) for r in rows) if t0 <= c.conv_time <= t1]


# -- conversions the rebuild cannot credit --------------------------------------------------------

CLICK_CHUNK = 100


def _can_count_clicks(ctx: CheckContext) -> bool:
    """202_clicks has KEY click_id (introspected once per run): the lookups below stay bounded."""
    live = introspect(ctx).get(pt.clicks.name)
    return live is not None and any(ix.columns[:1] == ("click_id",) for ix in live.indexes)


def clickless(ctx: CheckContext, conv_ids: Sequence[int]) -> set[int]:
    """The conversions among conv_ids whose click_id has no 202_clicks row: Prosper202's rebuild
    INNER JOINs 202_clicks, so it never counts or credits them (docs/prosper202.md, "Rebuild
    runner"). PK lookups on 202_conversion_logs, KEY click_id on 202_clicks; empty when that key
    is missing (the answer would need a scan)."""
    wanted = sorted(set(conv_ids))
    if not wanted or not _can_count_clicks(ctx):
        return set()
    out: set[int] = set()
    for i in range(0, len(wanted), CLICK_CHUNK):
        ctx.step()
        sql, params = in_clause("c", wanted[i:i + CLICK_CHUNK])
        clicks = {int(r[0]): int(r[1]) for r in ctx.read(
            f"SELECT conv_id, click_id FROM {CONV} WHERE conv_id IN ({sql}) "
            f"LIMIT {CLICK_CHUNK}", params)}
        counts = click_row_counts(ctx.read, clicks.values())
        out |= {conv for conv, click in clicks.items() if not counts.get(click)}
    return out


def first_creditable(ctx: CheckContext, convs: Iterable[WindowConv]) -> WindowConv | None:
    """The first of convs (in the order given) that the rebuild can credit (it has a click row),
    read a chunk at a time so a long list costs one lookup when its first one is fine."""
    batch: list[WindowConv] = []
    for c in convs:
        batch.append(c)
        if len(batch) == CLICK_CHUNK:
            found = _first_with_click(ctx, batch)
            if found is not None:
                return found
            batch = []
    return _first_with_click(ctx, batch) if batch else None


def _first_with_click(ctx: CheckContext, batch: list[WindowConv]) -> WindowConv | None:
    missing = clickless(ctx, [c.conv_id for c in batch])
    return next((c for c in batch if c.conv_id not in missing), None)


# -- models, users, heartbeat, rebuild audit -------------------------------------------------------


def models(ctx: CheckContext) -> list[ModelRow]:
    return ctx.memo("models", lambda: all_models(ctx.read, MODELS_CAP))


def users(ctx: CheckContext, user_ids: Iterable[int]) -> dict[int, tuple[str, bool]]:
    """user_id -> (user_name, deleted) for the given users (PK lookups)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}

    def go() -> dict[int, tuple[str, bool]]:
        sql, params = in_clause("u", wanted)
        rows = ctx.read(f"SELECT user_id, user_name, user_deleted FROM `{pt.users.name}` "
                        f"WHERE user_id IN ({sql}) LIMIT {len(wanted)}", params)
        return {int(r[0]): (str(r[1]), bool(int(r[2] or 0))) for r in rows}

    return ctx.memo(f"users:{wanted}", go)


def user_name(ctx: CheckContext, user_id: int) -> str:
    return users(ctx, [user_id]).get(user_id, ("?", False))[0]


def live_users_with_active_models(ctx: CheckContext) -> dict[int, list[ModelRow]]:
    """Users the rebuild processes (not deleted) that have an active model -> those models."""
    out: dict[int, list[ModelRow]] = {}
    for m in models(ctx):
        if m.is_active:
            out.setdefault(m.user_id, []).append(m)
    names = users(ctx, out)
    return {u: ms for u, ms in sorted(out.items()) if u in names and not names[u][1]}


def heartbeats(ctx: CheckContext) -> dict[int, int]:
    return ctx.memo("cron.logs", lambda: cron.heartbeats(ctx.read))


def heartbeat(ctx: CheckContext) -> int | None:
    """The rebuild's heartbeat (202_cronjob_logs id 2); None when it never ran."""
    return heartbeats(ctx).get(cron.REBUILD_HEARTBEAT) or None


@dataclass(frozen=True)
class Rebuild:
    audit_id: int
    user_id: int
    model_id: int | None
    start: int
    end: int
    created_at: int


def rebuilds_since(ctx: CheckContext, t: int) -> tuple[list[Rebuild], bool]:
    """snapshot_rebuild audit rows written at or after t (newest AUDIT_CAP), and 'truncated'.

    Bounded by audit_id (the first id at or after t, found on the primary key) and a LIMIT.
    """
    def go() -> tuple[list[Rebuild], bool]:
        lo = first_id_at_or_after(ctx, pt.attribution_audit.name, "created_at", t)
        if lo is None:
            return [], False
        rows = ctx.read(f"SELECT audit_id, user_id, model_id, metadata, created_at FROM {AUDIT} "
                        "WHERE audit_id >= :lo AND action = 'snapshot_rebuild' "
                        "ORDER BY audit_id DESC LIMIT :n", {"lo": lo, "n": AUDIT_CAP + 1})
        out = []
        for r in rows[:AUDIT_CAP]:
            try:
                meta = json.loads(r[3] or "{}")
                start, end = int(meta["lookback_start"]), int(meta["lookback_end"])
            except (ValueError, KeyError, TypeError):
                continue  # an audit row without a window proves nothing
            out.append(Rebuild(int(r[0]), int(r[1]), None if r[2] is None else int(r[2]),
                               start, end, int(r[4])))
        return out, len(rows) > AUDIT_CAP

    return ctx.memo(f"rebuilds:{t}", go)


def coverage(model: ModelRow, rebuilds: Sequence[Rebuild]) -> list[tuple[int, int]]:
    """The merged lookback windows of the rebuilds that had to compute this model: rows of the
    model's user written at or after the model's creation (a model only gets snapshots for
    windows rebuilt after it existed)."""
    spans = sorted((r.start, r.end) for r in rebuilds
                   if r.user_id == model.user_id and r.created_at >= model.created_at)
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def inside(spans: Sequence[tuple[int, int]], t: int) -> bool:
    i = bisect.bisect_right(spans, (t, 2**63)) - 1
    return i >= 0 and spans[i][0] <= t <= spans[i][1]


def fmt_sum(value: Decimal | float | str | None) -> str:
    return f"{float(value or 0):.5f}"
