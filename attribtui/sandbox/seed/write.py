"""Writing the story's rows: chunked executemany, one transaction per chunk."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator
from typing import TypeAlias

from sqlalchemy import Table
from sqlalchemy.engine import Engine

from attribtui.prosper import tables as pt
from attribtui.sandbox.seed.records import TableRows

CHUNK_ROWS = 10_000

Progress: TypeAlias = Callable[[str, float], None]  # (stage or table name, fraction done)


def write_rows(engine: Engine, rows: TableRows, progress: Progress | None) -> None:
    """Every table's rows in order, in chunks, so no statement grows unbounded."""
    total = sum(len(r) for r in rows.values()) or 1
    done = 0
    for name, table_rows in rows.items():
        table: Table = pt.metadata.tables[name]
        for start in range(0, len(table_rows), CHUNK_ROWS):
            chunk = table_rows[start:start + CHUNK_ROWS]
            with engine.begin() as conn:
                conn.execute(table.insert(), chunk)
            done += len(chunk)
            if progress:
                progress(name, done / total)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The seed holds millions of acyclic rows; cyclic GC passes over them cost about a quarter
    of the run and find nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
