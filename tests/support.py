"""Helpers shared by tests: the fixed NOW and real MariaDB databases with unique names."""

from __future__ import annotations

import itertools
import os

import pymysql

# A fixed "now" for every seeded database and frozen clock: 2026-11-26T12:34:56Z.
NOW = 1795696496
MARIADB_HOST = os.environ.get("ATTRIBTUI_TEST_MARIADB_HOST", "127.0.0.1")
MARIADB_PORT = int(os.environ.get("ATTRIBTUI_TEST_MARIADB_PORT", "3306"))
SERVER_URL = f"mysql+pymysql://root@{MARIADB_HOST}:{MARIADB_PORT}"
_counter = itertools.count()


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
