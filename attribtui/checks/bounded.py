"""Guards that keep a check's reads bounded: a check whose index is missing is skipped.

Production safety (docs/architecture.md, "Safety"): a query that would scan a table because its
index is gone is never run; the check reports `skipped` with the table as evidence instead.
"""

from __future__ import annotations

import functools

from attribtui.checks.framework import CheckContext, CheckFn, Evidence, Outcome
from attribtui.checks.introspect import introspect
from attribtui.infra.db import MissingTable
from attribtui.vocab import Status


class Unanswerable(Exception):
    """The check cannot be answered within its bound (e.g. the index it needs is missing)."""

    def __init__(self, reason: str, table: str) -> None:
        super().__init__(reason)
        self.table = table

    def outcome(self) -> Outcome:
        return Outcome(Status.SKIPPED, f"Not run: {self}.",
                       Evidence.of(["table", "why"], [[self.table, str(self)]]),
                       "Restore the table or index from Prosper202's installer schema "
                       "(see schema.tables / schema.indexes), then rerun the checks.")


def skip_on_missing(fn: CheckFn) -> CheckFn:
    """Decorator: an Unanswerable or missing table becomes `skipped` with the table as evidence."""

    @functools.wraps(fn)
    def wrapper(ctx: CheckContext) -> Outcome:
        try:
            return fn(ctx)
        except Unanswerable as e:
            return e.outcome()
        except MissingTable as e:
            name = str(e).split(" ")[1] if str(e).startswith("table ") else "?"
            return Unanswerable(f"{e}", name).outcome()

    return wrapper


def require_index(ctx: CheckContext, table: str, columns: tuple[str, ...]) -> None:
    """Refuse to run a query that would scan `table` because its index is missing."""
    live = introspect(ctx).get(table)
    if live is None:
        raise Unanswerable(f"table {table} is missing", table)
    if not any(ix.columns[: len(columns)] == columns for ix in live.indexes):
        raise Unanswerable(
            f"{table} has no index on ({', '.join(columns)}); the query would scan the table",
            table)


def has_column(ctx: CheckContext, table: str, column: str) -> bool:
    live = introspect(ctx).get(table)
    return live is not None and column in live.columns
