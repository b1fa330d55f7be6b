"""Append-only JSONL of every console action (docs/architecture.md, promise 5); the incident report
reads it.

Each line: ts, ts_iso, operator, host, profile, environment, action, target, params (redacted),
result. Lines are appended with O_APPEND, so concurrent consoles never interleave a record.
"""

from __future__ import annotations

import json
import os
import pwd
import socket
from collections.abc import Iterator, Mapping
from pathlib import Path

from attribtui.infra import clock, paths
from attribtui.infra.config import Profile
from attribtui.infra.redact import redact_value
from attribtui.vocab import JsonDict


def log_path() -> Path:
    return paths.data_file("actions")


def operator(configured: str | None = None) -> str:
    """Who is acting: $SUDO_USER (the human behind sudo), then $USER, then the config's name,
    then the login name of this process (under cron, tmux or `env -i` $USER may be unset;
    "unknown" names nobody)."""
    name = os.environ.get("SUDO_USER") or os.environ.get("USER") or configured
    if name:
        return name
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except (KeyError, OSError):  # a uid without a passwd entry (some containers)
        return "unknown"


def record(action: str, *, profile: Profile, target: str = "", params: Mapping[str, object] | None = None,
           result: object = None) -> JsonDict:
    """Append one action; secrets of the profile and secret-looking keys are redacted."""
    secrets = profile.secrets()
    now = clock.now()
    entry = {
        "ts": now,
        "ts_iso": clock.iso(now),
        "operator": operator(profile.operator),
        "host": socket.gethostname(),
        "profile": profile.name,
        "environment": profile.environment,
        "action": action,
        "target": redact_value(target, secrets),
        "params": redact_value(dict(params or {}), secrets),
        "result": redact_value(result, secrets),
    }
    paths.append_private(log_path(), json.dumps(entry, sort_keys=True, default=str) + "\n")
    return entry


def entries(since: int | None = None, until: int | None = None) -> Iterator[JsonDict]:
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
