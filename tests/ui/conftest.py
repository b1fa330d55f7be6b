"""UI fixtures: profiles built in code, a fixed header status, a frozen clock, deterministic checks."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest
from textual.widgets import Button
from textual.worker import WorkerCancelled

from attribtui import checks
from attribtui.checks.framework import CheckSpec, Outcome
from attribtui.checks.results import Evidence
from attribtui.infra import clock
from attribtui.infra.config import DbConfig, MemcacheConfig, Profile
from attribtui.services.status import Component, HeaderStatus
from screens.app import ConsoleApp
from tests.support import NOW

FIXED_STATUS = HeaderStatus(
    Component("DB", "ok", "2 ms", "mysql 127.0.0.1:3306/prosper202 answered in 2.0 ms"),
    Component("API", "off", "not configured", "api.base_url is not set"),
    Component("memcached", "ok", "", "memcached 1.6.18 (0.3 ms)"),
)


def fixed_status() -> HeaderStatus:
    return FIXED_STATUS


def make_profile(url: str | None, *, name: str = "staging", environment: str = "staging",
                 read_only: bool = False, overrides: list[str] | None = None,
                 memcache: list[str] | None = None) -> Profile:
    return Profile(name=name, environment=environment, read_only=read_only,
                   db=DbConfig(url=url, connect_timeout_s=2.0),
                   memcache=MemcacheConfig(servers=memcache or []),
                   overrides=overrides or [])


def make_app(profile: Profile, **kw: Any) -> ConsoleApp:
    kw.setdefault("status_provider", fixed_status)
    kw.setdefault("status_interval", 3600)
    return ConsoleApp(profile, **kw)


async def settle(pilot: Any) -> None:
    """Let every worker finish and the screen handle what they reported.

    A worker's result arrives as a message, whose handler may start the next worker: wait until
    no worker runs (a worker cancelled by a newer one of its group is not an error).
    """
    for i in range(20):
        await pilot.pause()
        running = [w for w in pilot.app.workers if w.is_running]
        if i >= 3 and not running:
            break
        with contextlib.suppress(WorkerCancelled):
            await pilot.app.workers.wait_for_complete(running)
    await pilot.pause()


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    clock.freeze(NOW)
    yield
    clock.freeze(None)


@pytest.fixture(autouse=True)
def _instant_buttons(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Button ignores clicks while its 0.2 s press effect shows (wall-clock time). Tests click
    faster than people, so the effect is off: a second click is never silently dropped."""
    original = Button.__init__

    def init(self: Button, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.active_effect_duration = 0

    monkeypatch.setattr(Button, "__init__", init)


@pytest.fixture
def deterministic_db_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The db.* checks measure real round trips and the wall clock: fixed outcomes for snapshots."""
    registry = checks.load_checks()
    fixed = {
        "db.connection": Outcome("ok", "Connected to mysql 127.0.0.1:3306/prosper202 in 2.0 ms.",
                                 Evidence.of(["role", "database", "round trip"],
                                             [["primary", "mysql 127.0.0.1:3306/prosper202",
                                               "2.0 ms"]])),
        "db.clock_skew": Outcome("ok", "Clocks agree within 0.2 s."),
    }
    for cid, out in fixed.items():
        spec = registry[cid]
        monkeypatch.setitem(registry, cid, CheckSpec(spec.id, spec.title, lambda _c, o=out: o))


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio through anyio's pytest plugin (httpx brings anyio)."""
    return "asyncio"
