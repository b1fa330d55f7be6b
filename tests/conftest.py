"""Shared fixtures: isolation from the operator's files, a frozen clock, real MariaDB databases.

Every test run uses its own database names (attribtui_t<pid>_<n>) and drops them afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from attribtui.infra import clock
from tests.support import NOW, create_database, drop_database


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Never read or write the operator's config or data: point both at a temp dir."""
    for key in list(os.environ):
        if key.startswith("ATTRIBTUI_") and not key.startswith("ATTRIBTUI_TEST_"):
            monkeypatch.delenv(key)
    home = tmp_path_factory.mktemp("home")
    # platformdirs follows XDG on Linux: the default config file does not exist there.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
    monkeypatch.setenv("ATTRIBTUI_DATA_DIR", str(home / "data"))
    yield
    _stop_leftover_jobs(home / "data" / "jobs")


def _stop_leftover_jobs(jobs: Path) -> None:
    """A test that failed half-way must not leave a detached job running after the suite."""
    if not jobs.is_dir():
        return
    from attribtui.services.jobs import runner, store

    for rec in store.running():
        runner.cancel(rec, grace_s=1)


@pytest.fixture
def frozen_clock() -> Iterator[int]:
    clock.freeze(NOW)
    yield NOW
    clock.freeze(None)


@pytest.fixture
def fresh_db() -> Iterator[Callable[[], str]]:
    """A factory of empty MariaDB databases (URLs), all dropped after the test."""
    names: list[str] = []

    def make() -> str:
        name, url = create_database()
        names.append(name)
        return url

    yield make
    for name in names:
        drop_database(name)


@pytest.fixture(scope="session")
def seeded_url() -> Iterator[str]:
    """One MariaDB database seeded once per session with the demo defects at NOW (read-only use)."""
    from attribtui.sandbox.seed import seed

    name, url = create_database()
    seed(url, conversions=600, now=NOW, defects="demo")
    yield url
    drop_database(name)


@pytest.fixture(scope="session")
def clean_url() -> Iterator[str]:
    """One MariaDB database seeded once per session without defects (read-only use)."""
    from attribtui.sandbox.seed import seed

    name, url = create_database()
    seed(url, conversions=600, now=NOW, defects="none")
    yield url
    drop_database(name)


@pytest.fixture(scope="session")
def empty_url() -> Iterator[str]:
    """One MariaDB database with Prosper202's tables and no row: an installed, unused tracker."""
    from sqlalchemy import create_engine

    from attribtui.sandbox.schema import create_schema

    name, url = create_database()
    engine = create_engine(url)
    create_schema(engine)
    engine.dispose()
    yield url
    drop_database(name)
