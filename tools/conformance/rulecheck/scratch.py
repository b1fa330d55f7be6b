"""A scratch MariaDB database for the rules that run SQL (journey, settings, model order, decimal).

The tables come from attribtui's own schema (prosper/tables.py, the one the schema checks hold
against upstream's installer); the 1.9.56 settings layout is made by the same plant the sandbox
uses. Names start with the worktree's prefix and the process id, and the database is dropped on
exit.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pymysql
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine

from attribtui.infra.db import connection_reader
from attribtui.prosper.tables import metadata
from attribtui.sandbox.defects.plants.schema import settings_pre_1958

HOST = os.environ.get("P202_CONFORMANCE_DB_HOST", "127.0.0.1")
PORT = int(os.environ.get("P202_CONFORMANCE_DB_PORT", "3306"))
PREFIX = os.environ.get("P202_CONFORMANCE_DB_PREFIX", "conformance")

TABLES = ("202_clicks", "202_conversion_touchpoints", "202_attribution_settings",
          "202_attribution_models", "202_aff_campaigns")
DECIMAL_DDL = ("CREATE TABLE conformance_decimal (id int unsigned NOT NULL PRIMARY KEY, "
               "credit decimal(10,5) NOT NULL, money decimal(12,4) NOT NULL) ENGINE=InnoDB")


def _admin() -> pymysql.connections.Connection:
    return pymysql.connect(host=HOST, port=PORT, user="root", autocommit=True)


def create_tables(conn: Connection, layout: str = "current") -> None:
    """The rules' tables in an empty database; ``layout="1.9.56"`` gives settings without the
    multi_touch_* columns (docs/prosper202.md §Historical layouts)."""
    metadata.create_all(conn, tables=[metadata.tables[t] for t in TABLES])
    conn.execute(text(DECIMAL_DDL))
    if layout == "1.9.56":
        settings_pre_1958(conn, None)  # type: ignore[arg-type]  # the plant ignores its context


@dataclass
class Scratch:
    name: str
    engine: Engine

    @property
    def url(self) -> str:
        return f"mysql+pymysql://root@{HOST}:{PORT}/{self.name}"


@contextlib.contextmanager
def scratch_database(tag: str, layout: str = "current") -> Iterator[Scratch]:
    name = f"{PREFIX}_{os.getpid()}_{tag}"[:64]
    with _admin() as admin, admin.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
    engine = create_engine(f"mysql+pymysql://root@{HOST}:{PORT}/{name}?charset=utf8mb4")
    try:
        with engine.begin() as conn:
            create_tables(conn, layout)
        yield Scratch(name, engine)
    finally:
        engine.dispose()
        with _admin() as admin, admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


def reader(conn: Connection):  # noqa: ANN201 - attribtui.infra.db.Read
    return connection_reader(conn)
