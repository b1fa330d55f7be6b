"""SQL helpers the sandbox's writers share: quoting a name and reading back an inserted id."""

from __future__ import annotations

from typing import TypeVarTuple

from sqlalchemy.engine import Connection, CursorResult

Ts = TypeVarTuple("Ts")


def quote(conn: Connection, name: str) -> str:
    """A table, index or database name quoted for the connection's dialect."""
    return conn.dialect.identifier_preparer.quote(name)


def inserted_id(result: CursorResult[*Ts]) -> int:
    """The primary key of the one row an INSERT wrote."""
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the INSERT reported no primary key")
    return int(key[0])
