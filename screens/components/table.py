"""A table read row by row: columns that fit the width (long cells wrap, never cut), Home and End
go to the first and last row (not sideways), Enter selects the row (RowSelected).

Health's evidence, the Models table and its audit and snapshot tabs, and the Jobs history use it,
so every table of the console reads and moves the same way."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

MIN_COLUMN = 8  # a column narrower than this wraps too often to read
MAX_WORD = 32  # a longer word (a path, a JSON blob) may wrap inside itself
GAP = 2  # DataTable's cell padding, one each side
SCROLLBAR = 2  # a vertical scroll bar's width: the room a table fitting itself leaves for it

Shown = tuple[Sequence[str], Sequence[Sequence[object]], Sequence[str] | None]  # cols, rows, keys


def fit(natural: Sequence[int], floor: Sequence[int], width: int) -> list[int]:
    """Column widths summing (with padding) to at most width: the widest column gives a
    character at a time, none below its floor (its longest word, so a time or an id stays
    whole); when even the floors do not fit, the table scrolls sideways."""
    widths = list(natural)
    room = width - GAP * len(widths)
    while sum(widths) > room:
        shrinkable = [i for i, w in enumerate(widths) if w > floor[i]]
        if not shrinkable:
            break
        widths[max(shrinkable, key=lambda i: widths[i])] -= 1
    return widths


def _floor(texts: Sequence[str]) -> int:
    words = [len(w) for t in texts for w in t.split()] or [0]
    return max(1, min(max(words), MAX_WORD), min(MIN_COLUMN, max(len(t) for t in texts)))


class RowTable(DataTable[Text]):
    BINDINGS = [
        Binding("home", "first_row", "First row", show=False),
        Binding("end", "last_row", "Last row", show=False),
    ]

    def __init__(self, *, id: str | None = None,  # noqa: A002 - Textual's name
                 keep_cursor: bool = False) -> None:
        """keep_cursor: the cursor shows without focus too, where it marks the row the screen's
        keys act on (the selected model); otherwise it shows where Enter acts, only while it can."""
        super().__init__(id=id, cursor_type="row", show_cursor=keep_cursor)
        self.keep_cursor = keep_cursor
        self._content: Shown = ((), (), None)  # what show_rows shows, to fit it again
        self._fitted: int | None = None  # the room the rows fit; None: the caller's own width

    def on_focus(self) -> None:
        self.show_cursor = True

    def on_blur(self) -> None:
        self.show_cursor = self.keep_cursor

    def room(self) -> int:
        """The table's width less a scroll bar's (the screen's before the first layout)."""
        return max(MIN_COLUMN, (self.size.width or self.app.size.width) - SCROLLBAR)

    def on_resize(self) -> None:
        """A table fitted to its own width fits again when that changes, its cursor kept."""
        if self._fitted is not None and self.room() != self._fitted:
            row = self.cursor_row
            self.show_rows(*self._content[:2], keys=self._content[2])
            if self.row_count:
                self.move_cursor(row=min(row, self.row_count - 1))

    def show_rows(self, columns: Sequence[str], rows: Sequence[Sequence[object]],
                  width: int | None = None, *, keys: Sequence[str] | None = None) -> None:
        """Replace the content: columns fitted to width (the table's own room when None, again on
        every resize), each row as tall as its longest cell; keys name the rows (RowKey)."""
        self._content = (columns, rows, keys)
        self._fitted = None if width else self.room()
        width = width or self.room()
        self.clear(columns=True)
        cells = [["" if v is None else str(v) for v in row] for row in rows]
        texts = [[c, *(r[i] for r in cells if i < len(r))] for i, c in enumerate(columns)]
        natural = [max(len(line) for t in col for line in t.split("\n")) for col in texts]
        floors = [_floor(col) for col in texts]
        names: list[str | None] = [*keys] if keys is not None else [None] * len(cells)
        if sum(floors) + GAP * len(floors) > width:  # too narrow for the columns: a card a row
            self._show_cards(columns, cells, width, names)
            return
        widths = fit(natural, floors, width)
        self.header_height = self._height([Text(c) for c in columns], widths)
        for label, w in zip(columns, widths, strict=True):
            self.add_column(Text(label, overflow="fold"), width=w)
        for row, key in zip(cells, names, strict=True):
            texts_ = [Text(v, overflow="fold") for v in row]
            self.add_row(*texts_, height=self._height(texts_, widths), key=key)

    def _show_cards(self, columns: Sequence[str], cells: list[list[str]], width: int,
                    keys: list[str | None]) -> None:
        """Each row as `column: value` lines in one cell, so nothing hides off to the side."""
        self.header_height = 1
        self.add_column(Text(f"{len(cells)} row(s), one column a line"), width=width - GAP)
        pad = max(len(c) for c in columns)
        for row, key in zip(cells, keys, strict=True):
            card = Text(overflow="fold")
            for i, (c, v) in enumerate(zip(columns, row, strict=False)):
                card.append(f"{c:>{pad}} ", style="bold")
                card.append(v + ("\n" if i < len(row) - 1 else ""))
            self.add_row(card, height=self._height([card], [width - GAP]), key=key)

    def _height(self, cells: Sequence[Text], widths: Sequence[int]) -> int:
        """Lines of the tallest cell, wrapped to its column. Measured here rather than with
        DataTable's height=None, which measures on idle and can paint a stale, blank row."""
        console = self.app.console
        return max([1, *(len(t.wrap(console, max(1, w))) for t, w in zip(cells, widths,
                                                                        strict=False))])

    def action_first_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=0)

    def action_last_row(self) -> None:
        if self.row_count:
            self.move_cursor(row=self.row_count - 1)
