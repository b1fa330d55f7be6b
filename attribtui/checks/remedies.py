"""The commands a remediation tells the operator to run: Prosper202's own scripts, hour-aligned
and in runs of at most 24 h, with the profile's PHP and checkout (prosper/scripts.py)."""

from __future__ import annotations

from attribtui.checks.framework import CheckContext
from attribtui.prosper import scripts
from attribtui.prosper.hours import aligned


def _php_root(ctx: CheckContext) -> tuple[str, str]:
    jobs = ctx.profile.jobs if ctx.profile is not None else None
    root = str(jobs.prosper_root) if jobs is not None and jobs.prosper_root else None
    return (jobs.php if jobs is not None else "php"), root or scripts.PLACEHOLDER_ROOT


def script_path(ctx: CheckContext, script: str) -> str:
    """<prosper root>/202-cronjobs/<script> (a placeholder root when the profile names none)."""
    return scripts.script_path(script, _php_root(ctx)[1])


def script_command(ctx: CheckContext, script: str) -> str:
    """`php <root>/202-cronjobs/<script>`: how to run a script by hand."""
    return f"{_php_root(ctx)[0]} {script_path(ctx, script)}"


def rebuild_commands(ctx: CheckContext, user_id: int, t0: int, t1: int) -> str:
    """The rebuild for user_id over t0..t1: hour-aligned, in runs of at most 24 h."""
    php, root = _php_root(ctx)
    return scripts.join_commands(scripts.chunked_commands(
        "rebuild", php=php, root=root, start=t0, end=t1, user=user_id))


def backfill_command(ctx: CheckContext, user_id: int, t0: int, t1: int) -> str:
    """The backfill for user_id over the hour-aligned window covering t0..t1, in one run."""
    php, root = _php_root(ctx)
    start, end = aligned(t0, t1)
    return scripts.command("backfill", php=php, root=root, start=start, end=end, user=user_id)


def backfill_commands(ctx: CheckContext, user_id: int, t0: int, t1: int) -> str:
    """The backfill for user_id over the hour-aligned window covering t0..t1, in runs of 24 h."""
    php, root = _php_root(ctx)
    return scripts.join_commands(scripts.chunked_commands(
        "backfill", php=php, root=root, start=t0, end=t1, user=user_id))
