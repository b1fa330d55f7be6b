"""Journeys (key 2): conversions' journeys validated and recomputed, credits, the cache key.

screen.py    the screen: input, the lookup worker, the list, eviction
render.py    a conversion's list entry and detail pane
messages.py  what the lookup and cache workers report
"""

from screens.journeys.screen import JourneysScreen
from screens.registry import PaletteCommand, ScreenSpec

__all__ = ("SCREEN", "JourneysScreen")

SCREEN = ScreenSpec(
    key="2",
    name="journeys",
    title="Journeys",
    factory=JourneysScreen,
    help="Look up conversions: journey rules, backfill diff, credits, cache key",
    commands=(
        PaletteCommand("Look up conv_ids", "Type conv_ids to look up (/)", "focus_input"),
        PaletteCommand("Reverse lookup by click_id", "Conversions whose journeys hold a click (c)",
                       "click_lookup"),
        PaletteCommand("Reload the journeys", "Read them again (r)", "reload"),
        PaletteCommand("Evict the journey cache key", "Confirmed; not in read-only (e)", "evict"),
    ),
)
