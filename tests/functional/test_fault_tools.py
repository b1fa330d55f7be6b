"""The fault tools themselves: each mode does what the fault suite relies on."""

from __future__ import annotations

import pymysql
import pytest

from tests.faults import FaultProxy, fault_proxy
from tests.support import create_database, drop_database


@pytest.fixture
def table() -> str:
    name, _ = create_database()
    with pymysql.connect(host="127.0.0.1", user="root", database=name, autocommit=True) as c, \
            c.cursor() as cur:
        cur.execute("CREATE TABLE t (id INT PRIMARY KEY)")
    yield name
    drop_database(name)


def _connect(proxy: FaultProxy, db: str) -> pymysql.connections.Connection:
    return pymysql.connect(host="127.0.0.1", port=proxy.port, user="root", database=db,
                           read_timeout=2, write_timeout=2, connect_timeout=2)


def _count(db: str) -> int:
    with pymysql.connect(host="127.0.0.1", user="root", database=db) as c, c.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM t")
        return int(cur.fetchone()[0])


def test_a_dropped_commit_reply_commits_on_the_server_only(table: str) -> None:
    with fault_proxy() as proxy:
        conn = _connect(proxy, table)
        with conn.cursor() as cur:
            cur.execute("INSERT INTO t VALUES (1)")
        fired = proxy.drop_commit_reply()
        with pytest.raises(pymysql.err.OperationalError):
            conn.commit()
        assert fired.is_set()
    assert _count(table) == 1  # the server has it; the client was told nothing


def test_cut_on_a_pattern_drops_before_forwarding(table: str) -> None:
    with fault_proxy() as proxy:
        conn = _connect(proxy, table)
        proxy.cut_on(b"INSERT INTO t VALUES (2)")
        with conn.cursor() as cur:
            cur.execute("INSERT INTO t VALUES (1)")
            with pytest.raises(pymysql.err.OperationalError):
                cur.execute("INSERT INTO t VALUES (2)")
    assert _count(table) == 0  # autocommit is off: the first insert died with the connection


def test_stall_times_out_and_cut_refuses(table: str) -> None:
    with fault_proxy() as proxy:
        conn = _connect(proxy, table)
        proxy.stall()
        with pytest.raises(pymysql.err.OperationalError), conn.cursor() as cur:
            cur.execute("SELECT 1")
        proxy.resume()
        proxy.cut()
        with pytest.raises(pymysql.err.OperationalError):
            _connect(proxy, table)
        proxy.heal()
        with _connect(proxy, table) as again, again.cursor() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchone() == (1,)
