"""Helpers shared by tests: the fixed NOW and real MariaDB databases with unique names."""

from __future__ import annotations

import contextlib
import itertools
import os
import time
import uuid
from collections.abc import Callable

import pymysql

from attribtui.infra.config import MemcacheConfig

# A fixed "now" for every seeded database and frozen clock: 2026-11-26T12:34:56Z.
NOW = 1795696496
MARIADB_HOST = os.environ.get("ATTRIBTUI_TEST_MARIADB_HOST", "127.0.0.1")
MARIADB_PORT = int(os.environ.get("ATTRIBTUI_TEST_MARIADB_PORT", "3306"))
SERVER_URL = f"mysql+pymysql://root@{MARIADB_HOST}:{MARIADB_PORT}"
MEMCACHED = "127.0.0.1:11211"
# The journey cache key hashes HTTP_HOST and SERVER_ADDR (docs/prosper202.md, "Cache key"): a
# host unique to this test run puts every key a test sets in a namespace of its own.
MEMCACHE_HTTP_HOST = f"run-{os.getpid()}-{uuid.uuid4().hex[:8]}.attribtui-test.invalid"
MEMCACHE_SERVER_ADDR = "10.0.0.5"
_counter = itertools.count()


def memcache_config() -> MemcacheConfig:
    """The test memcached, with this run's own key namespace."""
    return MemcacheConfig(servers=[MEMCACHED], http_host=MEMCACHE_HTTP_HOST,
                          server_addr=MEMCACHE_SERVER_ADDR)


def _admin() -> pymysql.connections.Connection:
    return pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user="root", autocommit=True)


def new_database_name() -> str:
    return f"attribtui_t{os.getpid()}_{next(_counter)}"


def create_database() -> tuple[str, str]:
    name = new_database_name()
    with _admin() as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
    return name, f"{SERVER_URL}/{name}"


def drop_database(name: str) -> None:
    with _admin() as conn, conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


class TcpProxy:
    """A loopback TCP forwarder to MariaDB that a test can cut, like a dropped network link."""

    def __init__(self, port: int = MARIADB_PORT) -> None:
        import socket
        import threading

        self.target = (MARIADB_HOST, port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, database: str) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/{database}"

    def _accept(self) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self.lock:
                if self.closed:
                    client.close()
                    upstream.close()
                    continue
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst) -> None:  # noqa: ANN001
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.close()

    def cut(self) -> None:
        """Drop every connection and refuse new ones."""
        import socket

        with self.lock:
            self.closed = True
            self.server.close()
            for s in self.sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 60) -> None:
    """Poll a file or process condition until it holds (no sleep as synchronisation)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def scalar(url: str, sql: str, **params: object) -> object:
    """One value read on a fresh engine (what a test checks in the database after an action)."""
    from sqlalchemy import create_engine, text

    eng = create_engine(url)
    try:
        with eng.connect() as c:
            return c.execute(text(sql), params).scalar()
    finally:
        eng.dispose()
