"""DDL that hides the dialect differences: the demo's SQLite and MariaDB name and alter alike."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from attribtui.sandbox.schema import sqlite_index_name
from attribtui.sandbox.sql import quote


def drop_index(conn: Connection, table: str, index: str) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(text(f"DROP INDEX {quote(conn, sqlite_index_name(table, index))}"))
    else:
        conn.execute(text(f"ALTER TABLE {quote(conn, table)} DROP INDEX {quote(conn, index)}"))


def drop_column(conn: Connection, table: str, column: str) -> None:
    conn.execute(text(f"ALTER TABLE {quote(conn, table)} DROP COLUMN {quote(conn, column)}"))


def drop_table(conn: Connection, table: str) -> None:
    conn.execute(text(f"DROP TABLE {quote(conn, table)}"))


def mariadb_only(conn: Connection, defect_id: str) -> None:
    if conn.dialect.name == "sqlite":
        raise NotImplementedError(f"defect {defect_id} needs MariaDB DDL; plant it on MariaDB")
