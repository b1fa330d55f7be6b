"""Every SQLAlchemy engine attribtui creates, from one factory with one set of safe defaults.

Bound parameters are hidden in every error (hide_parameters). SQLite (the demo and its stand-ins,
emulator and seeder, which write concurrently) gets WAL, so readers never block the writer, one
busy timeout, a small page cache and, for read engines, query_only. MariaDB/MySQL gets utf8mb4,
a connect timeout that also bounds the handshake, and, for the console's Database, a session
under a statement timeout, in UTC, READ ONLY unless it writes (docs/architecture.md, "Safety").

A URL is parsed once, by `parse_url`, whose error names the setting and never quotes the URL.
The pool's own logging is silenced: a connection that died (a cut right after a COMMIT) is
reported by the caller in one line, not by the pool's traceback on stderr.
"""

from __future__ import annotations

import logging
import sqlite3
from decimal import Decimal
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool

from attribtui.infra.redact import DB_URL_FIX, db_url_problem
from attribtui.vocab import AttribtuiError

SQLITE_BUSY_MS = 15000
SOCKET_SLACK_S = 15  # PyMySQL's socket timeouts sit this far above the statement timeout

# "Exception during reset or similar" and friends: the pool logs a dead connection's traceback
# at ERROR; with no handler configured Python prints it on stderr (19 lines after a cut COMMIT).
# The failure reaches the caller as an exception, which says it in one line (promise 4: a
# traceback may hold a secret). With a handler on the way up (a NullHandler), Python's
# last-resort stderr handler stays out; the pool's records stop there.
for _name in ("sqlalchemy", "sqlalchemy.pool"):
    logging.getLogger(_name).addHandler(logging.NullHandler())
logging.getLogger("sqlalchemy.pool").propagate = False

# PyMySQL binds Decimal (the rebuild's money, stored as upstream stores it); sqlite3 does not.
# As text, a DECIMAL column's numeric affinity stores it as a number, as MariaDB would.
sqlite3.register_adapter(Decimal, str)


class BadUrl(AttribtuiError):
    """A database URL that cannot be parsed; the message names the setting, never the URL."""


def parse_url(url: str, key: str = "the database URL") -> URL:
    """SQLAlchemy's URL for url, or BadUrl naming `key` and the fix, quoting no part of url (a
    password's unencoded "@" would otherwise put its tail in the error)."""
    problem = db_url_problem(url)
    if problem is None:
        try:
            return make_url(url)
        except (ArgumentError, ValueError, TypeError):
            problem = f"not a database URL; {DB_URL_FIX}"  # SQLAlchemy's own text may quote it
    raise BadUrl(f"{key} is {problem}")


def is_sqlite(url: str) -> bool:
    return parse_url(url).get_backend_name() == "sqlite"


def create(url: str, *, connect_timeout_s: float = 5.0, statement_timeout_ms: int | None = None,
           read_only: bool = False, null_pool: bool = False) -> Engine:
    """An engine for url. statement_timeout_ms set: every session runs under it, in UTC, and READ
    ONLY when read_only (the console's reads); unset: a plain engine (the sandbox, tools)."""
    if is_sqlite(url):
        engine = create_engine(url, hide_parameters=True,
                               connect_args={"timeout": SQLITE_BUSY_MS / 1000,
                                             "check_same_thread": False},
                               **({"poolclass": NullPool} if null_pool else {}))
        _sqlite_pragmas(engine, read_only=read_only)
        return engine
    connect = max(1, int(connect_timeout_s))
    limit_s = (statement_timeout_ms or 0) / 1000
    engine = create_engine(
        url, hide_parameters=True,
        **({"poolclass": NullPool} if null_pool else
           {"pool_pre_ping": True, "pool_recycle": 3600, "pool_size": 4, "max_overflow": 4}),
        connect_args={
            "connect_timeout": connect,
            # The handshake is bounded by the connect timeout too (a host that accepts TCP but
            # never speaks must fail fast); _session raises it once connected.
            "read_timeout": connect if statement_timeout_ms else 10,
            "write_timeout": int(limit_s + SOCKET_SLACK_S),
            "charset": "utf8mb4",
        })
    if statement_timeout_ms:
        _mysql_session(engine, statement_timeout_ms, read_only=read_only)
    return engine


def _mysql_session(engine: Engine, statement_timeout_ms: int, *, read_only: bool) -> None:
    @event.listens_for(engine, "connect")
    def _session(dbapi_conn: Any, _rec: Any) -> None:
        mariadb = "mariadb" in dbapi_conn.get_server_info().lower()
        cur = dbapi_conn.cursor()
        try:
            cur.execute(statement_timeout_sql(mariadb, statement_timeout_ms))
            cur.execute("SET SESSION time_zone = '+00:00'")
            if read_only:
                cur.execute("SET SESSION TRANSACTION READ ONLY")
        finally:
            cur.close()
        dbapi_conn.attribtui_mariadb = mariadb
        # PyMySQL applies _read_timeout on every read; above the statement timeout so the
        # server, not the socket, ends a long query (and a half-open socket still ends).
        dbapi_conn._read_timeout = int(statement_timeout_ms / 1000 + SOCKET_SLACK_S)


def statement_timeout_sql(mariadb: bool, timeout_ms: int) -> str:
    """MariaDB's max_statement_time (seconds) or MySQL's max_execution_time (milliseconds)."""
    if mariadb:
        return f"SET SESSION max_statement_time = {timeout_ms / 1000:.3f}"
    return f"SET SESSION max_execution_time = {int(timeout_ms)}"


def _sqlite_pragmas(engine: Engine, *, read_only: bool) -> None:
    @event.listens_for(engine, "connect")
    def _setup(dbapi_conn: sqlite3.Connection, _rec: Any) -> None:
        dbapi_conn.execute("PRAGMA journal_mode=WAL")
        dbapi_conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        dbapi_conn.execute("PRAGMA cache_size=-1024")
        if read_only:
            dbapi_conn.execute("PRAGMA query_only=ON")
