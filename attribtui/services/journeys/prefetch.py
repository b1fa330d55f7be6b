"""The candidate clicks of many conversions, read once per (user, campaign) span, a few at a time.

Upstream's candidate query has no index leading with (user, campaign, time): on a large
202_clicks each run scans the user's month of clicks (about 0.9 s at a million conversions), so
recomputing 100 conversions of one campaign read the same clicks 100 times. Here each span
(groups.py) is read once, capped, and the rule is applied per conversion in Python; the result
is exactly the per-conversion query's (tests/functional/test_journey_groups.py).

Spans run on a ThreadPoolExecutor of `journeys.recompute_workers` threads. Database is safe to
share between threads: engines are created under a lock, each read checks its own connection out
of the pool, and the running-query registry that cancel() uses is keyed by thread.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

from attribtui.infra.db import Database, QueryTimeout, Read
from attribtui.prosper.journey import MAX_TOUCHES, Touch
from attribtui.queries.clicks import candidate_clicks, clicks_between
from attribtui.services.journeys.groups import (
    MAX_SPREAD,
    ROW_CAP,
    Key,
    Span,
    plan,
    settle,
    window,
)


def read_span(read: Read, span: Span, cap: int = ROW_CAP) -> dict[int, list[Touch]]:
    """conv_time -> candidates for every conversion of the span, in as few capped reads as the
    rows allow (one, unless the span's window holds more than cap clicks); a span of one
    conversion is read with the per-conversion query itself.

    A span's window is up to twice one conversion's, so where the per-conversion query runs
    close to the statement timeout the span's read can exceed it: then the conversions not yet
    settled fall back to the per-conversion query, which costs what it always did.
    """
    if cap < MAX_TOUCHES:
        raise ValueError(f"a read's cap must be at least {MAX_TOUCHES}, or reads may not end")
    if len(span.conv_times) == 1:  # upstream's own query: the same scan, 25 rows back
        conv_time = span.conv_times[0]
        return {conv_time: candidate_clicks(read, span.user_id, span.campaign_id, conv_time)}
    pending = list(span.conv_times)
    found: dict[int, list[Touch]] = {}
    while pending:
        start, end = window(pending)
        try:
            rows = clicks_between(read, span.user_id, span.campaign_id, start, end, cap)
        except QueryTimeout:
            for t in pending:
                found[t] = candidate_clicks(read, span.user_id, span.campaign_id, t)
            return found
        found.update(settle(rows, len(rows) < cap, pending))
        pending = [t for t in pending if t not in found]
    return found


class Prefetch:
    """Every span's read submitted at once to a bounded pool; `candidates` waits for one.

    Use as a context manager: leaving it early (a cancelled screen) drops the reads not started.
    """

    def __init__(self, db: Database, keys: list[Key], *, workers: int, primary: bool = False,
                 cap: int = ROW_CAP, max_spread: int = MAX_SPREAD) -> None:
        read = db.reader(primary=primary)
        spans = plan(keys, max_spread)
        self._pool = ThreadPoolExecutor(max_workers=max(1, min(workers, len(spans) or 1)),
                                        thread_name_prefix="journey-candidates")
        self._futures: dict[Key, Future[dict[int, list[Touch]]]] = {}
        for span in spans:
            future = self._pool.submit(read_span, read, span, cap)
            for key in span.members():
                self._futures[key] = future

    def candidates(self, key: Key) -> list[Touch]:
        """The candidates of (user_id, campaign_id, conv_time); re-raises its span's DbError."""
        return self._futures[key].result()[key[2]]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> Prefetch:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def prefetch_all(db: Database, keys: list[Key], *, workers: int, primary: bool = False,
                 cap: int = ROW_CAP, max_spread: int = MAX_SPREAD) -> dict[Key, list[Touch]]:
    """Every key's candidates at once (tests and the bench; callers stream with Prefetch)."""
    with Prefetch(db, keys, workers=workers, primary=primary, cap=cap,
                  max_spread=max_spread) as pre:
        return {key: pre.candidates(key) for key in keys}
