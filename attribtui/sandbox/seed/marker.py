"""The sandbox marker: rows that say a database is an attribtui sandbox and how it was seeded.

Written last of all, so a database without them is a half-done seed (schema.py owns the table).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine

from attribtui.infra import engines
from attribtui.sandbox.schema import MARKER_TABLE, marker
from attribtui.vocab import JsonDict


def read_marker(url: str) -> JsonDict | None:
    """The sandbox marker as name -> decoded value (now, hb, defects, affected, ...): None if the
    database is not a sandbox, {} while a seed is unfinished."""
    engine = engines.create(url, null_pool=True)
    try:
        if MARKER_TABLE not in inspect(engine).get_table_names():
            return None
        with engine.connect() as conn:
            rows = conn.execute(select(marker.c.name, marker.c.value)).all()
        return {name: json.loads(value) for name, value in rows}
    finally:
        engine.dispose()


def write_marker(engine: Engine, values: Mapping[str, object]) -> None:
    """Last of all: a database without these rows is a half-done seed."""
    with engine.begin() as conn:
        conn.execute(marker.insert(), [{"name": k, "value": json.dumps(v)}
                                       for k, v in values.items()])
