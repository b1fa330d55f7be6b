"""Schema Health (key 1): the checks by group, with evidence, remediation and exports.

screen.py    the screen: running the checks, the list, copy and export
view.py      the grouped list and the detail pane of one check
messages.py  what the checks worker reports
"""

from screens.health.screen import HealthScreen
from screens.registry import PaletteCommand, ScreenSpec

__all__ = ("SCREEN", "HealthScreen")

SCREEN = ScreenSpec(
    key="1",
    name="health",
    title="Schema Health",
    factory=HealthScreen,
    help="Schema, cron, integrity and database checks with evidence and fixes",
    commands=(
        PaletteCommand("Run checks", "Rerun every check (r)", "rerun"),
        PaletteCommand("Window: last 6 h", "Integrity checks over the last 6 h", "set_window('6h')"),
        PaletteCommand("Window: last 24 h", "Integrity checks over the last 24 h",
                       "set_window('24h')"),
        PaletteCommand("Window: last 48 h", "Integrity checks over the last 48 h (default)",
                       "set_window('48h')"),
        PaletteCommand("Window: last 7 d", "Integrity checks over the last 7 d", "set_window('7d')"),
        PaletteCommand("Cancel the running checks", "Stop the run (x)", "cancel"),
        PaletteCommand("Copy remediation", "Copy the selected check's fix (c)", "copy_fix"),
        PaletteCommand("Export report (Markdown)", "Write the run as Markdown (e)", "export('md')"),
        PaletteCommand("Export report (JSON)", "Write the run as JSON (j)", "export('json')"),
    ),
)
