"""The data layer against the real MariaDB: timeouts, cancel, unreachable hosts, read-only."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from attribtui.infra.db import (
    Database,
    DbError,
    DbNotConfigured,
    DbUnreachable,
    MissingTable,
    QueryCancelled,
    QueryTimeout,
    ReadOnlyError,
)
from tests.support import SERVER_URL

# A scan big enough to outlive any timeout used here (MariaDB's Sequence engine).
HEAVY = "SELECT COUNT(*) FROM seq_1_to_100000000000 a WHERE a.seq % 7 = 3"


@pytest.fixture
def db(fresh_db) -> Iterator[Database]:
    d = Database(fresh_db(), statement_timeout_ms=500, connect_timeout_s=2)
    yield d
    d.close()


def test_read_returns_rows_with_bound_parameters(db: Database) -> None:
    rows = db.read("SELECT :a + :b AS total", {"a": 2, "b": 3})
    assert rows[0].total == 5


def test_statement_timeout_stops_a_sleeping_query_with_a_clear_error(db: Database) -> None:
    with pytest.raises(QueryTimeout, match=r"query exceeded 500 ms \(db.statement_timeout_ms\)"):
        db.read("SELECT SLEEP(30)")
    assert db.read("SELECT 1")[0][0] == 1  # the connection is still usable


def test_per_read_timeout_override(db: Database) -> None:
    with pytest.raises(QueryTimeout, match="exceeded 300 ms"):
        db.read(HEAVY, timeout_ms=300)


def test_cancel_stops_a_running_query(fresh_db) -> None:
    db = Database(fresh_db(), statement_timeout_ms=60_000)
    started = threading.Event()
    outcome: list[BaseException] = []

    def run() -> None:
        started.set()
        try:
            db.read(HEAVY)
        except BaseException as e:  # noqa: BLE001 - collected for the assertion
            outcome.append(e)

    worker = threading.Thread(target=run)
    worker.start()
    started.wait()
    # Poll until the query is registered as running, then cancel it.
    for _ in range(2000):
        if db.cancel():
            break
        threading.Event().wait(0.005)
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], QueryCancelled)
    assert db.read("SELECT 1")[0][0] == 1
    db.close()


def test_connection_refused_fails_fast_with_a_one_line_error() -> None:
    db = Database("mysql+pymysql://root@127.0.0.1:1/prosper202", connect_timeout_s=2)
    with pytest.raises(DbUnreachable) as exc:
        db.read("SELECT 1")
    msg = str(exc.value)
    assert "127.0.0.1:1" in msg and "check db.url" in msg and "\n" not in msg


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A host that accepts TCP but never speaks: a half-open or firewalled server."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    yield srv.getsockname()[1]
    srv.close()


def test_silent_host_ends_within_the_connect_timeout(silent_listener: int) -> None:
    db = Database(f"mysql+pymysql://root@127.0.0.1:{silent_listener}/x", connect_timeout_s=1)
    with pytest.raises(DbUnreachable, match="timed out"):
        db.read("SELECT 1")


def test_wrong_password_and_unknown_database_are_named(fresh_db) -> None:
    with pytest.raises(DbUnreachable, match="database not found"):
        Database(f"{SERVER_URL}/attribtui_no_such_db").read("SELECT 1")
    with pytest.raises(DbUnreachable, match="refused the login") as exc:
        Database(SERVER_URL.replace("root@", "nobody_x:s3cretpw@") + "/mysql").read("SELECT 1")
    assert "s3cretpw" not in str(exc.value)


def test_reads_run_in_a_read_only_session(db: Database) -> None:
    with pytest.raises(ReadOnlyError):
        db.read("CREATE TABLE t_should_not_exist (a INT)")
    with pytest.raises(MissingTable):
        db.read("SELECT * FROM t_should_not_exist LIMIT 1")


def test_writes_are_refused_in_a_read_only_profile(fresh_db) -> None:
    url = fresh_db()
    Database(url).write(lambda c: c.exec_driver_sql("CREATE TABLE t (a INT)"))
    ro = Database(url, read_only=True, profile="prod-ro")
    with pytest.raises(ReadOnlyError, match="profile 'prod-ro' is read-only"):
        ro.write(lambda c: c.exec_driver_sql("INSERT INTO t VALUES (1)"), what="the insert")
    assert ro.scalar("SELECT COUNT(*) FROM t") == 0


def test_errors_never_carry_bound_parameters(db: Database) -> None:
    with pytest.raises(DbError) as exc:
        db.read("SELECT * FROM no_such_table WHERE secret = :s", {"s": "hunter2-secret"})
    assert "hunter2-secret" not in str(exc.value)


def test_not_configured_explains_the_fix() -> None:
    with pytest.raises(DbNotConfigured, match="ATTRIBTUI_DB_URL"):
        Database(None)


def test_sqlite_timeout_and_read_only(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    Database(url).write(lambda c: c.exec_driver_sql("CREATE TABLE t (a INT)"))
    db = Database(url, statement_timeout_ms=200)
    heavy = ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
             "SELECT COUNT(*) FROM c")
    with pytest.raises(QueryTimeout):
        db.read(heavy)
    with pytest.raises(ReadOnlyError):
        db.read("INSERT INTO t VALUES (1)")
