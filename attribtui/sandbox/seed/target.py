"""Where a seed may write: the URL, the host, the databases it must spare, what the target holds.

The seeder only writes to loopback databases (unless allow_remote), never to a URL the caller
forbids (the databases of production and unknown profiles), and never over a database that is
not already an attribtui sandbox.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, Engine

from attribtui.infra import engines
from attribtui.prosper import tables as pt
from attribtui.sandbox.schema import MARKER_TABLE, drop_schema
from attribtui.sandbox.sql import quote
from attribtui.vocab import Refused

LOOPBACK_NAMES = {"localhost"}
MYSQL_DEFAULT_PORT = 3306


class SeedRefused(Refused):
    """The target is not safe to seed; the message names it and the fix."""


def parse_url(url: str) -> URL:
    """The target URL, refused unless it names a MariaDB/MySQL or SQLite database. The refusal
    never quotes the URL (a password's unencoded "@" would put its tail in the error)."""
    try:
        u = engines.parse_url(url, "the sandbox URL")
    except engines.BadUrl as e:
        raise SeedRefused(str(e)) from None
    if u.get_backend_name() not in ("mysql", "mariadb", "sqlite"):
        raise SeedRefused(
            f"cannot seed a {u.get_backend_name()} database; use MariaDB (mysql+pymysql://) or SQLite"
        )
    return u


def redact(u: URL) -> str:
    return u.render_as_string(hide_password=True)


def is_loopback(u: URL) -> bool:
    host = u.host
    if not host or host.lower() in LOOPBACK_NAMES:
        return True  # no host: a unix socket (or the driver's default, localhost)
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _identity(u: URL) -> tuple[str | int, ...]:
    """What makes two URLs the same database: backend, normalised host, port and name."""
    if u.get_backend_name() == "sqlite":
        return ("sqlite", str(Path(u.database or ":memory:").resolve()))
    host = "loopback" if is_loopback(u) else (u.host or "").lower()
    return ("mysql", host, u.port or MYSQL_DEFAULT_PORT, u.database or "")


def _server_database(u: URL, shown: str) -> str:
    if not u.database:
        raise SeedRefused(f"{shown} names no database; add one, e.g. .../attribtui_sandbox")
    return u.database


def check_target(u: URL, allow_remote: bool, forbidden_urls: Sequence[str]) -> None:
    """Refuse a server URL without a database, a remote host (unless allowed) and any URL that
    names the same database as one of forbidden_urls."""
    shown = redact(u)
    if u.get_backend_name() != "sqlite":
        _server_database(u, shown)
        if not allow_remote and not is_loopback(u):
            raise SeedRefused(
                f"{shown} is not on this machine; seed a loopback database (127.0.0.1, ::1, "
                "localhost, a unix socket) or pass allow_remote"
            )
    target = _identity(u)
    for other in forbidden_urls:
        try:
            same = _identity(engines.parse_url(other)) == target
        except engines.BadUrl:
            continue  # a profile's URL that cannot be parsed names no database to spare
        if same:
            raise SeedRefused(
                f"{shown} is the database of a production or unknown profile; seed a separate "
                "sandbox database instead"
            )


def open_target(u: URL) -> Engine:
    """An engine on the target, creating the SQLite file's folder or, on a loopback server, the
    database itself (utf8mb4, as Prosper202's installer does)."""
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        return engines.create(u.render_as_string(hide_password=False))
    if is_loopback(u):
        database = _server_database(u, redact(u))
        server_url = URL.create(u.drivername, u.username, u.password, u.host, u.port,
                                query=u.query)
        server = engines.create(server_url.render_as_string(hide_password=False), null_pool=True)
        try:
            with server.begin() as conn:
                conn.execute(text(
                    f"CREATE DATABASE IF NOT EXISTS {quote(conn, database)} "
                    "CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"
                ))
        finally:
            server.dispose()
    return engines.create(u.render_as_string(hide_password=False))


def check_contents(engine: Engine, shown: str, reset: bool) -> None:
    """Refuse a database with tables that is not a sandbox, and a sandbox unless reset (then
    drop it)."""
    present = set(inspect(engine).get_table_names())
    if MARKER_TABLE in present:
        if not reset:
            raise SeedRefused(
                f"{shown} is already an attribtui sandbox; pass reset to drop and reseed it"
            )
        drop_schema(engine)
    elif present:
        example = sorted(present & set(pt.metadata.tables) or present)[0]
        raise SeedRefused(
            f"{shown} has tables (e.g. {example}) but is not an attribtui sandbox; "
            "seed an empty or new database instead"
        )
