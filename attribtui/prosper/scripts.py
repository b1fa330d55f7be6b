"""Prosper202's cron scripts and how their command lines must be written.

The scripts read options with PHP getopt `::`, so only `--opt=value` works: `--start 123`
silently means 0 and a repeated `--user` means user 1 (docs/prosper202.md, "Cron scripts").
Every command line built here attaches its values; the windows come from prosper/hours.py.
"""

from __future__ import annotations

import shlex

from attribtui.prosper.hours import aligned, chunks

CRON_DIR = "202-cronjobs"
REBUILD = "attribution-rebuild.php"
BACKFILL = "backfill-conversion-journeys.php"
EXPORT = "attribution-export.php"
PURGE_DISABLED = "purge-disabled-journeys.php"
SCRIPTS = {"rebuild": REBUILD, "backfill": BACKFILL}
KINDS = tuple(SCRIPTS)
# The documented schedule: every script runs hourly at :15 (docs/prosper202.md, "Cron scripts").
CRON_MINUTE = 15
CRON_SCHEDULE = f"{CRON_MINUTE} * * * *"
# Shown in remediation text when the profile does not say where Prosper202 lives.
PLACEHOLDER_ROOT = "/path/to/prosper202"


def script_path(script: str, root: str | None = None) -> str:
    """<root>/202-cronjobs/<script>, or the path relative to the checkout when root is unset."""
    return f"{root.rstrip('/')}/{CRON_DIR}/{script}" if root else f"{CRON_DIR}/{script}"


def flags(kind: str, *, start: int, end: int, user: int | None = None,
          batch_size: int | None = None) -> list[str]:
    """The script's options, always as --opt=value."""
    out = [f"--user={user}"] if user is not None else []
    out += [f"--start={start}", f"--end={end}"]
    if kind == "backfill" and batch_size is not None:
        out.append(f"--batch-size={batch_size}")
    return out


def argv(kind: str, *, php: str, root: str | None, start: int, end: int,
         user: int | None = None, batch_size: int | None = None) -> list[str]:
    """The command that runs one script over one window."""
    return [php, script_path(SCRIPTS[kind], root),
            *flags(kind, start=start, end=end, user=user, batch_size=batch_size)]


def command(kind: str, *, php: str, root: str | None, start: int, end: int,
            user: int | None = None) -> str:
    return shlex.join(argv(kind, php=php, root=root, start=start, end=end, user=user))


def chunked_commands(kind: str, *, php: str, root: str | None, start: int, end: int,
                     user: int | None = None) -> list[str]:
    """The hour-aligned window covering start..end, as runs of at most 24 h."""
    return [command(kind, php=php, root=root, start=s, end=e, user=user)
            for s, e in chunks(*aligned(start, end))]


def join_commands(commands: list[str], keep: int = 3) -> str:
    """Commands run one after another, shortened to the first two and the last when many."""
    if len(commands) > keep:
        commands = [*commands[:2], f"... {len(commands) - 3} more 24 h chunks ...", commands[-1]]
    return " ; ".join(commands)
