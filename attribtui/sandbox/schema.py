"""Create and drop the sandbox's Prosper202 tables from the one MetaData (prosper/tables.py).

SQLite (the demo) keeps index names in one namespace per database, while Prosper202 reuses names
across tables (user_id, click_lookup, model_lookup...), so there each index is created as
``<table>__<index>``; ``sqlite_index_name`` gives the mapping to whoever needs to read them back.
"""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table, Text, inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.schema import CreateTable

from attribtui.prosper.tables import metadata
from attribtui.sandbox.sql import quote

MARKER_TABLE = "attribtui_sandbox"

# Kept apart from the Prosper202 MetaData: it is ours, not part of the expected schema.
marker = Table(
    MARKER_TABLE,
    MetaData(),
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=True),
    mysql_engine="InnoDB",
    mysql_charset="utf8mb4",
    mysql_collate="utf8mb4_general_ci",
)


def sqlite_index_name(table: str, index: str) -> str:
    return f"{table}__{index}"


def _create_sqlite(conn: Connection) -> None:
    for table in metadata.sorted_tables:
        conn.execute(CreateTable(table))
        for index in table.indexes:
            cols = ", ".join(quote(conn, c.name) for c in index.columns)
            unique = "UNIQUE " if index.unique else ""
            name = sqlite_index_name(table.name, str(index.name))
            conn.exec_driver_sql(
                f"CREATE {unique}INDEX {quote(conn, name)} ON {quote(conn, table.name)} ({cols})"
            )


def create_schema(engine: Engine) -> None:
    """Every Prosper202 table (with its indexes) plus the empty sandbox marker table."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            _create_sqlite(conn)
        else:
            metadata.create_all(conn)
        marker.create(conn)


def drop_schema(engine: Engine) -> None:
    """Drop every Prosper202 table and the marker, whichever of them exist."""
    with engine.begin() as conn:
        present = set(inspect(conn).get_table_names())
        for table in [*reversed(metadata.sorted_tables), marker]:
            if table.name in present:
                table.drop(conn)
