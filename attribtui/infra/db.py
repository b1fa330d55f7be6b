"""The safe data layer: bounded, cancellable, read-only-by-default access to a Prosper202 database.

Production-safety promises 1, 3 and 4 (docs/architecture.md) live here:
- every read runs under a statement timeout (MariaDB `max_statement_time`, MySQL
  `max_execution_time`, SQLite a progress-handler deadline) in a read-only session, with PyMySQL
  socket timeouts above it so a half-open connection cannot hang a worker;
- a running read can be cancelled (`KILL QUERY` on a second connection; `interrupt()` on SQLite);
- writes go through `write()`, which a read-only profile refuses;
- engines hide bound parameters, and every error is one line that never carries them.
Reads go to `db.read_url` (a replica) when configured; `primary=True` reads (verification right
after an action) always go to the primary.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine, Row, make_url
from sqlalchemy.exc import DBAPIError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.sql import Executable

from attribtui.infra import engines
from attribtui.infra.config import Profile
from attribtui.infra.redact import describe_db_url
from attribtui.vocab import AttribtuiError, Refused, Unreachable

T = TypeVar("T")
RawRow = Row[*tuple[Any, ...]]
V = TypeVar("V")
Params = Mapping[str, object]  # named parameters, always bound (never formatted into the SQL)
SqlValue = int | float | str | Decimal | None  # what a scalar read gives back  # a row of any shape, read by position or ._mapping


class Read(Protocol):
    """One bounded read: SQL text with named parameters -> all rows (queries/ take one)."""

    def __call__(self, sql: str, params: Params | None = None, /) -> Sequence[RawRow]:
        ...

# MySQL/MariaDB error numbers we translate into one clear sentence.
ER_CANT_CONNECT = {2002, 2003, 2005, 2006}
ER_LOST = {2013, 2055}
ER_ACCESS_DENIED = {1044, 1045, 1698}
ER_BAD_DB = 1049
ER_INTERRUPTED = 1317
ER_STATEMENT_TIMEOUT = {1969, 3024}
ER_READ_ONLY = {1792}
ER_NO_SUCH_TABLE = 1146
ER_DENIED = {1142, 1143, 1227}  # table, column, or global privilege missing
# A statement that needs the privilege but touches no row: MariaDB checks privileges first.
PRIVILEGE_PROBES = {
    "SELECT": "SELECT 1 FROM `{t}` WHERE 1 = 0",
    "DELETE": "DELETE FROM `{t}` WHERE 1 = 0",
    "INSERT": "INSERT INTO `{t}` SELECT * FROM `{t}` WHERE 1 = 0",
    "UPDATE": "UPDATE `{t}` SET `{c}` = `{c}` WHERE 1 = 0",  # {c}: the table's first column
}
# The first column of a table the user holds some privilege on (none: no row, so UPDATE is missing).
FIRST_COLUMN_SQL = ("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
                    "DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION LIMIT 1")


class DbError(AttribtuiError):
    """A database problem, as one line an operator can act on."""


class DbNotConfigured(DbError):
    pass


class DbUnreachable(DbError, Unreachable):
    pass


class QueryTimeout(DbError):
    pass


class QueryCancelled(DbError):
    pass


class ReadOnlyError(DbError, Refused):
    pass


class DbDenied(DbError, Unreachable):
    """The database user lacks a privilege: like a 403, the console cannot tell or act (exit 3)."""


class MissingTable(DbError):
    """A table the query needs does not exist (reported by schema.tables)."""


describe_url = describe_db_url


@dataclass
class _Running:
    kind: str  # "mysql" | "sqlite"
    handle: Any  # server thread id (mysql) or the sqlite3 connection


class Database:
    """Engines for one profile: primary (writes), read (replica or primary), verify (primary)."""

    def __init__(
        self,
        url: str | None,
        *,
        read_url: str | None = None,
        statement_timeout_ms: int = 5000,
        connect_timeout_s: float = 5.0,
        read_only: bool = False,
        profile: str = "",
    ) -> None:
        if not url:
            raise DbNotConfigured(
                f"no database configured for profile '{profile or 'env'}'; set db.url in the "
                "profile or export ATTRIBTUI_DB_URL=mysql+pymysql://user@host:3306/prosper202"
            )
        try:  # parsed here, not at connect time; the error never quotes the URL (promise 4)
            self.backend = engines.parse_url(url, "db.url").get_backend_name()
            if read_url:
                engines.parse_url(read_url, "db.read_url")
        except engines.BadUrl as e:
            raise DbError(str(e)) from None
        if self.backend not in ("mysql", "mariadb", "sqlite"):
            raise DbError(f"db.url uses '{self.backend}'; attribtui supports MariaDB/MySQL and SQLite")
        self.url = url
        self.read_url = read_url
        self.statement_timeout_ms = statement_timeout_ms
        self.connect_timeout_s = connect_timeout_s
        self.read_only = read_only
        self.profile = profile
        self._engines: dict[str, Engine] = {}
        self._lock = threading.Lock()
        self._running: dict[int, _Running] = {}
        self._cancelled: set[int] = set()
        self._held = threading.local()

    @classmethod
    def from_profile(cls, profile: Profile) -> Database:
        return cls(
            profile.db.url,
            read_url=profile.db.read_url,
            statement_timeout_ms=profile.db.statement_timeout_ms,
            connect_timeout_s=profile.db.connect_timeout_s,
            read_only=profile.read_only,
            profile=profile.name,
        )

    # -- engines ---------------------------------------------------------------------------------

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    @property
    def has_replica(self) -> bool:
        return bool(self.read_url) and self.read_url != self.url

    @property
    def label(self) -> str:
        return describe_url(self.url)

    def _engine_role(self, role: str) -> str:
        return "verify" if role == "read" and not self.has_replica else role

    def engine(self, role: str = "read") -> Engine:
        """role: 'write' (primary, read-write), 'read' (replica or primary), 'verify' (primary)."""
        role = self._engine_role(role)
        with self._lock:
            if role not in self._engines:
                url = self.read_url if role == "read" and self.read_url else self.url
                self._engines[role] = self._make_engine(url, read_only=role != "write")
            return self._engines[role]

    def _make_engine(self, url: str, *, read_only: bool) -> Engine:
        try:
            return engines.create(url, connect_timeout_s=self.connect_timeout_s,
                                  statement_timeout_ms=self.statement_timeout_ms,
                                  read_only=read_only)
        except NoSuchModuleError as e:
            raise DbError(f"db.url driver is not available ({e}); use mysql+pymysql://") from None

    def close(self) -> None:
        with self._lock:
            for eng in self._engines.values():
                eng.dispose()
            self._engines.clear()

    # -- reads -----------------------------------------------------------------------------------

    def read(
        self,
        sql: str | Executable,
        params: Params | None = None,
        *,
        timeout_ms: int | None = None,
        primary: bool = False,
    ) -> list[RawRow]:
        """Run one bounded read and return all rows. The caller's SQL must carry a LIMIT/window."""
        stmt = text(sql) if isinstance(sql, str) else sql
        with self._connection("verify" if primary else "read", timeout_ms) as conn:
            return list(conn.execute(stmt, dict(params or {})))

    def reader(self, *, primary: bool = False) -> Read:
        """This database as a `Read` (on the primary when primary, else the replica if any)."""
        def read(sql: str, params: Params | None = None, /) -> list[RawRow]:
            return self.read(sql, params, primary=primary)

        return read

    def replica_status(self) -> list[dict[str, object]]:
        """SHOW SLAVE STATUS on the read replica; [] without the privilege or not a replica."""
        try:
            with self.engine("read").connect() as conn:
                return [dict(r) for r in conn.exec_driver_sql("SHOW SLAVE STATUS").mappings()]
        except Exception:  # noqa: BLE001 - no privilege or not a replica: the caller falls back
            return []

    def scalar(self, sql: str | Executable, params: Params | None = None, *,
               timeout_ms: int | None = None, primary: bool = False) -> SqlValue:
        """The first column of the first row (None when no row): a COUNT, a MAX, one setting."""
        rows = self.read(sql, params, timeout_ms=timeout_ms, primary=primary)
        value: SqlValue = rows[0][0] if rows else None
        return value

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        """Reuse one connection per role for a burst of reads in this thread (a check run).

        Without it every read checks a connection out of the pool, pings it and resets it on
        return: three extra round trips per query.
        """
        if getattr(self._held, "conns", None) is not None:
            yield
            return
        self._held.conns = {}
        try:
            yield
        finally:
            conns, self._held.conns = self._held.conns, None
            for conn in conns.values():
                with contextlib.suppress(Exception):
                    conn.close()

    def _checkout(self, role: str) -> contextlib.AbstractContextManager[Connection]:
        held = getattr(self._held, "conns", None)
        if held is None:
            return self.engine(role).connect()
        role = self._engine_role(role)
        if role not in held:
            held[role] = self.engine(role).connect()
        return contextlib.nullcontext(held[role])

    def _drop_held(self, role: str) -> None:
        role = self._engine_role(role)
        held = getattr(self._held, "conns", None)
        if held and role in held:
            with contextlib.suppress(Exception):
                held.pop(role).close()

    @contextlib.contextmanager
    def _connection(self, role: str, timeout_ms: int | None) -> Iterator[Connection]:
        token = threading.get_ident()
        try:
            with self._checkout(role) as conn:
                raw = _raw(conn)
                if self.is_sqlite:
                    self._arm_sqlite_deadline(raw, timeout_ms or self.statement_timeout_ms)
                    running = _Running("sqlite", raw)
                else:
                    running = _Running("mysql", raw.thread_id())
                    if timeout_ms:
                        self._set_timeout(conn, timeout_ms)
                with self._lock:
                    self._running[token] = running
                try:
                    yield conn
                    conn.rollback()
                finally:
                    with self._lock:
                        self._running.pop(token, None)
                    if self.is_sqlite:
                        raw.set_progress_handler(None, 0)
                    elif timeout_ms:
                        self._set_timeout(conn, self.statement_timeout_ms)
        except DbError:
            self._drop_held(role)
            raise
        except (DBAPIError, SQLAlchemyError, OSError) as e:
            self._drop_held(role)
            raise self._translate(e, timeout_ms or self.statement_timeout_ms, token) from None
        finally:
            with self._lock:
                self._cancelled.discard(token)

    def _set_timeout(self, conn: Connection, timeout_ms: int) -> None:
        raw = _raw(conn)
        conn.exec_driver_sql(engines.statement_timeout_sql(
            getattr(raw, "attribtui_mariadb", True), timeout_ms))

    def _arm_sqlite_deadline(self, raw: Any, timeout_ms: int) -> None:
        deadline = time.monotonic() + timeout_ms / 1000
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)

    # -- writes ----------------------------------------------------------------------------------

    def write(self, fn: Callable[[Connection], T], *, what: str = "this change") -> T:
        """Run fn in one transaction on the primary. Read-only profiles refuse (promise 3)."""
        if self.read_only:
            raise ReadOnlyError(
                f"profile '{self.profile}' is read-only: {what} was not made; use a profile "
                "without read_only = true"
            )
        token = threading.get_ident()
        try:
            with self.engine("write").begin() as conn:
                raw = _raw(conn)
                with self._lock:
                    self._running[token] = (
                        _Running("sqlite", raw) if self.is_sqlite else _Running("mysql", raw.thread_id())
                    )
                try:
                    return fn(conn)
                finally:
                    with self._lock:
                        self._running.pop(token, None)
        except DbError:
            raise
        except (DBAPIError, SQLAlchemyError, OSError) as e:
            raise self._translate(e, self.statement_timeout_ms, token) from None

    # -- cancel ----------------------------------------------------------------------------------

    def cancel(self) -> int:
        """Stop every query this Database is running now; returns how many were signalled."""
        with self._lock:
            running = dict(self._running)
            self._cancelled.update(running)
        if not running:
            return 0
        mysql_ids = [r.handle for r in running.values() if r.kind == "mysql"]
        for r in running.values():
            if r.kind == "sqlite":
                r.handle.interrupt()
        if mysql_ids:
            # A fresh connection outside the pools: the pooled ones may all be busy.
            eng = engines.create(self.url, connect_timeout_s=self.connect_timeout_s,
                                 null_pool=True)
            try:
                with eng.connect() as conn:
                    for tid in mysql_ids:
                        with contextlib.suppress(DBAPIError):
                            conn.exec_driver_sql(f"KILL QUERY {int(tid)}")
            except (DBAPIError, SQLAlchemyError, OSError) as e:
                raise self._translate(e, self.statement_timeout_ms, -1) from None
            finally:
                eng.dispose()
        return len(running)

    # -- errors ----------------------------------------------------------------------------------

    def _translate(self, e: Exception, timeout_ms: int, token: int) -> DbError:
        where = self.label
        orig = getattr(e, "orig", None) or e
        code = orig.args[0] if getattr(orig, "args", None) and isinstance(orig.args[0], int) else None
        with self._lock:
            cancelled = token in self._cancelled
        msg = str(orig.args[1]) if code is not None and len(orig.args) > 1 else str(orig)
        if isinstance(orig, sqlite3.OperationalError) and "interrupted" in msg:
            if cancelled:
                return QueryCancelled("query cancelled")
            return QueryTimeout(
                f"query exceeded {timeout_ms} ms (db.statement_timeout_ms) and was stopped; "
                "narrow the window or raise the timeout"
            )
        if code in ER_STATEMENT_TIMEOUT:
            return QueryTimeout(
                f"query exceeded {timeout_ms} ms (db.statement_timeout_ms) and was stopped; "
                "narrow the window or raise the timeout"
            )
        if code == ER_INTERRUPTED:
            return QueryCancelled("query cancelled") if cancelled else DbError(
                f"query on {where} was interrupted by the server (killed by another session?)"
            )
        if code in ER_CANT_CONNECT or code in ER_LOST:
            reason = msg.split("(")[-1].rstrip(")") if "(" in msg else msg
            verb = "lost the connection to" if code in ER_LOST else "cannot reach"
            return DbUnreachable(
                f"{verb} the database at {where} ({reason}); check db.url and that the server "
                f"is running (connect timeout {self.connect_timeout_s:g} s)"
            )
        if code in ER_ACCESS_DENIED:
            return DbUnreachable(
                f"the database at {where} refused the login; check the user and password in db.url"
            )
        if code == ER_BAD_DB:
            return DbUnreachable(f"database not found at {where}; check the database name in db.url")
        if code == ER_NO_SUCH_TABLE or "no such table" in msg:
            name = msg.split("'")[1].split(".")[-1] if "'" in msg else msg.split(":")[-1].strip()
            return MissingTable(f"table {name} is missing on {where} (see schema.tables)")
        if code in ER_DENIED:
            return DbDenied(f"the database user lacks a privilege on {where}: {msg[:200]}; "
                            "grant it or use a profile whose user has it")
        if code in ER_READ_ONLY or "readonly database" in msg:
            return ReadOnlyError(f"the session on {where} is read-only; this read tried to write")
        if isinstance(orig, sqlite3.OperationalError) and "unable to open" in msg:
            return DbUnreachable(f"cannot open {where}; check db.url")
        first = msg.strip().splitlines()[0] if msg.strip() else type(orig).__name__
        return DbError(f"database error on {where}: {first[:300]}")

    # -- probes ----------------------------------------------------------------------------------

    def missing_privileges(self, needs: Sequence[tuple[str, str]]) -> list[str]:
        """Which of (privilege, table) the primary's user lacks, found by statements that need
        the privilege and touch no row, in a transaction rolled back: nothing is written.

        Asked before a mutation writes anything (a backup, a lock), so a SELECT-only user is
        refused up front. SQLite has no privileges.
        """
        if self.is_sqlite or not needs:
            return []
        missing: list[str] = []
        token = threading.get_ident()
        try:
            with self.engine("write").connect() as conn:
                for privilege, table in needs:
                    column = "-"
                    if "{c}" in PRIVILEGE_PROBES[privilege]:
                        column = conn.exec_driver_sql(FIRST_COLUMN_SQL, (table,)).scalar() or "-"
                    sql = PRIVILEGE_PROBES[privilege].format(t=table, c=column)
                    try:
                        with conn.begin_nested():
                            conn.exec_driver_sql(sql)
                    except DBAPIError as e:
                        orig = e.orig
                        code = orig.args[0] if orig is not None and orig.args else None
                        if code not in ER_DENIED:
                            raise
                        missing.append(f"{privilege} on {table}")
                conn.rollback()
        except (DBAPIError, SQLAlchemyError, OSError) as e:
            raise self._translate(e, self.statement_timeout_ms, token) from None
        return missing

    def require_privileges(self, needs: Sequence[tuple[str, str]], what: str) -> None:
        """Raise DbDenied naming every missing privilege and the fix; nothing was written."""
        missing = self.missing_privileges(needs)
        if missing:
            user = make_url(self.url).username or "the configured user"
            raise DbDenied(
                f"{what} needs {', '.join(missing)} for database user {user} on {self.label}; "
                f"grant it (GRANT {missing[0].split()[0]} ON ...) or use a profile whose user has "
                "it. Nothing was written")

    def ping(self, *, primary: bool = False) -> float:
        """Round-trip a trivial query; returns milliseconds."""
        t0 = time.perf_counter()
        self.read("SELECT 1", primary=primary, timeout_ms=2000)
        return (time.perf_counter() - t0) * 1000

    def server_clock(self) -> tuple[float, float]:
        """(server epoch seconds, local wall-clock epoch at the midpoint of the round trip).

        The one exception to the clock rule (docs/architecture.md, "Time"): this compares the
        server with the real wall clock, never with clock.now().
        """
        sql = "SELECT strftime('%s','now')" if self.is_sqlite else "SELECT UNIX_TIMESTAMP(NOW(6))"
        t0 = time.time()
        server = float(self.scalar(sql, primary=True) or 0)
        t1 = time.time()
        return server, (t0 + t1) / 2


def in_clause(name: str, values: Sequence[V]) -> tuple[str, dict[str, V]]:
    """':name_0, :name_1, ...' plus its bound parameters, for an IN list that stays parameterised."""
    keys = [f"{name}_{i}" for i in range(len(values))]
    return ", ".join(f":{k}" for k in keys), dict(zip(keys, values, strict=True))


def connection_reader(conn: Connection) -> Read:
    """An open SQLAlchemy connection as a `Read` (the sandbox's stand-ins, inside a transaction)."""
    def read(sql: str, params: Params | None = None, /) -> list[RawRow]:
        return list(conn.execute(text(sql), dict(params or {})))

    return read


def _raw(conn: Connection) -> Any:
    """The driver's own connection (pymysql or sqlite3) under conn: thread id, progress handler."""
    return conn.connection.dbapi_connection
