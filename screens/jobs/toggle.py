"""A checkbox whose state reads without colour (NO_COLOR): `X` when on, a blank when off."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox


class Toggle(Checkbox):
    """Textual draws the same `X` either way and tells on from off by colour alone."""

    def render(self) -> Content:
        self.BUTTON_INNER = "X" if self.value else " "
        return super().render()
