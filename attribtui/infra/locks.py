"""One operator at a time (docs/architecture.md, promise 8): a named lock held by the process doing
the work.

MariaDB/MySQL: GET_LOCK('attribtui:<db>', 0) on a connection of its own, held by the process that
does the work (the detached job wrapper, the purge), so it lives exactly as long as the work:
a crashed console neither keeps it nor releases it early, and the server drops it when that
process dies. Who holds it (operator, host, action, since) is written next to the data dir under
locks/, keyed by the connection id; another console matches IS_USED_LOCK's connection id against
it, and falls back to what the server's process list says (user, client host, for how long).
SQLite (the demo): an flock()ed file next to the database, whose content names the holder.

A server-side lock can vanish under its holder (its connection killed, a network drop, a server
restart): the holder asks `check()` every few seconds (IS_USED_LOCK = its own connection id). Work
that cannot be paused then calls `mark_lost()`: an flock()ed file under locks/ that keeps every
console on this machine from taking the lock until that process ends, and `retake()` tries to
take the server lock back so consoles elsewhere stay refused too.
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

import pymysql
from pymysql.cursors import Cursor
from sqlalchemy.engine import make_url

from attribtui.infra import clock, paths
from attribtui.infra.actionlog import operator as who
from attribtui.infra.db import ER_ACCESS_DENIED, ER_BAD_DB, ER_LOST
from attribtui.infra.redact import describe_db_url
from attribtui.vocab import Failed, Refused, Unreachable


class LockBusy(Refused):
    """Someone else holds the lock; str() says who, and `holder` has the details."""

    def __init__(self, message: str, holder: Holder | None) -> None:
        super().__init__(message)
        self.holder = holder


class LockError(Unreachable):
    """The lock could not be taken or read for another reason (database unreachable...)."""


class LockLost(Failed):
    """The lock vanished under its holder (see `Lock.ensure`): stop before the next batch."""


@dataclass
class Holder:
    operator: str
    host: str
    action: str
    since: int
    pid: int | None = None
    connection_id: int | None = None
    job_id: str | None = None
    lost: str | None = None  # why its server lock vanished while its work goes on

    def describe(self) -> str:
        job = f", job {self.job_id}" if self.job_id else ""
        lost = (f"; it lost the server lock ({self.lost}) and runs on until it ends"
                if self.lost else "")
        return (f"{self.operator}@{self.host} ({self.action}{job}) since "
                f"{clock.describe(self.since)}{lost}")


def lock_name(db_url: str) -> str:
    u = make_url(db_url)
    if u.get_backend_name() == "sqlite":
        return f"attribtui:{Path(u.database or 'memory').name}"
    return f"attribtui:{u.database or ''}"[:64]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def _info_file(name: str) -> Path:
    return paths.folder("locks") / (_safe(name) + ".json")


def _lost_file(name: str) -> Path:
    return paths.folder("locks") / (_safe(name) + ".lost.json")


def _sqlite_lock_path(db_url: str) -> Path:
    return Path(f"{make_url(db_url).database}.attribtui.lock")


# A year: the idle lock connection must outlive the longest job. The server's wait_timeout
# (often 300-600 s in production) would otherwise close it and release the lock mid-rebuild.
HOLD_WAIT_TIMEOUT_S = 31536000
# GET_LOCK(name, 0), IS_USED_LOCK and RELEASE_LOCK answer at once: a longer silence is a stalled
# network or server, reported as such rather than waited out.
IO_TIMEOUT_S = 5
CHECK_EVERY_S = 2.0  # how often a holder asks whether its lock is still its own


def _why(e: BaseException, url: str) -> str:
    """A PyMySQL error as a short cause naming the server, never the URL's password."""
    code = e.args[0] if e.args and isinstance(e.args[0], int) else None
    where = describe_db_url(url)
    if code in ER_ACCESS_DENIED:
        return f"the database at {where} refused the login; check the user and password in db.url"
    if code == ER_BAD_DB:
        return f"database not found at {where}; check the database name in db.url"
    text = str(e.args[1]) if len(e.args) > 1 else str(e)
    detail = text.split("(")[-1].rstrip(")") if "(" in text else text
    verb = "lost the connection to" if code in ER_LOST else "cannot reach"
    return (f"{verb} the database at {where} ({type(e).__name__} {code if code is not None else ''}"
            f"{': ' + detail[:120] if detail else ''}); check db.url and that the server is "
            "running")


