"""One operator at a time (docs/architecture.md, promise 8): a named lock held by the process doing
the work.

MariaDB/MySQL: GET_LOCK('attribtui:<db>', 0) on a connection of its own, held by the process that
does the work (the detached job wrapper, the purge), so it lives exactly as long as the work:
a crashed console neither keeps it nor releases it early, and the server drops it when that
process dies. Who holds it (operator, host, action, since) is written next to the data dir under
locks/, keyed by the connection id; another console matches IS_USED_LOCK's connection id against
it, and falls back to what the server's process list says (user, client host, for how long).
SQLite (the demo): an flock()ed file next to the database, whose content names the holder.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import socket
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pymysql
from pymysql.cursors import Cursor
from sqlalchemy.engine import make_url

from attribtui.infra import clock, paths
from attribtui.infra.actionlog import operator as who
from attribtui.vocab import Refused, Unreachable


class LockBusy(Refused):
    """Someone else holds the lock; str() says who, and `holder` has the details."""

    def __init__(self, message: str, holder: Holder | None) -> None:
        super().__init__(message)
        self.holder = holder


class LockError(Unreachable):
    """The lock could not be taken for another reason (database unreachable...)."""


@dataclass
class Holder:
    operator: str
    host: str
    action: str
    since: int
    pid: int | None = None
    connection_id: int | None = None
    job_id: str | None = None

    def describe(self) -> str:
        job = f", job {self.job_id}" if self.job_id else ""
        return (f"{self.operator}@{self.host} ({self.action}{job}) since "
                f"{clock.describe(self.since)}")


def lock_name(db_url: str) -> str:
    u = make_url(db_url)
    if u.get_backend_name() == "sqlite":
        return f"attribtui:{Path(u.database or 'memory').name}"
    return f"attribtui:{u.database or ''}"[:64]


def _info_file(name: str) -> Path:
    return paths.folder("locks") / (re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".json")


def _sqlite_lock_path(db_url: str) -> Path:
    return Path(f"{make_url(db_url).database}.attribtui.lock")


# A year: the idle lock connection must outlive the longest job. The server's wait_timeout
# (often 300-600 s in production) would otherwise close it and release the lock mid-rebuild.
HOLD_WAIT_TIMEOUT_S = 31536000


def _mysql_connect(db_url: str, *, holding: bool = False) -> pymysql.Connection[Cursor]:
    """A connection of its own; LockError (one line, no URL) when it cannot be had."""
    u = make_url(db_url)
    try:
        conn = pymysql.connect(
            host=u.host or "localhost", port=u.port or 3306, user=u.username,
            password=u.password or "", database=u.database, connect_timeout=5, read_timeout=15,
            write_timeout=15, autocommit=True, unix_socket=_query_value(u.query, "unix_socket"))
        if holding:
            with conn.cursor() as cur:
                cur.execute(f"SET SESSION wait_timeout = {HOLD_WAIT_TIMEOUT_S}")
        return conn
    except pymysql.MySQLError as e:
        raise LockError(f"cannot use the attribtui lock: database unreachable "
                        f"({type(e).__name__} {e.args[0] if e.args else ''}); check db.url") from None


def _query_value(query: Mapping[str, str | tuple[str, ...]], name: str) -> str | None:
    """One value of a URL query parameter (SQLAlchemy gives a tuple when it repeats)."""
    value = query.get(name)
    return value[-1] if isinstance(value, tuple) else value


class Lock:
    """A held lock; release() (or process exit) frees it."""

    def __init__(self, name: str, holder: Holder, conn: pymysql.Connection[Cursor] | None = None,
                 fd: int | None = None,
                 info: Path | None = None) -> None:
        self.name, self.holder, self._conn, self._fd, self._info = name, holder, conn, fd, info

    def release(self) -> None:
        if self._info is not None:
            with contextlib.suppress(OSError):
                current = json.loads(self._info.read_text())
                if current.get("pid") == self.holder.pid:
                    self._info.unlink()
        if self._conn is not None:
            with contextlib.suppress(Exception):
                with self._conn.cursor() as cur:
                    cur.execute("SELECT RELEASE_LOCK(%s)", (self.name,))
                self._conn.close()
            self._conn = None
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
                os.close(self._fd)
            self._fd = None

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def acquire(db_url: str, action: str, *, operator: str | None = None, job_id: str | None = None
            ) -> Lock:
    """Take the lock for `action` now (never waits); LockBusy names the holder."""
    name = lock_name(db_url)
    holder = Holder(operator or who(), socket.gethostname(), action, clock.now(), os.getpid(),
                    None, job_id)
    if make_url(db_url).get_backend_name() == "sqlite":
        path = _sqlite_lock_path(db_url)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            current = holder_of(db_url)
            raise LockBusy(_busy(name, current), current) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(asdict(holder)).encode(), 0)
        return Lock(name, holder, fd=fd)
    conn = _mysql_connect(db_url, holding=True)
    with conn.cursor() as cur:
        cur.execute("SELECT GET_LOCK(%s, 0), CONNECTION_ID()", (name,))
        got, conn_id = cur.fetchone() or (None, None)
    if got != 1:
        conn.close()
        current = holder_of(db_url)
        raise LockBusy(_busy(name, current), current)
    holder.connection_id = int(conn_id)
    info = paths.write_private(_info_file(name), json.dumps(asdict(holder)))
    return Lock(name, holder, conn=conn, info=info)


def _busy(name: str, holder: Holder | None) -> str:
    who = holder.describe() if holder else "another session (details unavailable)"
    return f"the {name} lock is held by {who}; wait for it to finish or ask them"


def holder_of(db_url: str) -> Holder | None:
    """Who holds the lock now, or None when it is free."""
    name = lock_name(db_url)
    if make_url(db_url).get_backend_name() == "sqlite":
        path = _sqlite_lock_path(db_url)
        if not path.exists():
            return None
        fd = os.open(path, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                fcntl.flock(fd, fcntl.LOCK_UN)
                return None  # nobody holds it
            except BlockingIOError:
                pass
            try:
                return Holder(**json.loads(os.pread(fd, 4096, 0) or b"{}"))
            except (ValueError, TypeError):
                return Holder("unknown", "unknown", "unknown", clock.now())
        finally:
            os.close(fd)
    conn = _mysql_connect(db_url)
    try:
        return _mysql_holder(conn, name)
    except pymysql.MySQLError as e:
        raise LockError(f"cannot tell who holds the {name} lock ({type(e).__name__})") from None
    finally:
        conn.close()


def _mysql_holder(conn: Any, name: str) -> Holder | None:
    """The holder by IS_USED_LOCK's connection id, from our info file or the process list."""
    with conn.cursor() as cur:
        cur.execute("SELECT IS_USED_LOCK(%s)", (name,))
        (conn_id,) = cur.fetchone()
        if conn_id is None:
            return None
        info = _info_file(name)
        with contextlib.suppress(OSError, ValueError, TypeError):
            h = Holder(**json.loads(info.read_text()))
            if h.connection_id == conn_id:
                return h
        cur.execute("SELECT USER, HOST, TIME FROM information_schema.PROCESSLIST "
                    "WHERE ID = %s LIMIT 1", (conn_id,))
        row = cur.fetchone()
    if row is None:
        return Holder("unknown", "unknown", "unknown", clock.now(), connection_id=int(conn_id))
    user, host, age = row
    return Holder(f"db user {user}", str(host).rsplit(":", 1)[0],
                  "unknown action (not started from this machine)", clock.now() - int(age or 0),
                  connection_id=int(conn_id))


# Kept short for callers: `locks.holder(url)`.
holder = holder_of
