"""The console header's live status: DB, replica lag, clock skew, API health, memcached.

`StatusProber(profile)()` probes everything (blocking; call it from a thread worker) and returns
a plain `HeaderStatus`. Screens only render it; tests inject a fixed `HeaderStatus` instead of probing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import wait as wait_for
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar, cast

from attribtui.infra.config import Profile
from attribtui.vocab import LAG_WARN_S, SKEW_WARN_S

if TYPE_CHECKING:  # the header is on the first paint: the backends load in the probe's thread
    from attribtui.infra.db import Database

STATES = ("ok", "warn", "fail", "off")  # off: not configured
API_TIMEOUT_S = 3.0
CACHE_TIMEOUT_S = 1.0
# How long the header waits for each backend before showing it as not answering. A stalled
# server keeps a socket open for the statement timeout plus slack (20 s by default); the header
# must not show the last "ok" all that time (docs/architecture.md, "Promise 7").
DB_ANSWER_S = 3.0
SLACK_S = 1.0  # above a probe's own timeout, for the thread to hand its answer back
T = TypeVar("T")


@dataclass(frozen=True)
class Component:
    """One backend as the header shows it: a state, a short text, and a one-line detail."""

    name: str
    state: str
    text: str
    detail: str = ""


@dataclass(frozen=True)
class HeaderStatus:
    db: Component
    api: Component
    cache: Component
    replica_lag_s: float | None = None  # None: no replica configured, or not known
    clock_skew_s: float | None = None  # database clock minus local clock; None: not measured
    warnings: tuple[str, ...] = ()
    checked_at: float | None = None  # wall-clock epoch of the probe

    @property
    def components(self) -> tuple[Component, Component, Component]:
        return (self.db, self.api, self.cache)


def pending() -> HeaderStatus:
    """What the header shows before the first probe has answered."""
    return HeaderStatus(
        Component("DB", "off", "checking…"),
        Component("API", "off", "checking…"),
        Component("memcached", "off", "checking…"),
    )


StatusProvider = Callable[[], HeaderStatus]


def skew_warning(skew_s: float) -> str | None:
    if abs(skew_s) <= SKEW_WARN_S:
        return None
    side = "ahead of" if skew_s > 0 else "behind"
    return f"DB clock {abs(skew_s):.0f} s {side} this machine: every age shown is off by that much"


def lag_warning(lag_s: float | None, has_replica: bool, why: str = "") -> str | None:
    if not has_replica:
        return None
    if lag_s is None:
        return f"replica lag unknown ({why or 'could not measure it'})"
    if lag_s > LAG_WARN_S:
        return f"replica {lag_s:.0f} s behind the primary: screens read stale data"
    return None


def _in_thread(fn: Callable[[], T], name: str) -> Future[T]:
    """fn in a daemon thread: a probe stuck on a dead socket must never hold up the console's
    exit (a pool's worker threads are joined at exit)."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(fn())
        except BaseException as e:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(e)

    threading.Thread(target=run, name=f"status {name}", daemon=True).start()
    return future


def _no_answer(name: str, limit_s: float, waiting_s: float) -> Component:
    since = f"; waiting {waiting_s:.0f} s" if waiting_s >= limit_s + 1 else ""
    return Component(name, "fail", "no answer",
                     f"{name} did not answer within {limit_s:g} s{since}: stalled or "
                     "overloaded; screens that read it wait, then time out")


class StatusProber:
    """Callable probing a profile's backends; holds its own Database (never the checks' one).

    Each call returns within each probe's time limit: a probe that has not answered by then is
    shown as `fail` "no answer" and left running; the next call waits on it again rather than
    piling up another probe of a stalled backend.
    """

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._db: Database | None = None
        self._db_error: str | None = None
        self._opened = False
        self._pending: dict[str, tuple[Future[object], float]] = {}  # name -> (probe, started)

    def _open(self) -> None:
        """Create the Database on first use (in a worker thread: it imports SQLAlchemy)."""
        if self._opened:
            return
        from attribtui.infra.db import Database, DbError, DbNotConfigured

        self._opened = True
        try:
            self._db = Database.from_profile(self.profile)
        except DbNotConfigured:
            self._db_error = "not configured"
        except DbError as e:
            self._db_error = str(e)

    def close(self) -> None:
        if self._db is not None:
            self._db.close()

    def _start(self, name: str, fn: Callable[[], T], now: float) -> tuple[Future[T], float]:
        """A probe in its thread, or the one still stuck from an earlier call (not doubled)."""
        held = self._pending.pop(name, None)
        if held is not None and not held[0].done():
            return cast("tuple[Future[T], float]", held)
        return _in_thread(fn, name), now

    def _await(self, name: str, probe: tuple[Future[T], float], started: float,
               limit_s: float) -> T | Component:
        """The probe's answer, or a "no answer" Component once limit_s has passed since
        `started` (the probe keeps running; the next call waits on it again)."""
        future, since = probe
        wait_for([future], timeout=max(0.0, started + limit_s - time.monotonic()))
        if future.done():
            return future.result()
        self._pending[name] = cast("tuple[Future[object], float]", probe)
        return _no_answer(name, limit_s, time.monotonic() - since)

    def __call__(self) -> HeaderStatus:
        self._open()
        now = time.monotonic()
        db_p = self._start("DB", self._probe_db, now)
        api_p = self._start("API", self._probe_api, now)
        cache_p = self._start("memcached", self._probe_cache, now)
        api_limit = min(API_TIMEOUT_S, self.profile.api.timeout_s) + SLACK_S
        db_answer = self._await("DB", db_p, now, DB_ANSWER_S)
        api_c = self._await("API", api_p, now, api_limit)
        cache_c = self._await("memcached", cache_p, now, CACHE_TIMEOUT_S + SLACK_S)
        if isinstance(db_answer, Component):  # the DB did not answer in time
            db_c, lag, skew, why = db_answer, None, None, ""
        else:
            db_c, lag, skew, why = db_answer
        has_replica = bool(self._db and self._db.has_replica)
        warnings = [w for w in (
            lag_warning(lag, has_replica, why) if db_c.state != "fail" else None,
            skew_warning(skew) if skew is not None else None,
        ) if w]
        return HeaderStatus(db_c, api_c, cache_c, lag, skew, tuple(warnings), time.time())

    def _probe_db(self) -> tuple[Component, float | None, float | None, str]:
        from attribtui.infra.db import DbError
        from attribtui.queries.replica import replica_lag

        if self._db is None:
            if self._db_error == "not configured":
                return Component("DB", "off", "not configured", "db.url is not set"), None, None, ""
            return Component("DB", "fail", "bad db.url", self._db_error or ""), None, None, ""
        db = self._db
        try:
            ms = db.ping(primary=True)
        except DbError as e:
            return Component("DB", "fail", "unreachable", str(e)), None, None, ""
        skew: float | None = None
        try:
            server, local = db.server_clock()
            skew = server - local
        except DbError:
            pass
        lag, why = None, ""
        if db.has_replica:
            try:
                lag, why = replica_lag(db)
            except DbError as e:
                why = str(e)
        late = lag is not None and lag > LAG_WARN_S
        skewed = skew is not None and abs(skew) > SKEW_WARN_S
        state = "warn" if late or skewed or (db.has_replica and lag is None) else "ok"
        comp = Component("DB", state, f"{ms:.0f} ms", f"{db.label} answered in {ms:.1f} ms")
        return comp, lag, skew, why

    def _probe_api(self) -> Component:
        base = self.profile.api.base_url
        if not base:
            return Component("API", "off", "not configured", "api.base_url is not set")
        from attribtui.infra import api

        res = api.health(base, min(API_TIMEOUT_S, self.profile.api.timeout_s))
        return Component("API", res.status, "" if res.ok else "down", res.message)

    def _probe_cache(self) -> Component:
        servers = self.profile.memcache.servers
        if not servers:
            return Component("memcached", "off", "not configured", "memcache.servers is empty")
        from attribtui.infra import memcache as cache

        res = cache.probe(servers, CACHE_TIMEOUT_S)
        return Component("memcached", res.status, "" if res.ok else "down", res.message)
