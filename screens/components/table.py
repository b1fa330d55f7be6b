"""A table read row by row: columns that fit the width (long cells wrap, never cut), Home and End
go to the first and last row (not sideways), Enter selects the row (RowSelected)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.widgets import DataTable

MIN_COLUMN = 8  # a column narrower than this wraps too often to read
MAX_WORD = 32  # a longer word (a path, a JSON blob) may wrap inside itself
GAP = 2  # DataTable's cell padding, one each side


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

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id, cursor_type="row", show_cursor=False)

    def on_focus(self) -> None:
        self.show_cursor = True  # the cursor shows where Enter acts, only while it can

    def on_blur(self) -> None:
        self.show_cursor = False

    def show_rows(self, columns: Sequence[str], rows: Sequence[Sequence[object]],
                  width: int) -> None:
        """Replace the content: columns fitted to width, each row as tall as its longest cell."""
        self.clear(columns=True)
        cells = [["" if v is None else str(v) for v in row] for row in rows]
        texts = [[c, *(r[i] for r in cells if i < len(r))] for i, c in enumerate(columns)]
        natural = [max(len(t) for t in col) for col in texts]
        floors = [_floor(col) for col in texts]
        if sum(floors) + GAP * len(floors) > width:  # too narrow for the columns: a card a row
            self._show_cards(columns, cells, width)
            return
        widths = fit(natural, floors, width)
        self.header_height = self._height([Text(c) for c in columns], widths)
        for label, w in zip(columns, widths, strict=True):
            self.add_column(Text(label, overflow="fold"), width=w)
        for row in cells:
            texts_ = [Text(v, overflow="fold") for v in row]
            self.add_row(*texts_, height=self._height(texts_, widths))

    def _show_cards(self, columns: Sequence[str], cells: list[list[str]], width: int) -> None:
        """Each row as `column: value` lines in one cell, so nothing hides off to the side."""
        self.header_height = 1
        self.add_column(Text(f"{len(cells)} row(s), one column a line"), width=width - GAP)
        pad = max(len(c) for c in columns)
        for row in cells:
            card = Text(overflow="fold")
            for i, (c, v) in enumerate(zip(columns, row, strict=False)):
                card.append(f"{c:>{pad}} ", style="bold")
                card.append(v + ("\n" if i < len(row) - 1 else ""))
            self.add_row(card, height=self._height([card], [width - GAP]))

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
