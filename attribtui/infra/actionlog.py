"""Append-only JSONL of every console action (DESIGN promise 5); the incident report reads it.

Each line: ts, ts_iso, operator, host, profile, environment, action, target, params (redacted),
result. Lines are appended with O_APPEND, so concurrent consoles never interleave a record.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from attribtui.infra import clock
from attribtui.infra.config import data_dir, redact_text, redact_url

SECRET_NAMES = frozenset({"key", "apikey", "api_key", "password", "passwd", "secret", "token"})
SECRET_SUFFIXES = ("_key", "_password", "_secret", "_token")


def _secret_name(name: str) -> bool:
    """'apikey', 'webhook_secret', 'api_key' are secrets; 'cache_keys', 'key_env' are not."""
    n = name.lower()
    return n in SECRET_NAMES or n.endswith(SECRET_SUFFIXES)


def log_path() -> Path:
    return data_dir() / "actions.jsonl"


def operator(configured: str | None = None) -> str:
    """Who is acting: $SUDO_USER (the human behind sudo), then $USER, then the config's name."""
    return os.environ.get("SUDO_USER") or os.environ.get("USER") or configured or "unknown"


def redact_value(value: Any, secrets: Sequence[str] = ()) -> Any:
    """A JSON-like value with secret-named keys as *** and secrets/URL credentials removed."""
    if isinstance(value, Mapping):
        return {k: "***" if _secret_name(k) and v else redact_value(v, secrets)
                for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(v, secrets) for v in value]
    if isinstance(value, str):
        text = redact_url(value) if "://" in value else value
        return redact_text(text, secrets)
    return value


def record(action: str, *, profile: Any, target: str = "", params: Mapping[str, Any] | None = None,
           result: Any = None) -> dict[str, Any]:
    """Append one action; secrets of the profile and secret-looking keys are redacted."""
    secrets = profile.secrets() if hasattr(profile, "secrets") else []
    now = clock.now()
    entry = {
        "ts": now,
        "ts_iso": clock.iso(now),
        "operator": operator(getattr(profile, "operator", None)),
        "host": socket.gethostname(),
        "profile": getattr(profile, "name", str(profile)),
        "environment": getattr(profile, "environment", "unknown"),
        "action": action,
        "target": redact_value(target, secrets),
        "params": redact_value(dict(params or {}), secrets),
        "result": redact_value(result, secrets),
    }
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(entry, sort_keys=True, default=str) + "\n").encode())
    finally:
        os.close(fd)
    return entry


def entries(since: int | None = None, until: int | None = None) -> Iterator[dict[str, Any]]:
    """Actions between since and until (inclusive), oldest first; unreadable lines are skipped."""
    path = log_path()
    if not path.exists():
        return
    with path.open() as fh:
        for line in fh:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            ts = entry.get("ts", 0)
            if (since is None or ts >= since) and (until is None or ts <= until):
                yield entry
