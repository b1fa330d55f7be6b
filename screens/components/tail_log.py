"""A followed job's output: the newest lines of a flood, drawn at the cost of one screenful.

A job can print 50k lines a second. A `RichLog` renders every line written to it, so following a
flood either starves the keys or skips lines. `TailLog` keeps the newest `max_lines` line events
in a ring and renders only the rows on screen, when they are painted (Textual's Line API): a
batch costs an append and a repaint coalesced to one per frame, whatever its size, and every
line kept can be scrolled back to. The Jobs screen's Live tab and the Rollback screen share it.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from attribtui.services.jobs import parse

LOG_WIDTH = 400  # cells kept per line on screen (the files keep whole lines)
GAP = "gap"  # the kind of the view's own line standing for lines it never received
STYLE: Mapping[str, str] = MappingProxyType({
    parse.NOISE: "dim", parse.FATAL: "bold red", parse.ITEM_ERROR: "red",
    parse.ERROR_HEADER: "bold red", parse.HTML: "bold magenta", parse.SKIP: "bold yellow",
    parse.DONE: "bold green", parse.META: "cyan", parse.PROGRESS: "green", GAP: "dim italic"})
PREFIX: Mapping[str, str] = MappingProxyType({
    parse.NOISE: "  ", parse.FATAL: "✖ ", parse.ITEM_ERROR: "✖ ", parse.ERROR_HEADER: "✖ ",
    parse.HTML: "▲ ", parse.SKIP: "▲ ", parse.DONE: "✔ "})
_KIND_STYLE = {kind: Style.parse(style) for kind, style in STYLE.items()}
_CONTROL = re.compile("[\x00-\x1f\x7f]")  # never sent to the terminal (a job's own escapes)


def shown_text(ev: parse.LineEvent) -> str:
    """A line as shown: `!` marks stderr, a symbol marks errors and outcomes; no control codes,
    tabs expanded, at most LOG_WIDTH characters."""
    mark = "!" if ev.stream == "stderr" else " "
    text = ev.text[:LOG_WIDTH]
    if not text.isprintable():
        text = _CONTROL.sub("\ufffd", text.expandtabs())
    return f"{mark}{PREFIX.get(ev.kind, '  ')}{text}"


def _cells(ev: parse.LineEvent) -> int:
    """Cells the shown line takes (cheap for ASCII, the usual case)."""
    text = ev.text
    n = len(text) if text.isascii() else cell_len(text)
    return min(n, LOG_WIDTH) + 3


class TailLog(ScrollView, can_focus=True):
    """The newest `max_lines` lines; stays on the newest while at the end, else keeps the lines
    being read in view (End goes back to the newest). Lines are never wrapped."""

    DEFAULT_CSS = """
    TailLog {
        background: $surface;
        color: $foreground;
        overflow-y: scroll;
        &:focus {
            background-tint: $foreground 5%;
        }
    }
    """

    def __init__(self, max_lines: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.max_lines = max_lines
        self._events: deque[parse.LineEvent] = deque(maxlen=max_lines)
        self._first = 0  # the number of the oldest line kept, counted since the last clear
        self._width = 0
        self._strips: LRUCache[int, Strip] = LRUCache(256)  # by line number: a few screenfuls

    @property
    def events(self) -> tuple[parse.LineEvent, ...]:
        """The lines kept, oldest first."""
        return tuple(self._events)

    @property
    def texts(self) -> list[str]:
        """The lines kept, as shown."""
        return [shown_text(ev) for ev in self._events]

    def clear(self) -> None:
        self._events.clear()
        self._first = self._width = 0
        self._strips.clear()
        self.virtual_size = Size(0, 0)
        self.scroll_to(0, 0, animate=False, immediate=True)
        self.refresh()

    def extend(self, events: Iterable[parse.LineEvent], gap: int = 0) -> None:
        """Append lines. gap: lines between the kept ones and these that never reached the view
        (the log files hold them); a line says so, unless none of the older lines stays."""
        new = list(events)[-self.max_lines:]
        if gap and self._events and len(new) < self.max_lines:
            new.insert(0, parse.LineEvent("", f"… {gap:,} lines not received here (all in the "
                                              "log files)", 0.0, GAP))
        if not new:
            return
        at_end = self.is_vertical_scroll_end and not self.is_vertical_scrollbar_grabbed
        before = len(self._events)
        self._events.extend(new)
        dropped = before + len(new) - len(self._events)
        self._first += dropped
        self._width = max(self._width, max(map(_cells, new)))
        self.virtual_size = Size(self._width, len(self._events))
        if at_end:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        elif dropped:  # the rows moved up: keep the lines being read where they were
            self.scroll_to(y=max(0, self.scroll_offset.y - dropped), animate=False,
                           immediate=True)
        self.refresh()

    def action_scroll_home(self) -> None:
        """No animation: over SSH it is only slower."""
        self.scroll_home(animate=False)

    def action_scroll_end(self) -> None:
        self.scroll_end(animate=False)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def render_line(self, y: int) -> Strip:
        """Only the rows on screen are rendered, each once while it stays in the cache."""
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        index = scroll_y + y
        if index >= len(self._events):
            return Strip.blank(width, base)
        number = self._first + index
        strip = self._strips.get(number)
        if strip is None:
            ev = self._events[index]
            kind = _KIND_STYLE.get(ev.kind)
            text = shown_text(ev)
            strip = Strip([Segment(text, base + kind if kind else base)], cell_len(text))
            self._strips[number] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, base)
