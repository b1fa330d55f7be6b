"""attribtui.status, api.health and cache.probe against real backends on loopback."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from attribtui.infra import api
from attribtui.infra import memcache as cache
from attribtui.infra.config import ApiConfig, MemcacheConfig
from attribtui.services.status import DB_ANSWER_S, StatusProber, lag_warning, skew_warning
from tests.faults import fault_proxy
from tests.ui.conftest import make_profile

MEMCACHED = "127.0.0.1:11211"


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, str]] = {}
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        self.seen.append(self.path)
        code, body = self.routes.get(self.path, (404, "not found"))
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[str, type[_Handler]]]:
    handler = type("H", (_Handler,), {"routes": {}, "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


READY = json.dumps({"error": False, "message": "Attribution API ready"})


def test_health_ok_without_any_key(http_server, caplog: pytest.LogCaptureFixture) -> None:
    base, handler = http_server
    handler.routes["/api/v2/health"] = (200, READY)
    with caplog.at_level(logging.DEBUG):
        res = api.health(base + "/", timeout_s=2)
    assert res.ok and res.status == "ok" and res.http_status == 200
    assert "Attribution API ready" in res.message
    assert handler.seen == ["/api/v2/health"]  # no query string, so no apikey
    assert not [r for r in caplog.records if r.name.startswith(("httpx", "httpcore"))]


def test_health_wrong_answers(http_server) -> None:
    base, handler = http_server
    handler.routes["/api/v2/health"] = (500, '{"error":true,"message":"Database connection unavailable."}')
    res = api.health(base, timeout_s=2)
    assert not res.ok and "HTTP 500" in res.message
    handler.routes["/api/v2/health"] = (200, "<html>welcome</html>")
    res = api.health(base, timeout_s=2)
    assert not res.ok and "did not answer JSON" in res.message
    handler.routes["/api/v2/health"] = (200, '{"error":true,"message":"nope"}')
    res = api.health(base, timeout_s=2)
    assert not res.ok and "nope" in res.message


def test_health_unreachable_and_redacted() -> None:
    res = api.health(f"http://user:hunter2@127.0.0.1:{unused_port()}", timeout_s=2)
    # The user name may be hidden too (infra/api.py hides all user info before the "@").
    assert not res.ok and res.message.startswith("cannot reach http://")
    assert "***@127.0.0.1:" in res.message
    assert "hunter2" not in res.message


@pytest.mark.memcached
def test_cache_probe_up_down_and_unconfigured() -> None:
    up = cache.probe([MEMCACHED], timeout_s=1)
    assert up.ok and up.message.startswith("memcached 1.")
    down = cache.probe([f"127.0.0.1:{unused_port()}"], timeout_s=1)
    assert not down.ok and "unreachable" in down.message
    both = cache.probe([MEMCACHED, f"127.0.0.1:{unused_port()}"], timeout_s=1)
    assert not both.ok and both.message.startswith("1 of 2 servers down")
    none = cache.probe([], timeout_s=1)
    assert not none.ok and none.message == "not configured"


def test_warnings_thresholds() -> None:
    assert skew_warning(10) is None
    assert skew_warning(75).startswith("DB clock 75 s ahead of")
    assert skew_warning(-75).startswith("DB clock 75 s behind")
    assert lag_warning(None, has_replica=False) is None
    assert lag_warning(5, has_replica=True) is None
    assert "120 s behind" in lag_warning(120, has_replica=True)
    assert "unknown (no privilege)" in lag_warning(None, True, "no privilege")


@pytest.mark.mariadb
@pytest.mark.memcached
def test_status_prober_everything_up(seeded_url: str, http_server) -> None:
    base, handler = http_server
    handler.routes["/api/v2/health"] = (200, READY)
    profile = make_profile(seeded_url, memcache=[MEMCACHED])
    profile = type(profile)(**{**profile.__dict__, "api": ApiConfig(base_url=base)})
    prober = StatusProber(profile)
    try:
        st = prober()
    finally:
        prober.close()
    assert [c.state for c in st.components] == ["ok", "ok", "ok"]
    assert st.db.text.endswith(" ms") and st.clock_skew_s is not None and abs(st.clock_skew_s) < 60
    assert st.replica_lag_s is None and st.warnings == ()


@pytest.mark.mariadb
def test_status_prober_replica_lag_measured(seeded_url: str) -> None:
    profile = make_profile(seeded_url)
    db = type(profile.db)(url=seeded_url, read_url=seeded_url + "?charset=utf8mb4")
    profile = type(profile)(**{**profile.__dict__, "db": db})
    prober = StatusProber(profile)
    try:
        st = prober()
    finally:
        prober.close()
    assert st.db.state == "ok" and st.replica_lag_s == 0.0


def test_status_prober_down_and_not_configured() -> None:
    profile = make_profile(f"mysql+pymysql://root@127.0.0.1:{unused_port()}/x",
                           memcache=[f"127.0.0.1:{unused_port()}"])
    prober = StatusProber(profile)
    try:
        st = prober()
    finally:
        prober.close()
    assert (st.db.state, st.db.text) == ("fail", "unreachable")
    assert "cannot reach the database" in st.db.detail
    assert (st.api.state, st.api.text) == ("off", "not configured")
    assert st.cache.state == "fail" and "unreachable" in st.cache.detail
    assert st.warnings == ()
    none = StatusProber(make_profile(None))()
    assert (none.db.state, none.db.text) == ("off", "not configured")
    assert MemcacheConfig().servers == []


@pytest.mark.mariadb
def test_status_prober_shows_a_stalled_database_within_its_limit(seeded_url: str) -> None:
    """A server that stops answering keeps its socket open for the statement timeout plus slack
    (20 s): the header must not show the last "ok" all that time."""
    with fault_proxy() as proxy:
        prober = StatusProber(make_profile(proxy.url(seeded_url.rsplit("/", 1)[1])))
        try:
            assert prober().db.state == "ok"
            proxy.stall()
            started = time.monotonic()
            st = prober()
            assert time.monotonic() - started < DB_ANSWER_S + 1.5
            assert (st.db.state, st.db.text) == ("fail", "no answer")
            assert st.db.detail == ("DB did not answer within 3 s: stalled or overloaded; "
                                    "screens that read it wait, then time out")
            st = prober()  # still stalled: the stuck probe is waited on again, not doubled
            assert st.db.text == "no answer" and "; waiting " in st.db.detail
            assert [t.name for t in threading.enumerate()].count("status DB") == 1
            proxy.resume()
            assert prober().db.state == "ok"
        finally:
            prober.close()
