"""The console header's live status: DB, replica lag, clock skew, API health, memcached.

`StatusProber(profile)()` probes everything (blocking; call it from a thread worker) and returns
a plain `HeaderStatus`. Screens only render it; tests inject a fixed `HeaderStatus` instead of probing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from attribtui.infra.config import Profile
from attribtui.vocab import LAG_WARN_S, SKEW_WARN_S

if TYPE_CHECKING:  # the header is on the first paint: the backends load in the probe's thread
    from attribtui.infra.db import Database

STATES = ("ok", "warn", "fail", "off")  # off: not configured
API_TIMEOUT_S = 3.0
CACHE_TIMEOUT_S = 1.0


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


class StatusProber:
    """Callable probing a profile's backends; holds its own Database (never the checks' one)."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._db: Database | None = None
        self._db_error: str | None = None
        self._opened = False

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

    def __call__(self) -> HeaderStatus:
        self._open()
        with ThreadPoolExecutor(max_workers=3, thread_name_prefix="status") as pool:
            db_f = pool.submit(self._probe_db)
            api_f = pool.submit(self._probe_api)
            cache_f = pool.submit(self._probe_cache)
            db_c, lag, skew, why = db_f.result()
            api_c, cache_c = api_f.result(), cache_f.result()
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
