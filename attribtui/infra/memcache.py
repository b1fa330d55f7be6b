"""Memcached: a client per configured server, and the reachability probe of the header.

pymemcache is imported where a client is made (in a worker thread), so the console paints first.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # first paint: pymemcache loads in the worker that uses it
    from pymemcache.client.base import Client


@dataclass(frozen=True)
class ServerProbe:
    server: str
    ok: bool
    message: str  # "1.6.18 (0.4 ms)" or the one-line reason it failed


@dataclass(frozen=True)
class ProbeResult:
    """All configured servers answered (`ok`), with one line per server."""

    ok: bool
    message: str
    servers: list[ServerProbe] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "ok" if self.ok else "fail"


def _split(server: str) -> tuple[str, int]:
    host, _, port = server.rpartition(":")
    return host.strip("[]"), int(port)


def client(server: str, timeout_s: float) -> Client:
    """A pymemcache client of one "host:port" server (connect and read bounded by timeout_s)."""
    from pymemcache.client.base import Client  # first paint: loaded in the worker that uses it

    return Client(_split(server), connect_timeout=timeout_s, timeout=timeout_s)


def probe_one(server: str, timeout_s: float) -> ServerProbe:
    t0 = time.perf_counter()
    try:
        mc = client(server, timeout_s)
        try:
            version = mc.version()
        finally:
            mc.close()
    except (OSError, ValueError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e) or type(e).__name__
        return ServerProbe(server, False, f"unreachable ({reason})")
    except Exception as e:  # pymemcache's protocol errors
        return ServerProbe(server, False, f"bad answer ({type(e).__name__}: {e})")
    ms = (time.perf_counter() - t0) * 1000
    text = version.decode(errors="replace") if isinstance(version, bytes) else str(version)
    return ServerProbe(server, True, f"memcached {text} ({ms:.1f} ms)")


def probe(servers: Sequence[str], timeout_s: float = 1.0) -> ProbeResult:
    """Ask every server for its version. No servers: not ok, "not configured"."""
    if not servers:
        return ProbeResult(False, "not configured")
    results = [probe_one(s, timeout_s) for s in servers]
    bad = [r for r in results if not r.ok]
    if not bad:
        msg = results[0].message if len(results) == 1 else f"{len(results)} servers answered"
        return ProbeResult(True, msg, results)
    first = f"{bad[0].server} {bad[0].message}"
    msg = first if len(results) == 1 else f"{len(bad)} of {len(results)} servers down; {first}"
    return ProbeResult(False, msg, results)
