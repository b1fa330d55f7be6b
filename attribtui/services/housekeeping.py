"""`attribtui prune`: remove old check runs and job folders; backups only when asked.

A backup's hidden `.…partial` file (left by a purge killed while writing it) is never a backup
restore can use, so it goes with the check runs, backups or not.

A job folder's age is its end time (exit.json), else the newest write to its logs; a job that is
still running is never pruned, while one whose wrapper vanished without an exit record is.
"""

from __future__ import annotations

import contextlib
import shutil
import time
from pathlib import Path

from attribtui.infra.paths import data_dir, path_size
from attribtui.services.jobs import store as job_store


def prunable(older_than_s: int, *, include_backups: bool = False,
             now: float | None = None) -> list[tuple[Path, int]]:
    """Files and job folders older than the cutoff, with their sizes."""
    cutoff = (time.time() if now is None else now) - older_than_s
    root = data_dir()
    folders = ["checks", "jobs", "reports", "backups"]
    found: list[tuple[Path, int]] = []
    for name in folders:
        base = root / name
        if not base.is_dir():
            continue
        for entry in sorted(base.iterdir()):
            if name == "backups" and not include_backups and not entry.name.endswith(".partial"):
                continue
            if name == "jobs" and entry.is_dir():
                if _is_live_job(entry) or _job_time(entry) >= cutoff:
                    continue
            elif entry.stat().st_mtime >= cutoff:
                continue
            found.append((entry, path_size(entry)))
    return found


def _job_time(entry: Path) -> float:
    """When the job last did anything: the newest mtime of its files (logs, exit.json)."""
    times = [entry.stat().st_mtime]
    for child in entry.iterdir():
        with contextlib.suppress(OSError):
            times.append(child.stat().st_mtime)
    return max(times)


def _is_live_job(entry: Path) -> bool:
    """A job that is still running (job.json, no exit.json, its wrapper alive): never pruned."""
    if not (entry / "job.json").exists() or (entry / "exit.json").exists():
        return False
    rec = job_store.load(entry)
    return rec is None or rec.running or rec.meta.get("pid") is None and not rec.meta.get(
        "spawn_error")


def prune(paths: list[tuple[Path, int]]) -> int:
    freed = 0
    for path, size in paths:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        freed += size
    return freed
