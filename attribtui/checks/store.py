"""Saved check runs under the data dir, for before/after comparisons in reports."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from attribtui import clock
from attribtui.config import data_dir


def runs_dir() -> Path:
    return data_dir() / "checks"


def save(report: dict[str, Any]) -> Path:
    """Write one run as JSON (0600) and return its path."""
    folder = runs_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = clock.iso(report["generated_at"]).replace(":", "").replace("-", "")
    safe_profile = "".join(c if c.isalnum() or c in "-_" else "_" for c in report["profile"])
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


def load_runs(profile: str | None = None) -> list[dict[str, Any]]:
    """Every saved run (oldest first), optionally for one profile."""
    out = []
    for path in sorted(runs_dir().glob("*.json")):
        try:
            run = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if profile is None or run.get("profile") == profile:
            run["_path"] = str(path)
            out.append(run)
    return out
