"""The memcache key of a conversion journey (docs/prosper202.md, "Cache key").

Prosper202 only ever deletes this key, so the console needs it to probe and evict, and to show
that CLI runs (empty HTTP_HOST/SERVER_ADDR) and the web server compute different keys.
"""

from __future__ import annotations

import hashlib

from attribtui.prosper.ripemd160 import ripemd160_hex


def _ripemd160_hex(data: bytes) -> str:
    try:
        return hashlib.new("ripemd160", data).hexdigest()
    except ValueError:  # OpenSSL 3 without the legacy provider
        return ripemd160_hex(data)


def system_hash(http_host: str, server_addr: str) -> str:
    """PHP ``systemHash()``: hex ripemd160 of HTTP_HOST . SERVER_ADDR (UTF-8 bytes)."""
    return _ripemd160_hex((http_host + server_addr).encode("utf-8"))


CLI_SYSTEM_HASH = "9c1185a5c5e9fc54612808977ee8f548b2258d31"  # ripemd160(""): both unset in CLI


def journey_cache_key(conv_id: int, system_hash: str) -> str:
    """md5 of ``attribution_journey_<conv_id>_<systemHash>``, as persistJourney deletes it."""
    return hashlib.md5(f"attribution_journey_{int(conv_id)}_{system_hash}".encode()).hexdigest()
