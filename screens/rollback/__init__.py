"""Rollback (key 5): the guided rollback of an incident, step by step, resumable; the purge.

screen.py    the screen: the walkthrough's steps, planning and running them, following jobs
detail.py    a step's line in the list, its plan and its result as text
dialogs.py   a new walkthrough's incident, a reason to skip
purge.py     the standalone purge dialog (u): dry run, confirmed purge with backup
messages.py  what the workers report
"""

from screens.registry import PaletteCommand, ScreenSpec
from screens.rollback.screen import RollbackScreen

__all__ = ("SCREEN", "RollbackScreen")

SCREEN = ScreenSpec(
    key="5", name="rollback", title="Rollback", factory=RollbackScreen,
    help="Guided rollback: mitigate, purge, backfill, rebuild, verify, audit, report",
    commands=(PaletteCommand("New rollback walkthrough", "Start the guided rollback of an incident",
                             "new"),
              PaletteCommand("Run the current rollback step", "Plan shown first, then confirmed",
                             "run_step"),
              PaletteCommand("Reload the rollback walkthrough", "Re-read it from disk",
                             "reload"),
              PaletteCommand("Purge journeys (with backup)",
                             "Dry run, then delete touchpoints after a backup", "purge")),
)
