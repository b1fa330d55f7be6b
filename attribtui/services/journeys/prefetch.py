"""The candidate clicks of many conversions, read once per span (groups.py), a few at a time.

Upstream's candidate query has no index leading with (user, campaign, time): on a large
202_clicks each run reads either the campaign's clicks (KEY aff_campaign_id) or the user's
clicks in the window (KEY user_click_time; about 0.9 s at a million conversions). Here each span
is read once, capped, and the rule is applied per conversion in Python; the result is exactly
the per-conversion query's (tests/functional/test_journey_groups.py). Which conversions share a
span follows the server's own plan for the candidate query (one EXPLAIN per batch): by
(user, campaign) when it reads the campaign, by user when it reads the user's clicks, so one
scan of a user's clicks serves all of that user's campaigns; when the campaigns' index holds a
large share of the table (SCAN_SHARE), one pass over the table serves every conversion, while
the first span is read by its index so the first conversion still shows at once.

Spans run on a ThreadPoolExecutor of `journeys.recompute_workers` threads. Database is safe to
share between threads: engines are created under a lock, each read checks its own connection out
of the pool, and the running-query registry that cancel() uses is keyed by thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from types import TracebackType

from attribtui.infra.db import (
    Database,
    DbDenied,
    DbError,
    DbUnreachable,
    MissingTable,
    Params,
    QueryCancelled,
    QueryTimeout,
    RawRow,
    Read,
)
from attribtui.prosper import tables as pt
from attribtui.prosper.journey import MAX_TOUCHES, Touch
from attribtui.queries.clicks import (
    campaign_rows,
    candidate_clicks,
    candidate_index,
    candidates_scan,
    clicks_between,
)
from attribtui.services.journeys.groups import (
    FIRST_PAGE,
    MAX_SPREAD,
    ROW_CAP,
    SCAN_BATCH,
    SCAN_ROWS_PER_S,
    SCAN_SHARE,
    GroupBy,
    Key,
    Member,
    Span,
    plan,
    settle,
    split,
    sweep_page,
    window,
)


def group_by(read: Read, keys: list[Key], *, sqlite: bool, timeout_ms: int = 5000) -> GroupBy:
    """"user" when the server reads the candidate query through an index leading with user_id
    (or a table scan): every query then scans the user's clicks, whatever the campaign. Else
    "scan" when the keys' campaigns hold SCAN_SHARE of the table or more and a pass over it
    fits in half of timeout_ms (groups.py), else "campaign" (KEY aff_campaign_id, an unknown
    index, SQLite, or EXPLAIN refused)."""
    if sqlite or not keys:
        return "campaign"
    try:
        key = candidate_index(read, *keys[0])
    except DbError:
        return "campaign"
    if key is None:
        return "user"
    index = next((i for i in pt.clicks.indexes if i.name == key), None)
    first = next(iter(index.columns), None) if index is not None else None
    if first is not None and first.name == "user_id":
        return "user"
    campaigns = sorted({c for _, c, _ in keys})
    if len(campaigns) < 2:
        return "campaign"
    try:
        index_rows, table_rows = campaign_rows(read, campaigns)
    except DbError:
        return "campaign"
    fits = table_rows <= SCAN_ROWS_PER_S * timeout_ms / 1000 / 2
    return "scan" if fits and index_rows >= SCAN_SHARE * table_rows > 0 else "campaign"


def read_span(read: Read, span: Span, cap: int = ROW_CAP) -> dict[Member, list[Touch]]:
    """(campaign_id, conv_time) -> candidates for every conversion of the span, in as few capped
    reads as the rows allow (one, unless the span's window holds more than cap clicks); a span
    of one conversion is read with the per-conversion query itself.

    A span's window is up to twice one conversion's, so where the per-conversion query runs
    close to the statement timeout the span's read can exceed it: then the conversions not yet
    settled fall back to the per-conversion query, which costs what it always did. A by-user
    span of several conversions is swept instead (read_sweep).
    """
    if cap < MAX_TOUCHES:
        raise ValueError(f"a read's cap must be at least {MAX_TOUCHES}, or reads may not end")
    if len(span.conversions) == 1:  # upstream's own query: the same scan, 25 rows back
        campaign, conv_time = span.conversions[0]
        return {span.conversions[0]: candidate_clicks(read, span.user_id, campaign, conv_time)}
    if span.by == "user":
        return read_sweep(read, span, cap)
    pending = list(span.conversions)
    found: dict[Member, list[Touch]] = {}
    while pending:
        campaigns = sorted({c for c, _ in pending})
        start, end = window(t for _, t in pending)
        try:
            rows = clicks_between(read, span.user_id, campaigns, start, end, cap)
        except QueryTimeout:
            for c, t in pending:
                found[(c, t)] = candidate_clicks(read, span.user_id, c, t)
            return found
        settled = settle(split(rows), len(rows) < cap,
                         rows[-1][1].click_time if rows else None, pending)
        if not settled:  # a guard: with one campaign a span the newest conversion settles
            found.update(by_campaign(read, span.user_id, pending, cap))
            return found
        found.update(settled)
        pending = [m for m in pending if m not in found]
    return found


def by_campaign(read: Read, user_id: int, pending: list[Member], cap: int
                ) -> dict[Member, list[Touch]]:
    """pending read per (user, campaign) span: the sweep's way out when it cannot progress."""
    found: dict[Member, list[Touch]] = {}
    for campaign in sorted({c for c, _ in pending}):
        found.update(read_span(read, Span(user_id, tuple(m for m in pending if m[0] == campaign)),
                               cap))
    return found


def read_scan(read: Read, keys: list[Key], cap: int = ROW_CAP, *, sqlite: bool = False
              ) -> dict[Key, list[Touch]]:
    """keys' candidates from one pass over the table (queries/clicks.py candidates_scan). A
    pass past the statement timeout, or refused (a server without window functions), hands the
    keys to the reads by span, which cost what they always did."""
    try:
        return dict(zip(keys, candidates_scan(read, keys, sqlite=sqlite), strict=True))
    except (QueryCancelled, DbUnreachable, DbDenied, MissingTable):
        raise
    except DbError:
        return {key: touches for span in plan(keys) for key, touches in
                read_keyed(read, span, cap).items()}


def read_keyed(read: Read, span: Span, cap: int = ROW_CAP) -> dict[Key, list[Touch]]:
    """read_span's candidates by the whole key."""
    return {(span.user_id, c, t): touches for (c, t), touches in read_span(read, span, cap).items()}


def read_sweep(read: Read, span: Span, cap: int = ROW_CAP, first_page: int = FIRST_PAGE
               ) -> dict[Member, list[Touch]]:
    """A by-user span swept newest first in pages of time that never overlap (groups.py
    sweep_page): under a plan that scans the user's clicks in the BETWEEN bounds, the user's
    clicks are scanned about once, whatever the number of campaigns and pages.

    A page aims at half the cap: it widens (up to 8 times) after a sparse page and, cut at the
    cap, is trimmed to the seconds it holds whole; should one second hold more than cap rows,
    the rest is read per (user, campaign) span. A page past the statement timeout hands the
    unsettled conversions to the per-conversion query.
    """
    pending = list(span.conversions)
    found: dict[Member, list[Touch]] = {}
    runs: dict[Member, list[Touch]] = {}
    hi = max(t for _, t in pending)
    width = max(1, first_page)
    while pending:
        lo = max(window(t for _, t in pending)[0], hi - width + 1)
        campaigns = sorted({c for c, t in pending if t >= lo})
        try:
            rows = clicks_between(read, span.user_id, campaigns, lo, hi, cap)
        except QueryTimeout:
            for c, t in pending:
                found[(c, t)] = candidate_clicks(read, span.user_id, c, t)
            return found
        if len(rows) >= cap:
            oldest = rows[-1][1].click_time
            if oldest >= hi:  # one second holds more than cap rows
                found.update(by_campaign(read, span.user_id, pending, cap))
                return found
            rows = [r for r in rows if r[1].click_time > oldest]
            lo = oldest + 1
            width = max(1, (hi - oldest) // 2)
        else:
            width = max(1, int(width * min(8.0, cap / 2 / max(1, len(rows)))))
        found.update(sweep_page(split(rows), lo, hi, runs, pending))
        pending = [m for m in pending if m not in found]
        if pending:
            hi = min(lo - 1, max(t for _, t in pending))
    return found


class Prefetch:
    """Every span's read submitted at once to a bounded pool; `candidates` waits for one.

    by: how conversions share reads; None asks the server's plan (group_by).
    Use as a context manager: leaving it early (a cancelled screen) drops the reads not started.
    """

    def __init__(self, db: Database, keys: list[Key], *, workers: int, primary: bool = False,
                 cap: int = ROW_CAP, max_spread: int = MAX_SPREAD, by: GroupBy | None = None
                 ) -> None:
        self._stop = threading.Event()
        read = self._stoppable(db.reader(primary=primary))
        self.by: GroupBy = by or group_by(read, keys, sqlite=db.is_sqlite,
                                          timeout_ms=db.statement_timeout_ms)
        spans = plan(keys, max_spread, "campaign" if self.by == "scan" else self.by)
        reads: list[tuple[list[Key], Callable[[], dict[Key, list[Touch]]]]] = [
            (span.members(), partial(read_keyed, read, span, cap)) for span in spans]
        if self.by == "scan":  # the first span by its index, the others in passes
            rest = [key for span in spans[1:] for key in span.members()]
            batches = [rest[i:i + SCAN_BATCH] for i in range(0, len(rest), SCAN_BATCH)]
            reads[1:] = [(batch, partial(read_scan, read, batch, cap, sqlite=db.is_sqlite))
                         for batch in batches]
        self._pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(reads) or 1)),
                                        thread_name_prefix="journey-candidates")
        self._futures: dict[Key, Future[dict[Key, list[Touch]]]] = {}
        for members, go in reads:
            future = self._pool.submit(go)
            for key in members:
                self._futures[key] = future

    def candidates(self, key: Key) -> list[Touch]:
        """The candidates of (user_id, campaign_id, conv_time); re-raises its read's DbError."""
        return self._futures[key].result()[key]

    def _stoppable(self, read: Read) -> Read:
        """read, refusing once closed: a span between two of its reads stops there, rather than
        issue reads nobody waits for (each up to the statement timeout) after a cancel."""
        def stoppable(sql: str, params: Params | None = None, /) -> Sequence[RawRow]:
            if self._stop.is_set():
                raise QueryCancelled("the lookup was left")
            return read(sql, params)

        return stoppable

    def close(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Prefetch:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def prefetch_all(db: Database, keys: list[Key], *, workers: int, primary: bool = False,
                 cap: int = ROW_CAP, max_spread: int = MAX_SPREAD, by: GroupBy | None = None
                 ) -> dict[Key, list[Touch]]:
    """Every key's candidates at once (tests and the bench; callers stream with Prefetch)."""
    with Prefetch(db, keys, workers=workers, primary=primary, cap=cap, max_spread=max_spread,
                  by=by) as pre:
        return {key: pre.candidates(key) for key in keys}
