"""`attribtui prune`: remove old check runs and job logs; backups only when asked."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from attribtui.config import data_dir, path_size


def prunable(older_than_s: int, *, include_backups: bool = False,
             now: float | None = None) -> list[tuple[Path, int]]:
    """Files and job folders older than the cutoff, with their sizes."""
    cutoff = (time.time() if now is None else now) - older_than_s
    root = data_dir()
    folders = ["checks", "jobs", "reports"] + (["backups"] if include_backups else [])
    found: list[tuple[Path, int]] = []
    for name in folders:
        base = root / name
        if not base.is_dir():
            continue
        for entry in sorted(base.iterdir()):
            if entry.stat().st_mtime < cutoff and not _is_live_job(entry):
                found.append((entry, path_size(entry)))
    return found


def _is_live_job(entry: Path) -> bool:
    """A job folder without an exit record may still be running: never prune it."""
    return entry.is_dir() and (entry / "job.json").exists() and not (entry / "exit.json").exists()


def prune(paths: list[tuple[Path, int]]) -> int:
    freed = 0
    for path, size in paths:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        freed += size
    return freed
