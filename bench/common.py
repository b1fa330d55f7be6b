"""Helpers for the bench scripts: timing subprocesses and a reusable seeded MariaDB database."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pymysql

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SERVER = os.environ.get("BENCH_MARIADB", "mysql+pymysql://root@127.0.0.1:3306")


def time_command(argv: list[str], runs: int = 7, env: dict[str, str] | None = None) -> float:
    """Median wall time in seconds of running argv to completion."""
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env={**os.environ, **(env or {})}, check=False)
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def seeded_database(name: str, conversions: int) -> str:
    """A sandbox database reused across runs (reseeded only when missing or of another size)."""
    from attribtui.sandbox.seed import read_marker, seed

    url = f"{SERVER}/{name}"
    try:
        marker = read_marker(url)
    except Exception:  # noqa: BLE001 - absent database
        marker = None
    if not marker or int(marker.get("conversions", 0)) != conversions:
        print(f"seeding {name} with {conversions} conversions ...", file=sys.stderr)
        seed(url, conversions=conversions, reset=True)
    return url


def row(label: str, value: str) -> None:
    print(f"  {label:55} {value}")


def scale_database(name: str = "attribtui_bench_scale", conversions: int = 1_000_000,
                   clicks: int = 2_000_000) -> tuple[str, dict]:
    """A million-conversion sandbox (attribtui.sandbox.scale), reused while its shape matches."""
    from attribtui.sandbox.scale import ScaleSpec, ensure

    url = f"{SERVER}/{name}"
    t0 = time.perf_counter()

    def say(msg: str) -> None:
        print(f"  [{time.perf_counter() - t0:6.1f} s] {msg}", file=sys.stderr, flush=True)

    marker = ensure(url, ScaleSpec(conversions=conversions, clicks=clicks), progress=say)
    return url, marker


def journey_database(conversions: int) -> tuple[str, pymysql.connections.Connection]:
    """The journey benches' database (the set-based scale one from 1M conversions up, reused
    across runs; a seeded one below) and a raw PyMySQL connection to it, for the query floors."""
    from sqlalchemy.engine import make_url

    if conversions >= 1_000_000:
        url, _ = scale_database(conversions=conversions)
    else:
        url = seeded_database(f"attribtui_bench_{conversions // 1000}k", conversions)
    u = make_url(url)
    conn = pymysql.connect(host=u.host, port=u.port or 3306, user=u.username,
                           password=u.password or "", database=u.database, autocommit=True)
    return url, conn
