"""The console's one checkbox: its state reads without colour (NO_COLOR), `[X]` on, `[ ]` off.

Textual draws `▐X▌` either way and tells on from off by colour alone; every checkbox of the
console is a Toggle (a test keeps it so), so they all read the same way.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox

ON, OFF = "[X]", "[ ]"  # as wide as Textual's button, which sizes the widget


class Toggle(Checkbox):
    def render(self) -> Content:
        button = Content.styled(ON if self.value else OFF,
                                self.get_visual_style("toggle--button"))
        label = self.label.pad(1, 1).stylize_before(self.get_visual_style("toggle--label"))
        return Content.assemble(button, label)
