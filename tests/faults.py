"""Fault injection for the fault suite: a TCP proxy in front of the real MariaDB and an HTTP server
in front of the v2 emulator, both switched by the test at run time.

FaultProxy modes (set with the methods, any time):
  pass                  forward both ways (the default)
  cut()                 drop every connection now and refuse new ones
  cut_on(pattern, n)    drop the connection, without forwarding, when the client sends a packet
                        holding `pattern` for the n-th time (n counts across connections)
  stall()               stop forwarding both ways, sockets stay open (a hung server); resume()
  stall_on(pattern, n)  stall() when the client sends a packet holding `pattern` the n-th time
  slow(seconds)         wait this long before forwarding each packet, both ways
  drop_commit_reply(n)  forward the n-th COMMIT, swallow the server's reply, drop the connection:
                        the server committed, the client never hears it
FaultHttp modes: "pass" (forward to the emulator), an int status with an envelope, "html",
"garbage", "hang", "refuse" (close without an answer), "lose" (forward to the emulator, then never
answer: the write happened, its reply is lost). `methods` limits the mode to those HTTP methods
(e.g. {"PATCH"}: reads pass, writes fail); `requests` records what arrived.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tests.support import MARIADB_HOST, MARIADB_PORT

COMMIT = b"\x03COMMIT"  # a COM_QUERY packet whose text is COMMIT


@dataclass
class _Pair:
    client: socket.socket
    upstream: socket.socket
    doomed: bool = False  # drop the server's next reply and the connection

    def close(self) -> None:
        for s in (self.client, self.upstream):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()


@dataclass
class _Rule:
    pattern: bytes
    nth: int
    action: str  # "cut", "drop_reply" or "stall"
    seen: int = 0
    fired: threading.Event = field(default_factory=threading.Event)


class FaultProxy:
    """A loopback TCP proxy to MariaDB whose faults a test switches while it runs."""

    def __init__(self, host: str = MARIADB_HOST, port: int = MARIADB_PORT) -> None:
        self.target = (host, port)
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.server.getsockname()[1]
        self._pairs: list[_Pair] = []
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._flowing = threading.Event()
        self._flowing.set()
        self._delay = 0.0
        self._refusing = False
        threading.Thread(target=self._accept, daemon=True, name="fault-proxy").start()

    def url(self, database: str, user: str = "root", password: str = "") -> str:
        auth = f"{user}:{password}" if password else user
        return f"mysql+pymysql://{auth}@127.0.0.1:{self.port}/{database}"

    # -- modes -----------------------------------------------------------------------------------

    def cut(self) -> None:
        """Drop every connection now and refuse new ones."""
        with self._lock:
            self._refusing = True
            pairs, self._pairs = self._pairs, []
        for p in pairs:
            p.close()

    def heal(self) -> None:
        """Accept and forward again (after cut, stall or slow); rules are cleared."""
        with self._lock:
            self._refusing, self._delay, self._rules = False, 0.0, []
        self._flowing.set()

    def cut_on(self, pattern: bytes, nth: int = 1) -> threading.Event:
        """Drop the connection that sends `pattern` for the nth time; the event tells it fired."""
        rule = _Rule(pattern, nth, "cut")
        with self._lock:
            self._rules.append(rule)
        return rule.fired

    def drop_commit_reply(self, nth: int = 1) -> threading.Event:
        rule = _Rule(COMMIT, nth, "drop_reply")
        with self._lock:
            self._rules.append(rule)
        return rule.fired

    def stall(self) -> None:
        self._flowing.clear()

    def stall_on(self, pattern: bytes, nth: int = 1) -> threading.Event:
        """Stall (as stall()) when the client sends `pattern` for the nth time, before
        forwarding it: a server that hangs in the middle of a run."""
        rule = _Rule(pattern, nth, "stall")
        with self._lock:
            self._rules.append(rule)
        return rule.fired

    def resume(self) -> None:
        self._flowing.set()

    def slow(self, seconds: float) -> None:
        self._delay = seconds

    def close(self) -> None:
        self.cut()
        with contextlib.suppress(OSError):
            self.server.close()

    # -- the plumbing ----------------------------------------------------------------------------

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            with self._lock:
                refusing = self._refusing
            if refusing:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            pair = _Pair(client, upstream)
            with self._lock:
                self._pairs.append(pair)
            threading.Thread(target=self._up, args=(pair,), daemon=True).start()
            threading.Thread(target=self._down, args=(pair,), daemon=True).start()

    def _wait(self) -> None:
        self._flowing.wait()
        if self._delay:
            time.sleep(self._delay)

    def _match(self, data: bytes) -> str | None:
        with self._lock:
            for rule in self._rules:
                if rule.fired.is_set() or rule.pattern not in data:
                    continue
                rule.seen += 1
                if rule.seen == rule.nth:
                    rule.fired.set()
                    return rule.action
        return None

    def _up(self, pair: _Pair) -> None:
        """Client to server."""
        try:
            while data := pair.client.recv(65536):
                self._wait()
                action = self._match(data)
                if action == "cut":
                    break
                if action == "stall":
                    self.stall()
                    self._wait()
                if action == "drop_reply":
                    pair.doomed = True
                pair.upstream.sendall(data)
        except OSError:
            pass
        pair.close()

    def _down(self, pair: _Pair) -> None:
        """Server to client."""
        try:
            while data := pair.upstream.recv(65536):
                if pair.doomed:
                    break  # the server answered the COMMIT: the client never sees it
                self._wait()
                pair.client.sendall(data)
        except OSError:
            pass
        pair.close()


@contextlib.contextmanager
def fault_proxy() -> Iterator[FaultProxy]:
    proxy = FaultProxy()
    try:
        yield proxy
    finally:
        proxy.close()


class FaultHttp:
    """An HTTP server in front of the v2 emulator; `mode` says how it answers."""

    def __init__(self, upstream_base: str) -> None:
        self.upstream = urlsplit(upstream_base)
        self.mode: str | int = "pass"
        self.methods: set[str] | None = None  # the mode applies to these methods only
        self.requests: list[tuple[str, str]] = []  # (method, path with query) as received
        self._release = threading.Event()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _serve(self) -> None:
                outer.requests.append((self.command, self.path))
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                mode = outer.mode
                if outer.methods is not None and self.command not in outer.methods:
                    mode = "pass"
                if mode == "refuse":
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if mode == "hang":
                    outer._release.wait(60)
                    return
                if mode in ("pass", "lose"):
                    conn = http.client.HTTPConnection(outer.upstream.hostname, outer.upstream.port,
                                                      timeout=30)
                    headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                    conn.request(self.command, self.path, body=body or None, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    conn.close()
                    if mode == "lose":
                        outer._release.wait(60)
                        return
                    self._answer(resp.status, data, resp.getheader("Content-Type") or "")
                    return
                if mode == "html":
                    self._answer(200, b"<html><body><h1>Maintenance</h1></body></html>",
                                 "text/html")
                    return
                if mode == "garbage":
                    self._answer(200, b"\x00\xff{not json", "application/json")
                    return
                status = int(mode)
                self._answer(status, (b'{"error": true, "message": "fault %d", "data": null}'
                                      % status), "application/json")

            def _answer(self, status: int, data: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_DELETE = _serve

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port: int = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}" + self.upstream.path.rstrip("/")

    def close(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()
