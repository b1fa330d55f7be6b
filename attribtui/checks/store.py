"""Saved check runs under the data dir, for before/after comparisons in reports."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from attribtui.infra import clock
from attribtui.infra.config import data_dir


def runs_dir() -> Path:
    return data_dir() / "checks"


def _stamp(t: int) -> str:
    return clock.iso(t).replace(":", "").replace("-", "")


def _safe(profile: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in profile)


def save(report: dict[str, Any]) -> Path:
    """Write one run as JSON (0600) and return its path."""
    folder = runs_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = _stamp(report["generated_at"])
    safe_profile = _safe(report["profile"])
    n = 0
    while True:  # never overwrite: two runs may share a second (and a frozen clock)
        path = folder / f"{stamp}-{safe_profile}-{os.getpid()}-{n}.json"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            break
        except FileExistsError:
            n += 1
    with os.fdopen(fd, "w") as fh:
        json.dump(report, fh, indent=1, sort_keys=False)
    return path


def load_runs(profile: str | None = None, *, since: int | None = None, until: int | None = None,
              newest: int | None = None) -> list[dict[str, Any]]:
    """Saved runs (oldest first) of a profile and time range; `newest` keeps only the last N.

    File names start with the run's UTC time and carry the profile, so only the files wanted
    are read: a console that has run checks for months stays quick.
    """
    paths = sorted(runs_dir().glob("*.json"))
    if since is not None:
        paths = [p for p in paths if p.name[:16] >= _stamp(since)]
    if until is not None:
        paths = [p for p in paths if p.name[:16] <= _stamp(until)]
    if profile is not None:
        paths = [p for p in paths if f"-{_safe(profile)}-" in p.name]
    out: list[dict[str, Any]] = []
    for path in reversed(paths):  # newest first, so `newest` stops early
        if newest is not None and len(out) >= newest:
            break
        try:
            run = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if profile is None or run.get("profile") == profile:
            run["_path"] = str(path)
            out.append(run)
    out.reverse()
    return out
