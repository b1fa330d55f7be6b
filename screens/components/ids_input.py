"""An Input for lists of ids: a pasted column keeps every line, joined by spaces."""

from __future__ import annotations

from textual import events
from textual.widgets import Input


class IdsInput(Input):
    """Input keeps only the first line of a paste; this keeps them all."""

    def on_paste(self, event: events.Paste) -> None:
        # prevent_default stops the dispatch before Input's own paste handler (the next class in
        # the MRO), which would insert the first line a second time.
        event.prevent_default()
        if event.text:
            self.insert_text_at_cursor(" ".join(event.text.split()))
        event.stop()
