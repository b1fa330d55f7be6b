"""Journey cache key and the pure RIPEMD-160 fallback (docs/prosper202.md, "Journeys")."""

from __future__ import annotations

import hashlib

import pytest

from attribtui.prosper import cachekey
from attribtui.prosper.cachekey import CLI_SYSTEM_HASH, journey_cache_key, system_hash
from attribtui.prosper.ripemd160 import ripemd160_hex

VECTORS = [
    (b"", "9c1185a5c5e9fc54612808977ee8f548b2258d31"),
    (b"a", "0bdc9d2d256b3ee9daae347be6f4dc835a467ffe"),
    (b"abc", "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc"),
    (b"message digest", "5d0689ef49d2fae572b881b123a85ffa21595f36"),
    (b"abcdefghijklmnopqrstuvwxyz", "f71c27109c692c1b56bbdceb5b9d2865b3708dbc"),
    (
        b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "12a053384a9c0c88e405a06c27dcf49ada62eb2b",
    ),
    (
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        "b0e20b6e3116640286ed3a87a5713079b21f5189",
    ),
    (b"1234567890" * 8, "9b752e45573d4b39f4dbd3323cab82bf63326bfb"),
    (b"a" * 1_000_000, "52783243c1697bdbe16d37f97f68f08325dc1528"),
]


@pytest.mark.parametrize(("data", "digest"), VECTORS, ids=lambda v: str(v)[:20])
def test_pure_ripemd160_vectors(data: bytes, digest: str) -> None:
    assert ripemd160_hex(data) == digest


def test_padding_boundaries_match_hashlib() -> None:
    try:
        hashlib.new("ripemd160")
    except ValueError:
        pytest.skip("OpenSSL has no ripemd160 here")
    for size in range(0, 140):
        data = bytes(i % 251 for i in range(size))
        assert ripemd160_hex(data) == hashlib.new("ripemd160", data).hexdigest()


def test_cli_system_hash_and_key() -> None:
    assert system_hash("", "") == CLI_SYSTEM_HASH
    assert journey_cache_key(123, CLI_SYSTEM_HASH) == "42b9c8c764aaa3c6aff92e4995add7a1"


def test_web_hash_differs_from_cli() -> None:
    web = system_hash("tracker.example.com", "10.0.0.5")
    assert web == ripemd160_hex(b"tracker.example.com10.0.0.5")
    assert journey_cache_key(123, web) != journey_cache_key(123, CLI_SYSTEM_HASH)


def test_fallback_when_openssl_lacks_ripemd160(monkeypatch: pytest.MonkeyPatch) -> None:
    real_new = hashlib.new

    def no_ripemd(name: str, *args, **kwargs):
        if name.lower() == "ripemd160":
            raise ValueError("unsupported hash type ripemd160")
        return real_new(name, *args, **kwargs)

    monkeypatch.setattr(cachekey.hashlib, "new", no_ripemd)
    assert system_hash("", "") == CLI_SYSTEM_HASH
