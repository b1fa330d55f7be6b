"""Faults a drill plants in the stand-ins, so a rehearsal fails the way a real night does.

A drill (sandbox/drills.py) writes them into the sandbox marker (name "faults"); a stand-in arms
the ones for its script when it connects, and each fires once: it is marked spent in the marker
before it strikes, so the operator's re-run goes through, as after a real transient failure.

- ``conversion_fails`` (backfill): persisting that conversion fails with a lock wait timeout. The
  script goes on, prints `Conversion <id> failed: MySQL execute failed: ...` and exits 1.
- ``db_gone`` (backfill, rebuild): after ``after`` statements the server goes away: every later
  statement fails with 2006, as when MariaDB restarts mid-run. The rebuild has written its guard
  row by then, so its re-run skips the window until the operator deletes that row.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from attribtui.sandbox.schema import MARKER_TABLE

GONE = (2006, "MySQL server has gone away")
LOCK_WAIT = (1205, "Lock wait timeout exceeded; try restarting transaction")
CONNECTION_LOST = {2006, 2013}  # MySQL client errors: server gone away, lost during query


class _DriverError(Exception):
    """What the driver raises (args = (code, message), like PyMySQL's errors)."""


class _State:
    """This process's armed faults (a stand-in is one process, one run)."""

    def __init__(self) -> None:
        self.faults: list[dict[str, Any]] = []
        self.engine: Engine | None = None
        self.statements = 0
        self.gone = False


_state = _State()


def arm(engine: Engine, script: str) -> None:
    """Read the unspent faults for this script from the marker; hook the engine if any."""
    try:
        with engine.connect() as conn:
            value = conn.execute(text(f"SELECT value FROM `{MARKER_TABLE}` WHERE name = 'faults'"),
                                 ).scalar()
    except Exception:  # noqa: BLE001 - not a sandbox with a marker: no faults
        return
    faults = json.loads(value) if value else []
    _state.faults = [f for f in faults if f.get("script") == script and not f.get("spent")]
    if not _state.faults:
        return
    _state.engine = engine
    event.listen(engine, "before_cursor_execute", _before_statement)


def conversion_fails(conv_id: int) -> None:
    """Raise the planted lock wait timeout when persisting this conversion (once)."""
    for fault in _state.faults:
        if fault["kind"] == "conversion_fails" and fault.get("conv_id") == conv_id:
            _spend(fault)
            raise OperationalError("INSERT INTO `202_conversion_touchpoints` ...", {},
                                   _DriverError(*LOCK_WAIT))


def connection_lost(e: BaseException) -> bool:
    """Whether a driver error says the connection to the server is gone (2006, 2013)."""
    args: tuple[object, ...] = tuple(getattr(getattr(e, "orig", None), "args", ()))
    return bool(args) and args[0] in CONNECTION_LOST


def _before_statement(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
    if _state.gone:
        raise OperationalError(statement, {}, _DriverError(*GONE))
    _state.statements += 1
    for fault in _state.faults:
        if fault["kind"] == "db_gone" and _state.statements > int(fault.get("after", 0)):
            _spend(fault)
            _state.gone = True
            raise OperationalError(statement, {}, _DriverError(*GONE))


def _spend(fault: dict[str, Any]) -> None:
    """Mark the fault spent in the marker before it strikes (on a connection of its own)."""
    _state.faults.remove(fault)
    assert _state.engine is not None
    with _state.engine.begin() as conn:
        value = conn.execute(text(f"SELECT value FROM `{MARKER_TABLE}` WHERE name = 'faults'"),
                             ).scalar()
        faults = json.loads(value) if value else []
        for f in faults:
            if {k: v for k, v in f.items() if k != "spent"} == fault:
                f["spent"] = True
        conn.execute(text(f"UPDATE `{MARKER_TABLE}` SET value = :v WHERE name = 'faults'"),
                     {"v": json.dumps(faults)})
