"""Models (key 3): attribution models through the v2 API, every change planned and confirmed.

screen.py    the screen: the model list, its panels, the actions and their workers
dialogs.py   deactivating the default, the create/edit form
render.py    rows, summary, details, audit, snapshot chart and last change as text
messages.py  what the workers report
"""

from screens.models.screen import ModelsScreen
from screens.registry import PaletteCommand, ScreenSpec

__all__ = ("SCREEN", "ModelsScreen")

SCREEN = ScreenSpec(
    key="3",
    name="models",
    title="Models",
    factory=ModelsScreen,
    help="Attribution models through the v2 API: toggle, default, edit, create, delete, audit",
    commands=(
        PaletteCommand("Reload models", "Read the models again (r)", "reload"),
        PaletteCommand("Activate model", "PATCH is_active true (a)", "activate"),
        PaletteCommand("Deactivate model", "PATCH is_active false; handles the default (d)",
                       "deactivate"),
        PaletteCommand("Make default", "Promote the model; demotes the others (m)",
                       "make_default"),
        PaletteCommand("Edit model", "Name and weighting, validated before sending (e)", "edit"),
        PaletteCommand("New model", "Create a model (n)", "new"),
        PaletteCommand("Delete model", "Backed up first, typed confirmation (x)", "delete"),
        PaletteCommand("Filter audit by action", "Cycle the audit filter (f)", "audit_filter"),
        PaletteCommand("Snapshots window 24 h / 7 d", "Toggle the window (w)", "window"),
    ),
)
