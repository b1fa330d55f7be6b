"""Run upstream's own PHP on a scratch database: the v2 API under `php -S`, the cron scripts.

The clock is frozen with libfaketime (Debian's `faketime`) at the golden NOW, so upstream's
`time()` and our ATTRIBTUI_NOW agree and answers need no timestamp normalisation; TZ is UTC.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
PHP = os.environ.get("P202_CONF_PHP", "php")


def env(database: str, now: int, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    # Slowed 1000x rather than frozen: uniqid() spins until the microseconds change.
    frozen = "@" + datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d %H:%M:%S") + " x0.001"
    base = {k: v for k, v in os.environ.items()
            if k not in ("HTTP_HOST", "SERVER_ADDR", "SERVER_NAME", "REMOTE_ADDR")}
    base.update({"P202_CONF_DB": database, "TZ": "UTC", "LD_PRELOAD": FAKETIME_LIB,
                 "FAKETIME": os.environ.get("P202_CONF_FAKETIME", frozen), "FAKETIME_DONT_FAKE_MONOTONIC": "1",
                 "DONT_FAKE_MONOTONIC": "1"})
    base.update(extra or {})
    return base


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def api(root: Path, database: str, now: int) -> Iterator[str]:
    """Upstream's v2 API on a loopback port (base URL without a trailing slash)."""
    port = _free_port()
    log = open(root.parent / f"php-s-{port}.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [PHP, "-d", "display_errors=0", "-d", "log_errors=1", "-d", "memory_limit=256M",
         "-S", f"127.0.0.1:{port}", "-t", str(root), str(root / "api" / "v2" / "router.php")],
        env=env(database, now), stdout=log, stderr=subprocess.STDOUT, cwd=root)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(5)
        log.close()


def cron(root: Path, database: str, now: int, script: str, argv: list[str],
         extra_env: Mapping[str, str] | None = None) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `php 202-cronjobs/<script> argv...` with a bare CLI env."""
    proc = subprocess.run([PHP, f"202-cronjobs/{script}", *argv], cwd=root,
                          env=env(database, now, extra_env), capture_output=True, timeout=120)
    return proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(
        errors="replace")
