"""Saved check runs under the data dir, for before/after comparisons in reports."""

from __future__ import annotations

import json
import os
from pathlib import Path

from attribtui.infra import clock, paths
from attribtui.vocab import JsonDict


def runs_dir() -> Path:
    return paths.folder("checks")


def _stamp(t: int) -> str:
    return paths.stamp(clock.iso(t) or "")


def _safe(profile: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in profile)


def save(report: JsonDict) -> Path:
    """Write one run as JSON (0600) and return its path."""
    stem = f"{_stamp(report['generated_at'])}-{_safe(report['profile'])}-{os.getpid()}"
    with paths.new_private_file(runs_dir(), stem, ".json") as (path, fh):
        json.dump(report, fh, indent=1, sort_keys=False)
    return path


def load_runs(profile: str | None = None, *, since: int | None = None, until: int | None = None,
              newest: int | None = None) -> list[JsonDict]:
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
    out: list[JsonDict] = []
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
