"""Shared fixtures: isolation from the operator's files, a frozen clock, real MariaDB databases.

Every test run uses its own database names (attribtui_t<pid>_<n>) and drops them afterwards.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator

import pymysql
import pytest

from attribtui import clock

# A fixed "now" for every seeded database and frozen clock: 2026-11-26T12:34:56Z.
NOW = 1795696496
MARIADB_HOST = os.environ.get("ATTRIBTUI_TEST_MARIADB_HOST", "127.0.0.1")
MARIADB_PORT = int(os.environ.get("ATTRIBTUI_TEST_MARIADB_PORT", "3306"))
SERVER_URL = f"mysql+pymysql://root@{MARIADB_HOST}:{MARIADB_PORT}"
_counter = itertools.count()


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read or write the operator's config or data: point both at a temp dir."""
    for key in list(os.environ):
        if key.startswith("ATTRIBTUI_") and not key.startswith("ATTRIBTUI_TEST_"):
            monkeypatch.delenv(key)
    home = tmp_path_factory.mktemp("home")
    # platformdirs follows XDG on Linux: the default config file does not exist there.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "xdg-data"))
    monkeypatch.setenv("ATTRIBTUI_DATA_DIR", str(home / "data"))


@pytest.fixture
def frozen_clock() -> Iterator[int]:
    clock.freeze(NOW)
    yield NOW
    clock.freeze(None)


def _admin() -> pymysql.connections.Connection:
    return pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", autocommit=True)


def new_database_name() -> str:
    return f"attribtui_t{os.getpid()}_{next(_counter)}"


def create_database() -> tuple[str, str]:
    name = new_database_name()
    with _admin() as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
    return name, f"{SERVER_URL}/{name}"


def drop_database(name: str) -> None:
    with _admin() as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


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
