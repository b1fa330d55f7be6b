"""Every file and folder attribtui uses, and the one way private files are written.

The data dir is $ATTRIBTUI_DATA_DIR or platformdirs' user data dir. Everything under it holds
operator data (backups, logs, reports, the action log), so folders are 0700 and files 0600,
whatever the umask. `attribtui paths` prints `app_paths()`; nothing else invents a path.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

import platformdirs

APP_NAME = "attribtui"

# name -> (path under the data dir, what it holds); `attribtui paths` lists them in this order.
LAYOUT: dict[str, tuple[str, str]] = {
    "checks": ("checks", "every saved check run (JSON), for before/after in reports"),
    "actions": ("actions.jsonl", "the action log: every console action and its result"),
    "jobs": ("jobs", "job folders: command, both logs, outcome"),
    "backups": ("backups", "purge and model-delete backups (replayable)"),
    "rollbacks": ("rollbacks", "rollback walkthroughs, saved after every step"),
    "demo": ("demo/demo.sqlite", "the demo's SQLite database"),
    "demo-console": ("demo/console.json", "the open demo console: its API port and job pace, "
                     "for `--profile demo`"),
    "reports": ("reports", "incident reports, exported check runs, copied fixes"),
    "locks": ("locks", "who holds the one-operator lock of each database"),
}


def config_file() -> Path:
    """Where the config file is read when neither --config nor $ATTRIBTUI_CONFIG says."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def private_dirs(path: Path) -> Path:
    """Create the missing folders of path with 0700 (existing ones are left alone)."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
        folder.chmod(0o700)  # mkdir's mode is filtered by the umask
    return path


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """$ATTRIBTUI_DATA_DIR or the platform data dir, created 0700."""
    env = os.environ if env is None else env
    configured = env.get("ATTRIBTUI_DATA_DIR")
    path = Path(configured).expanduser() if configured else Path(
        platformdirs.user_data_dir(APP_NAME))
    return private_dirs(path)


def folder(name: str) -> Path:
    """A data folder of LAYOUT (checks, jobs, backups, ...), created 0700."""
    rel, _ = LAYOUT[name]
    return private_dirs(data_dir() / rel)


def data_file(name: str) -> Path:
    """A data file of LAYOUT (actions, demo); its folder is created 0700."""
    rel, _ = LAYOUT[name]
    path = data_dir() / rel
    private_dirs(path.parent)
    return path


def app_paths(config_path: Path | None = None, env: Mapping[str, str] | None = None
              ) -> list[tuple[str, Path]]:
    """Every path the tool uses, for `attribtui paths` (the config file even if absent)."""
    data = data_dir(env)
    return [("config", Path(config_path) if config_path else config_file()), ("data", data),
            *((name, data / rel) for name, (rel, _) in LAYOUT.items())]


def path_size(p: str | os.PathLike[str]) -> int:
    """Size in bytes of a file, or of everything under a folder; 0 if absent."""
    path = Path(p)
    try:
        if path.is_file():
            return path.stat().st_size
        if not path.is_dir():
            return 0
    except OSError:
        return 0
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):  # removed while we walked
                total += os.lstat(os.path.join(root, name)).st_size
    return total


# -- writing -----------------------------------------------------------------------------------------


def touch_private(path: str | os.PathLike[str]) -> Path:
    """Ensure path exists as a 0600 file in 0700 folders (its content is kept)."""
    path = Path(path)
    private_dirs(path.parent)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600))
    path.chmod(0o600)
    return path


def write_private(path: Path, text: str) -> Path:
    """Replace path's content atomically (a reader never sees half a file), 0600."""
    private_dirs(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)
    return path


def write_json(path: Path, data: object) -> Path:
    return write_private(path, json.dumps(data, indent=2, sort_keys=True, default=str))


def read_json(path: Path) -> dict[str, object] | None:
    """A JSON object from a file, or None when it is absent or unreadable."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def append_private(path: Path, line: str) -> None:
    """Append one line with O_APPEND, so concurrent writers never interleave a record."""
    private_dirs(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


@contextlib.contextmanager
def new_private_file(folder_path: Path, stem: str, suffix: str, *, first: int = 0
                     ) -> Iterator[tuple[Path, IO[str]]]:
    """A new 0600 file `<stem>-<n><suffix>` that no one else has (O_EXCL), open for writing.

    Two runs may share a second (and tests a frozen clock): the counter keeps names unique.
    """
    private_dirs(folder_path)
    n = first
    while True:
        path = folder_path / f"{stem}-{n}{suffix}"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            break
        except FileExistsError:
            n += 1
    with os.fdopen(fd, "w") as fh:
        yield path, fh


def stamp(iso: str) -> str:
    """'2026-11-26T12:34:56Z' -> '20261126T123456Z', for sortable file names."""
    return iso.replace("-", "").replace(":", "")