def _mysql_connect(db_url: str, *, holding: bool = False) -> pymysql.Connection[Cursor]:
    """A connection of its own; LockError (one line, no URL) when it cannot be had."""
    u = make_url(db_url)
    try:
        conn = pymysql.connect(
            host=u.host or "localhost", port=u.port or 3306, user=u.username,
            password=u.password or "", database=u.database, connect_timeout=IO_TIMEOUT_S,
            read_timeout=IO_TIMEOUT_S, write_timeout=IO_TIMEOUT_S, autocommit=True,
            unix_socket=_query_value(u.query, "unix_socket"))
        if holding:
            with conn.cursor() as cur:
                cur.execute(f"SET SESSION wait_timeout = {HOLD_WAIT_TIMEOUT_S}")
        return conn
    except (pymysql.MySQLError, OSError) as e:
        raise LockError(f"cannot use the {lock_name(db_url)} lock: {_why(e, db_url)}") from None


def _query_value(query: Mapping[str, str | tuple[str, ...]], name: str) -> str | None:
    """One value of a URL query parameter (SQLAlchemy gives a tuple when it repeats)."""
    value = query.get(name)
    return value[-1] if isinstance(value, tuple) else value


def _get_lock(conn: pymysql.Connection[Cursor], name: str, db_url: str) -> tuple[bool, int]:
    """GET_LOCK(name, 0) on conn: (taken, this connection's id); LockError when the server does
    not answer."""
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT GET_LOCK(%s, 0), CONNECTION_ID()", (name,))
            got, conn_id = cur.fetchone() or (None, 0)
    except (pymysql.MySQLError, OSError) as e:
        with contextlib.suppress(Exception):
            conn.close()
        raise LockError(f"cannot take the {name} lock: {_why(e, db_url)}") from None
    return got == 1, int(conn_id or 0)


