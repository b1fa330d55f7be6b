"""Serving the emulator: a quiet threaded WSGI server in a daemon thread, and the sandbox's keys."""

from __future__ import annotations

import threading
from socket import socket
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from sqlalchemy import select

from attribtui.infra import engines
from attribtui.prosper import tables as pt
from attribtui.sandbox.emulator.app import Emulator

_Address = Any  # what socketserver passes as a client address (a tuple for TCP)


class _QuietHandler(WSGIRequestHandler):
    """wsgiref logs every request line to stderr, URL (and so the apikey) included: never."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return


class _ThreadingServer(WSGIServer):
    daemon_threads = True

    def process_request(self, request: socket | tuple[bytes, socket], client_address: _Address
                        ) -> None:
        # One thread per request, so a slow client cannot block the demo's console.
        t = threading.Thread(target=self._serve_one, args=(request, client_address), daemon=True)
        t.start()

    def _serve_one(self, request: socket | tuple[bytes, socket], client_address: _Address
                   ) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:  # noqa: BLE001 - a broken client connection must not kill the server
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)

    def handle_error(self, request: socket | tuple[bytes, socket], client_address: _Address
                     ) -> None:
        return  # the default prints a traceback to stderr, over the console


def serve(url: str, host: str = "127.0.0.1", port: int = 0) -> tuple[WSGIServer, threading.Thread]:
    """Serve the emulator for `url` on host:port (0 = a free port) in a daemon thread.

    The base URL is base_url(server); stop with server.shutdown().
    """
    app = Emulator(url)
    server = make_server(host, port, app, server_class=_ThreadingServer,
                         handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              name="v2 API emulator", daemon=True)
    thread.start()
    return server, thread


def base_url(server: WSGIServer) -> str:
    host = server.server_address[0]
    if isinstance(host, bytes):  # typeshed allows it; a TCP server's host is always str
        host = host.decode()
    return f"http://{host}:{server.server_port}"


def show_keys(url: str, limit: int = 20) -> list[str]:
    """The sandbox's API keys and their permissions (sandbox keys only: training logins)."""
    engine = engines.create(url, null_pool=True)
    try:
        with engine.connect() as conn:
            return [f"user {r.user_id}: apikey={r.api_key} permissions={r.scope}"
                    for r in conn.execute(select(pt.api_keys).limit(limit))]
    finally:
        engine.dispose()
