"""The console's one text box: the keyboard can always leave it.

Letters and digits are typed into a text box, not taken as the screen's keys, so while it has
focus the footer shows Esc "Leave input" (onto the next widget that is not a text box, where
letters are keys again) and ctrl+q "Quit" (q is typed here). Jobs' form and log filter and
Journeys' ids use it; dialogs keep plain Inputs, where Esc cancels the dialog.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import Input


class TextBox(Input):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Leave input"),
        Binding("ctrl+q", "app.quit", "Quit", priority=True),  # shown over the app's hidden one
    ]

    def action_leave(self) -> None:
        screen = self.screen
        for _ in screen.focus_chain:
            if not isinstance(screen.focus_next(), Input):
                return
