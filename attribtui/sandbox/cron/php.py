"""What a bare PHP CLI run of a Prosper202 cron script looks like, for the stand-ins.

PHP getopt with `::` options, `(int)` casts, connect.php's warnings on both streams and its outage
page (exit 0), and `date('c')` (docs/prosper202.md §What connect.php does to a CLI run, §Options).
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from typing import TypeAlias

from sqlalchemy import text
from sqlalchemy.engine import Engine

from attribtui.infra import engines
from attribtui.prosper.validation import php_int
from attribtui.sandbox import DB_URL_ENV

CONNECT = "/var/www/prosper202/202-config/connect.php"
SERVER_VARS = ("HTTP_HOST", "SERVER_ADDR", "SERVER_NAME", "REMOTE_ADDR")
OUTAGE_HTML = ("<html><head><title>Prosper202</title></head><body>"
               "<h2>Could not connect to the database.</h2></body></html>")

# An option's value: the text after "=", False for a bare --name, a list when repeated.
OptValue: TypeAlias = str | bool | list[str | bool]


def out(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def err(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def getopt(argv: list[str], names: tuple[str, ...]) -> dict[str, OptValue]:
    """PHP getopt with `name::` long options: --name=value gives the value, a bare --name gives
    False, a repeated option gives a list; the first non-option argument stops parsing."""
    found: dict[str, OptValue] = {}
    for arg in argv:
        if not arg.startswith("--") or arg == "--":
            break
        name, eq, value = arg[2:].partition("=")
        if name not in names:
            continue
        v: str | bool = value if eq else False
        if name in found:
            before = found[name]
            found[name] = (before if isinstance(before, list) else [before]) + [v]
        else:
            found[name] = v
    return found


def opt_int(v: OptValue) -> int:
    """PHP's (int) of an option's value: False is 0, a list is 1, text as intval()."""
    return php_int(v if not isinstance(v, bool) else int(v))


def server_vars_set() -> bool:
    """Whether the web $_SERVER keys come from the environment (then PHP warns about nothing)."""
    return any(os.environ.get(k) for k in SERVER_VARS)


def php_warnings(n: int = 1, lines: tuple[int, ...] = (186, 187)) -> None:
    """What connect.php's display_errors=On prints in a bare CLI (both streams)."""
    if server_vars_set():
        return
    for _ in range(n):
        for key, line in zip(("REMOTE_ADDR", "SERVER_NAME"), lines, strict=True):
            out("")
            out(f'Warning: Undefined array key "{key}" in {CONNECT} on line {line}')
            err(f'PHP Warning:  Undefined array key "{key}" in {CONNECT} on line {line}')


def iso(t: int) -> str:
    """date('c') in GMT: 2026-11-26T12:00:00+00:00."""
    return datetime.fromtimestamp(t, UTC).isoformat()


def connect() -> Engine | None:
    """The sandbox database named by $P202_SANDBOX_DB_URL, or None when it cannot be reached
    (the caller then prints connect.php's outage page and exits 0)."""
    url = os.environ.get(DB_URL_ENV)
    if not url:
        return None
    eng = engines.create(url)
    try:
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - connect.php's outage page, exit 0
        eng.dispose()
        return None
    return eng
