"""A text box for lists of ids: a pasted column keeps every line, joined by spaces."""

from __future__ import annotations

from textual import events

from screens.components.text_box import TextBox


class IdsInput(TextBox):
    """Input keeps only the first line of a paste; this keeps them all."""

    def type_into(self, text: str) -> None:
        """Start the value with `text` and take focus at once, the cursor after it (no select-all:
        the next key a fast typist presses must add to it, not replace it)."""
        self.value = text
        self.cursor_position = len(text)
        self.select_on_focus = False
        self.screen.set_focus(self)

    def _on_blur(self, event: events.Blur) -> None:
        # Textual runs Input's own handler too (one per class in the MRO): no super() call.
        self.select_on_focus = True  # type_into's exception ends with its focus

    def on_paste(self, event: events.Paste) -> None:
        # prevent_default stops the dispatch before Input's own paste handler (the next class in
        # the MRO), which would insert the first line a second time.
        event.prevent_default()
        if event.text:
            self.insert_text_at_cursor(" ".join(event.text.split()))
        event.stop()
