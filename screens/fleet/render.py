"""The Fleet screen's rows and detail as text (no widgets here, so they are easy to test)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from attribtui.infra import clock
from attribtui.vocab import Status, label, worst

if TYPE_CHECKING:
    from attribtui.services.fleet import ProfileRun

COLUMNS = ("Profile", "Env", "Status", "Checks", "Worst check", "Checked", "Reach", "Change")
# Narrower, Checks and Reach go: the detail below lists the findings, and a deployment that
# could not be reached reads ‼ ERROR with the reason where the worst check would be.
WIDE = 100
NARROW_DROPS = ("Checks", "Reach")
COUNT_ORDER = (Status.FAIL, Status.ERROR, Status.WARN, Status.SKIPPED, Status.INFO, Status.OK)
FAILING = (Status.FAIL, Status.ERROR, Status.WARN)  # the detail lists them in this order


def counts_text(counts: dict[str, int]) -> str:
    """'✖3 ▲3 ℹ5 ✔17': checks per status, worst first, none shown for a zero."""
    return " ".join(f"{label(s).split()[0]}{counts[s]}" for s in COUNT_ORDER if counts.get(s))


def change_text(before: Status | None, now: Status) -> str:
    """How the status moved since the previous refresh ('' when it did not, or was unknown)."""
    if before is None or before == now:
        return ""
    direction = "worse" if worst([before, now]) == now else "better"
    return f"{direction}, was {label(before)}"


def env_text(environment: str, read_only: bool) -> str:
    env = "PRODUCTION" if environment in ("production", "unknown") else environment
    return f"{env} RO" if read_only else env


def columns_for(width: int) -> tuple[str, ...]:
    return COLUMNS if width >= WIDE else tuple(c for c in COLUMNS if c not in NARROW_DROPS)


def narrow(cells: list[str], columns: tuple[str, ...]) -> list[str]:
    """A row's cells for the columns shown."""
    return [c for c, name in zip(cells, COLUMNS, strict=True) if name in columns]


def row_cells(name: str, environment: str, read_only: bool, row: ProfileRun | None,
              checked_at: int | None, *, current: bool, saved: bool, change: str,
              now: int) -> list[str]:
    """One table row: the current profile marked ▶, a saved (not yet refreshed) run marked."""
    mark = "▶" if current else " "  # one word with the name: the column does not wrap it
    env = env_text(environment, read_only)
    if row is None:
        return [mark + name, env, "… not checked", "", "", "", "… checking", ""]
    age = clock.ago(max(0, now - checked_at)) + " ago" if checked_at else ""
    reach = "✖ no" if row.report is None or row.error else "✔ yes"
    worst_cell = _short(row.error) if row.error else row.worst_check or ""
    return [mark + name, env, label(row.status), counts_text(row.counts), worst_cell,
            f"{age} (saved)" if saved else age, reach, change]


def _short(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"


def detail_text(name: str, environment: str, groups: tuple[str, ...], row: ProfileRun | None,
                *, current: bool) -> Text:
    """The highlighted profile: where it is, why it could not tell, its failing checks."""
    out = Text()
    out.append(f"{name}", style="bold")
    out.append(f"  {env_text(environment, False)}")
    if groups:
        out.append(f"  groups: {', '.join(groups)}")
    if current:
        out.append("  (the console's profile)", style="italic")
    out.append("\n")
    if row is None:
        out.append("Not checked yet: the background refresh reaches it shortly (r: now).")
        return out
    if row.error:
        out.append(f"‼ {row.error}\n", style="bold")
    checks = (row.report or {}).get("checks", [])
    failing = sorted((c for c in checks if c.get("status") in FAILING),
                     key=lambda c: FAILING.index(c["status"]))
    if row.error:  # the checks that could not run only repeat it
        failing = [c for c in failing if c["status"] != Status.ERROR]
        errors = sum(1 for c in checks if c.get("status") == Status.ERROR)
        out.append(f"{errors} of {len(checks)} checks could not run for that reason.\n")
    for c in failing[:12]:
        first = str(c.get("details", "")).split("\n", 1)[0]
        out.append(f"{label(c['status']):9} {c['id']}: {first}\n")
    if len(failing) > 12:
        out.append(f"… and {len(failing) - 12} more: Enter opens the profile on Schema Health\n")
    if checks and not failing and not row.error:
        out.append("No check warns or fails.\n")
    if not current:
        out.append("Enter switches the console to this profile.", style="dim")
    return out
