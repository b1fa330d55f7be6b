"""The live layout of the tables prosper/tables.py knows: columns and indexes, read once per run.

Shared by the schema checks (which compare it with the installer's schema) and the guards that
skip a check whose index is missing (bounded.py).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from attribtui.checks.framework import CheckContext
from attribtui.infra.db import in_clause
from attribtui.prosper import tables as t


@dataclass
class LiveIndex:
    name: str
    columns: tuple[str, ...]
    unique: bool


@dataclass
class LiveTable:
    columns: dict[str, tuple[str, bool]] = field(default_factory=dict)  # name -> (type, nullable)
    indexes: list[LiveIndex] = field(default_factory=list)


def introspect(ctx: CheckContext) -> dict[str, LiveTable]:
    """The live layout of every table in the MetaData, read once per run."""
    return ctx.memo("schema.introspect", lambda: _introspect(ctx))


def _introspect(ctx: CheckContext) -> dict[str, LiveTable]:
    names = list(t.metadata.tables)
    db = ctx.db
    if db.is_sqlite:
        return _introspect_sqlite(ctx, names)
    live: dict[str, LiveTable] = {}
    in_sql, params = in_clause("t", names)
    for r in db.read(
        "SELECT TABLE_NAME, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS "
        f"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ({in_sql}) "
        "ORDER BY TABLE_NAME, ORDINAL_POSITION LIMIT 5000", params,
    ):
        live.setdefault(r[0], LiveTable()).columns[r[1]] = (norm_mysql(r[2]), r[3] == "YES")
    grouped: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for r in db.read(
        "SELECT TABLE_NAME, INDEX_NAME, NON_UNIQUE, COLUMN_NAME FROM information_schema.STATISTICS "
        f"WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN ({in_sql}) "
        "ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX LIMIT 5000", params,
    ):
        grouped[(r[0], r[1])].append(r)
    for (table, index), rows in grouped.items():
        if table in live:
            live[table].indexes.append(
                LiveIndex(index, tuple(r[3] for r in rows), not int(rows[0][2])))
    return live


def _introspect_sqlite(ctx: CheckContext, names: list[str]) -> dict[str, LiveTable]:
    db = ctx.db
    live: dict[str, LiveTable] = {}
    present = {r[0] for r in db.read(
        "SELECT name FROM sqlite_master WHERE type = 'table' LIMIT 1000")}
    for name in names:
        if name not in present:
            continue
        lt = live[name] = LiveTable()
        info = db.read('SELECT name, type, "notnull", pk FROM pragma_table_info(:t)', {"t": name})
        for r in info:
            lt.columns[r[0]] = (norm_sqlite(r[1]), not r[2] and not r[3])
        pk = tuple(r[0] for r in sorted((r for r in info if r[3]), key=lambda r: r[3]))
        if pk:
            lt.indexes.append(LiveIndex("PRIMARY", pk, True))
        for r in db.read('SELECT name, "unique" FROM pragma_index_list(:t)', {"t": name}):
            cols = tuple(c[0] for c in db.read(
                "SELECT name FROM pragma_index_info(:i) ORDER BY seqno", {"i": r[0]}))
            lt.indexes.append(LiveIndex(r[0], cols, bool(r[1])))
    return live


_INT_WIDTH = re.compile(r"\b(tinyint|smallint|mediumint|int|integer|bigint)\(\d+\)")


def norm_mysql(type_text: str) -> str:
    """'int(11) unsigned' and MySQL 8's 'int unsigned' compare equal; 'DECIMAL(11, 5)' too."""
    s = _INT_WIDTH.sub(r"\1", type_text.lower()).replace("integer", "int")
    return re.sub(r"\s*,\s*", ",", s).strip()


def norm_sqlite(type_text: str) -> str:
    return re.sub(r"\s*,\s*", ",", type_text.upper()).strip()