class Lock:
    """A held lock; release() (or process exit) frees it."""

    def __init__(self, name: str, holder: Holder, conn: pymysql.Connection[Cursor] | None = None,
                 fd: int | None = None, info: Path | None = None, url: str = "") -> None:
        self.name, self.holder, self._conn, self._fd, self._info = name, holder, conn, fd, info
        self.url = url
        self._lost_fd: int | None = None

    def check(self) -> str | None:
        """None while the lock is still ours; else one line saying why it is not."""
        if self._fd is not None:
            return None  # a flock()ed file cannot be taken from its process
        cid = self.holder.connection_id
        if self._conn is None:
            return f"the {self.name} lock was given up (its connection is closed)"
        try:
            with self._conn.cursor() as cur:
                cur.execute("SELECT IS_USED_LOCK(%s)", (self.name,))
                (owner,) = cur.fetchone() or (None,)
        except (pymysql.MySQLError, OSError) as e:
            code = e.args[0] if e.args and isinstance(e.args[0], int) else ""
            return (f"the {self.name} lock's connection {cid} is gone ({type(e).__name__} "
                    f"{code}): killed, dropped by the network, or the server restarted")
        if owner == cid:
            return None
        if owner is None:
            return f"the {self.name} lock is no longer held by its connection {cid}"
        return f"the {self.name} lock is now held by connection {owner}, not by {cid}"

    def ensure(self) -> None:
        """Raise LockLost when the lock is no longer ours (call it between batches)."""
        lost = self.check()
        if lost:
            raise LockLost(f"{lost}; stopped before the next batch so that no other operator's "
                           "work runs over this one")

    def mark_lost(self, cause: str) -> None:
        """Until this process ends, no console on this machine takes the lock (work that cannot
        be paused goes on without it)."""
        self.holder.lost = cause
        if self._lost_fd is not None:
            return
        fd = os.open(_lost_file(self.name), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)  # another process on this machine already says so
            return
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(asdict(self.holder)).encode(), 0)
        self._lost_fd = fd

    def retake(self) -> str | None:
        """Take the server lock again on a new connection; None when done, else why not."""
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None
        try:
            conn = _mysql_connect(self.url, holding=True)
            got, conn_id = _get_lock(conn, self.name, self.url)
        except LockError as e:
            return str(e)
        if not got:
            conn.close()
            try:
                other = _mysql_holder_of(self.url, self.name)
            except LockError as e:
                return str(e)
            return f"it is now held by {other.describe() if other else 'another session'}"
        self._conn = conn
        self.holder.connection_id = conn_id
        self._info = paths.write_private(_info_file(self.name), json.dumps(asdict(self.holder)))
        return None

    def release(self) -> None:
        if self._info is not None:
            with contextlib.suppress(OSError, ValueError):
                current = json.loads(self._info.read_text())
                if current.get("pid") == self.holder.pid:
                    self._info.unlink()
        if self._conn is not None:
            with contextlib.suppress(Exception):
                with self._conn.cursor() as cur:
                    cur.execute("SELECT RELEASE_LOCK(%s)", (self.name,))
                self._conn.close()
            self._conn = None
        for attr in ("_fd", "_lost_fd"):
            fd = getattr(self, attr)
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, 0)
                    os.close(fd)
                setattr(self, attr, None)

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def acquire(db_url: str, action: str, *, operator: str | None = None, job_id: str | None = None
            ) -> Lock:
    """Take the lock for `action` now (never waits); LockBusy names the holder, LockError says
    what failed (one line, exit 3)."""
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
        return Lock(name, holder, fd=fd, url=db_url)
    lost = _lost_holder(name)
    if lost is not None:
        raise LockBusy(_busy(name, lost), lost)
    conn = _mysql_connect(db_url, holding=True)
    got, conn_id = _get_lock(conn, name, db_url)
    if not got:
        conn.close()
        current = holder_of(db_url)
        raise LockBusy(_busy(name, current), current)
    holder.connection_id = conn_id
    info = paths.write_private(_info_file(name), json.dumps(asdict(holder)))
    return Lock(name, holder, conn=conn, info=info, url=db_url)


def _busy(name: str, holder: Holder | None) -> str:
    who = holder.describe() if holder else "another session (details unavailable)"
    return f"the {name} lock is held by {who}; wait for it to finish or ask them"


def _lost_holder(name: str) -> Holder | None:
    """A process on this machine whose server lock vanished and whose work goes on, or None."""
    path = _lost_file(name)
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None  # its process has ended
        except BlockingIOError:
            pass
        try:
            h = Holder(**json.loads(os.pread(fd, 4096, 0) or b"{}"))
        except (ValueError, TypeError):
            return Holder("unknown", "unknown", "unknown", clock.now(), lost="details unreadable")
        return None if h.pid == os.getpid() else h
    finally:
        os.close(fd)


def holder_of(db_url: str) -> Holder | None:
    """Who holds the lock now, or None when it is free; LockError when that cannot be told."""
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
    return _lost_holder(name) or _mysql_holder_of(db_url, name)


def _mysql_holder_of(db_url: str, name: str) -> Holder | None:
    conn = _mysql_connect(db_url)
    try:
        return _mysql_holder(conn, name)
    except (pymysql.MySQLError, OSError) as e:
        raise LockError(f"cannot tell who holds the {name} lock: {_why(e, db_url)}") from None
    finally:
        with contextlib.suppress(Exception):
            conn.close()


def _mysql_holder(conn: pymysql.Connection[Cursor], name: str) -> Holder | None:
    """The holder by IS_USED_LOCK's connection id, from our info file or the process list."""
    with conn.cursor() as cur:
        cur.execute("SELECT IS_USED_LOCK(%s)", (name,))
        (conn_id,) = cur.fetchone() or (None,)
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
