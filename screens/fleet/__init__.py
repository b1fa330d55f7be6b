"""Fleet (key 6): every configured profile at a glance, checked in the background.

screen.py    the screen: one row per profile, the selected profile's findings, Enter opens it
render.py    rows, changes and the detail as text
messages.py  what the fleet worker reports
"""

from screens.fleet.screen import FleetScreen
from screens.registry import PaletteCommand, ScreenSpec

__all__ = ("SCREEN", "FleetScreen")

SCREEN = ScreenSpec(
    key="6",
    name="fleet",
    title="Fleet",
    factory=FleetScreen,
    help="Every profile's health at a glance; Enter switches the console to one",
    commands=(PaletteCommand("Refresh fleet", "Check every profile now (r)", "refresh"),),
    per_profile=False,
)
