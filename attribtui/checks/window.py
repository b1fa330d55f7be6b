"""Bounded building blocks of the integrity checks: one read helper, id probes, the window.

Every integrity query goes through `read()`, which runs it under the statement timeout
(Database.read), stops between queries when the operator cancels, reports progress, and can
record SQL and parameters (tests bound the rows each query examines with ANALYZE).

Production safety (DESIGN promise 1): 202_conversion_logs has no conv_time index and
202_attribution_audit no time index, so a time window becomes an id range found on the primary
key by a binary search of `ORDER BY id LIMIT 1` probes (ids grow with time), never a time scan.
Scans of a window are capped (WINDOW_CAP newest rows) and samples are LIMITed, so the rows a
check examines do not grow with the table.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from attribtui.checks import CheckContext, Evidence, Outcome
from attribtui.infra import clock
from attribtui.infra.db import MissingTable, QueryCancelled, in_clause
from attribtui.prosper import tables as pt

SAMPLE = 200  # conversions in the journey and credit samples
WINDOW_CAP = 20_000  # newest conversions a window scan may read
AUDIT_CAP = 5_000  # newest snapshot_rebuild audit rows read
MODELS_CAP = 2_000
SETTINGS_CAP = 5_000
GRACE_S = 2 * 3600  # an hourly cron plus slack
HOUR = 3600
DAY = 86400

CONV = "`202_conversion_logs`"
AUDIT = "`202_attribution_audit`"


class Unanswerable(Exception):
    """The check cannot be answered within its bound (e.g. the index it needs is missing)."""

    def __init__(self, reason: str, table: str) -> None:
        super().__init__(reason)
        self.table = table

    def outcome(self) -> Outcome:
        return Outcome("skipped", f"Not run: {self}.",
                       Evidence.of(["table", "why"], [[self.table, str(self)]]),
                       "Restore the table or index from Prosper202's installer schema "
                       "(see schema.tables / schema.indexes), then rerun the checks.")


def skip_on_missing(fn):  # type: ignore[no-untyped-def]
    """Decorator: an Unanswerable or missing table becomes `skipped` with the table as evidence."""

    def wrapper(ctx: CheckContext) -> Outcome:
        try:
            return fn(ctx)
        except Unanswerable as e:
            return e.outcome()
        except MissingTable as e:
            name = str(e).split(" ")[1] if str(e).startswith("table ") else "?"
            return Unanswerable(f"{e}", name).outcome()

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


# -- the one read path -----------------------------------------------------------------------------


def read(ctx: CheckContext, sql: str, params: Mapping[str, Any] | None = None) -> list[Any]:
    """One bounded read under the statement timeout; honours cancel; records when asked."""
    if ctx.cancel_event.is_set():
        raise QueryCancelled("cancelled by the operator")
    log = ctx.cache.get("sql_log")
    if log is not None:
        log.append((sql, dict(params or {})))
    return ctx.db.read(sql, params, primary=ctx.primary)


def step(ctx: CheckContext, text: str) -> None:
    """Progress inside a long check (shown by the screen); also a cancellation point."""
    if ctx.cancel_event.is_set():
        raise QueryCancelled("cancelled by the operator")
    if ctx.on_step is not None:
        ctx.on_step(text)


def ids(name: str, values: Iterable[Any]) -> tuple[str, dict[str, Any]]:
    return in_clause(name, list(values))


# -- schema guards ---------------------------------------------------------------------------------


def require_index(ctx: CheckContext, table: str, columns: tuple[str, ...]) -> None:
    """Refuse to run a query that would scan `table` because its index is missing."""
    from attribtui.checks.schema import introspect

    live = introspect(ctx).get(table)
    if live is None:
        raise Unanswerable(f"table {table} is missing", table)
    if not any(ix.columns[: len(columns)] == columns for ix in live.indexes):
        raise Unanswerable(
            f"{table} has no index on ({', '.join(columns)}); the query would scan the table",
            table)


def has_column(ctx: CheckContext, table: str, column: str) -> bool:
    from attribtui.checks.schema import introspect

    live = introspect(ctx).get(table)
    return live is not None and column in live.columns


# -- id probes on the primary key ------------------------------------------------------------------


def first_id_at_or_after(ctx: CheckContext, table: str, id_col: str, time_col: str,
                         t: int) -> int | None:
    """The first id whose time is >= t, by binary search on the primary key (ids grow with time).

    About log2(id range) probes of one PK row each; None when the table is empty or every row is
    older than t (then the id after the newest is returned, so `id >= result` selects nothing).
    """
    return ctx.memo(f"probe:{table}:{t}", lambda: _bisect(ctx, table, id_col, time_col, t))


def _bisect(ctx: CheckContext, table: str, id_col: str, time_col: str, t: int) -> int | None:
    q = f"`{table}`"
    first = read(ctx, f"SELECT {id_col}, {time_col} FROM {q} ORDER BY {id_col} LIMIT 1")
    if not first:
        return None
    last = read(ctx, f"SELECT {id_col}, {time_col} FROM {q} ORDER BY {id_col} DESC LIMIT 1")
    lo_id, lo_t = int(first[0][0]), int(first[0][1])
    hi_id, hi_t = int(last[0][0]), int(last[0][1])
    if lo_t >= t:
        return lo_id
    if hi_t < t:
        return hi_id + 1
    a, b, found = lo_id, hi_id, hi_id  # time(first row >= a) < t <= time(first row >= b)
    probe = f"SELECT {id_col}, {time_col} FROM {q} WHERE {id_col} >= :x ORDER BY {id_col} LIMIT 1"
    while b - a > 1:
        m = (a + b) // 2
        row = read(ctx, probe, {"x": m})[0]
        if int(row[1]) >= t:
            b, found = m, int(row[0])
        else:
            a = m
    return found


def newest_id(ctx: CheckContext, table: str, id_col: str) -> int | None:
    def go() -> int | None:
        rows = read(ctx, f"SELECT {id_col} FROM `{table}` ORDER BY {id_col} DESC LIMIT 1")
        return int(rows[0][0]) if rows else None

    return ctx.memo(f"newest:{table}", go)


def conv_id_at(ctx: CheckContext, t: int) -> int | None:
    return first_id_at_or_after(ctx, pt.conversion_logs.name, "conv_id", "conv_time", t)


# -- the window --------------------------------------------------------------------------------------


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
    hi = newest_id(ctx, pt.conversion_logs.name, "conv_id")
    if lo is None or hi is None or lo > hi:
        return Window(start, end, [], False, 0)
    rows = read(ctx, f"SELECT conv_id, user_id, conv_time, deleted FROM {CONV} "
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
    params: dict[str, Any] = {"lo": lo, "hi": hi_next, "n": limit}
    if user_id is not None:
        where += " AND user_id = :u"  # KEY user_id carries the PK: a range on (user_id, conv_id)
        params["u"] = user_id
    if live:
        where += " AND deleted = 0"
    rows = read(ctx, f"SELECT {_CONV_COLS} FROM {CONV} WHERE {where} ORDER BY conv_id DESC LIMIT :n",
                params)
    return [c for c in (Conv(*map(int, r)) for r in rows) if t0 <= c.conv_time <= t1]


# -- models, users, heartbeat, rebuild audit -------------------------------------------------------


@dataclass(frozen=True)
class Model:
    model_id: int
    user_id: int
    name: str
    slug: str
    type: str
    config: str | None
    active: bool
    default: bool
    created_at: int

    @property
    def label(self) -> str:
        return f"{self.model_id} {self.slug}"


def models(ctx: CheckContext) -> list[Model]:
    def go() -> list[Model]:
        rows = read(ctx, "SELECT model_id, user_id, model_name, model_slug, model_type, "
                         "weighting_config, is_active, is_default, created_at "
                         "FROM `202_attribution_models` ORDER BY model_id LIMIT :n",
                    {"n": MODELS_CAP})
        return [Model(int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), r[5],
                      bool(int(r[6])), bool(int(r[7])), int(r[8])) for r in rows]

    return ctx.memo("models", go)


def users(ctx: CheckContext, user_ids: Iterable[int]) -> dict[int, tuple[str, bool]]:
    """user_id -> (user_name, deleted) for the given users (PK lookups)."""
    wanted = sorted(set(user_ids))
    if not wanted:
        return {}
    key = f"users:{wanted}"

    def go() -> dict[int, tuple[str, bool]]:
        sql, params = ids("u", wanted)
        rows = read(ctx, f"SELECT user_id, user_name, user_deleted FROM `202_users` "
                         f"WHERE user_id IN ({sql}) LIMIT {len(wanted)}", params)
        return {int(r[0]): (str(r[1]), bool(int(r[2] or 0))) for r in rows}

    return ctx.memo(key, go)


def live_users_with_active_models(ctx: CheckContext) -> dict[int, list[Model]]:
    """Users the rebuild processes (not deleted) that have an active model -> those models."""
    out: dict[int, list[Model]] = {}
    for m in models(ctx):
        if m.active:
            out.setdefault(m.user_id, []).append(m)
    names = users(ctx, out)
    return {u: ms for u, ms in sorted(out.items()) if u in names and not names[u][1]}


def heartbeat(ctx: CheckContext) -> int | None:
    from attribtui.checks.cron import _heartbeats

    return _heartbeats(ctx).get(2) or None


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
        lo = first_id_at_or_after(ctx, pt.attribution_audit.name, "audit_id", "created_at", t)
        if lo is None:
            return [], False
        rows = read(ctx, f"SELECT audit_id, user_id, model_id, metadata, created_at FROM {AUDIT} "
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


def coverage(model: Model, rebuilds: Sequence[Rebuild]) -> list[tuple[int, int]]:
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


# -- commands an operator can run ------------------------------------------------------------------


def _script(ctx: CheckContext, name: str) -> str:
    jobs = getattr(ctx.profile, "jobs", None)
    root = getattr(jobs, "prosper_root", None) or "/path/to/prosper202"
    php = getattr(jobs, "php", None) or "php"
    return f"{php} {str(root).rstrip('/')}/202-cronjobs/{name}"


def hour_window(t0: int, t1: int) -> tuple[int, int]:
    """Hour-aligned --start/--end covering t0..t1: --start=H0 --end=H1-1 (DESIGN, facts s.7.3)."""
    return clock.hour(t0), clock.hour(t1) + HOUR - 1


def rebuild_commands(ctx: CheckContext, user_id: int, t0: int, t1: int) -> str:
    """The rebuild for user_id over t0..t1, split into hour-aligned chunks of at most 24 h."""
    start, end = hour_window(t0, t1)
    parts = []
    while start <= end:
        chunk_end = min(end, start + DAY - 1)
        parts.append(f"{_script(ctx, 'attribution-rebuild.php')} --user={user_id} "
                     f"--start={start} --end={chunk_end}")
        start = chunk_end + 1
    if len(parts) > 3:
        parts = [*parts[:2], f"... {len(parts) - 3} more 24 h chunks ...", parts[-1]]
    return " ; ".join(parts)


def backfill_command(ctx: CheckContext, user_id: int, t0: int, t1: int) -> str:
    start, end = hour_window(t0, t1)
    return (f"{_script(ctx, 'backfill-conversion-journeys.php')} --user={user_id} "
            f"--start={start} --end={end}")


def fmt_sum(value: Any) -> str:
    return f"{float(value):.5f}"
