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
from attribtui.sandbox.cron import faults

ROOT = "/var/www/prosper202"
CONNECT = f"{ROOT}/202-config/connect.php"
TRACKING_FUNCTIONS = f"{ROOT}/202-config/functions-tracking202.php"
SETTING_ROW = f"{ROOT}/202-config/Attribution/Settings/Setting.php"
SERVER_VARS = ("HTTP_HOST", "SERVER_ADDR", "SERVER_NAME", "REMOTE_ADDR")
# connect.php's _die() page on a DB outage (a full HTML document upstream; its text matters).
OUTAGE_HTML = ("<html><head><title>Prosper202 ClickServer</title></head><body>"
               "<h6>Error establishing a database connection</h6></body></html>")
# What display_errors printed after connect.php: PHP holds it in an output buffer and writes it
# at exit, after everything the script wrote to STDOUT directly.
_displayed: list[str] = []

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


def php_warnings() -> None:
    """connect.php in a bare CLI: SERVER_NAME (line 95, before display_errors is on: log only)
    and REMOTE_ADDR (line 186: logged to stderr and displayed on stdout)."""
    if server_vars_set():
        return
    err(f'PHP Warning:  Undefined array key "SERVER_NAME" in {CONNECT} on line 95')
    err(f'PHP Warning:  Undefined array key "REMOTE_ADDR" in {CONNECT} on line 186')
    out("")
    out(f'Warning: Undefined array key "REMOTE_ADDR" in {CONNECT} on line 186')


def warn(message: str, file: str, line: int) -> None:
    """A PHP warning after connect.php: logged on stderr now, displayed on stdout at exit."""
    err(f"PHP Warning:  {message} in {file} on line {line}")
    _displayed.append(f"\nWarning: {message} in {file} on line {line}\n")


def system_hash_warnings() -> None:
    """systemHash() (functions-tracking202.php line 2929) reads HTTP_HOST and SERVER_ADDR, once
    per journey persisted or purged."""
    if server_vars_set():
        return
    for key in ("HTTP_HOST", "SERVER_ADDR"):
        warn(f'Undefined array key "{key}"', TRACKING_FUNCTIONS, 2929)


def fatal(kind: str, message: str, file: str, line: int) -> int:
    """An uncaught exception: PHP's fatal error on both streams, exit 255."""
    text = f"Fatal error:  Uncaught {kind}: {message} in {file}:{line}"
    err(f"PHP {text}")
    err("PHP Stack trace:")
    err("PHP   1. {main}() " + file)
    _displayed.append(f"\n{text}\nStack trace:\n#0 {{main}}\n  thrown in {file} on line "
                      f"{line}\n")
    return 255


def flush_displayed() -> None:
    """PHP's output buffer at exit."""
    sys.stdout.write("".join(_displayed))
    sys.stdout.flush()
    _displayed.clear()


def iso(t: int) -> str:
    """date('c') in GMT: 2026-11-26T12:00:00+00:00."""
    return datetime.fromtimestamp(t, UTC).isoformat()


def connect(script: str) -> Engine | None:
    """The sandbox database named by $P202_SANDBOX_DB_URL, or None when it cannot be reached
    (the caller then prints connect.php's outage page and exits 0), with the faults a drill
    planted for this script armed (faults.py)."""
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
    faults.arm(eng, script)
    return eng


def driver_message(e: BaseException) -> str:
    """The database's own message (mysqli's error), without the driver's wrapping."""
    orig = getattr(e, "orig", None)
    args: tuple[object, ...] = tuple(getattr(orig, "args", ()))
    if len(args) >= 2 and isinstance(args[1], str):
        return args[1]
    return str(orig or e).splitlines()[0]
