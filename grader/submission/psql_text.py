"""Pasted text addressed the way a terminal shows it: by display column.

psql pads cells to their display width, so a column of `東京` is two characters
but four columns wide. Column boundaries found on a separator line are display
columns; every other line must be read through the same coordinates.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_left

BARS = frozenset("|│║┃")  # a column rule on a header or data line
DASHES = frozenset("-─═━")  # the rule under the header
JUNCTIONS = frozenset("+┼╪╫╬┬┴╤╥╦╧╨╩├┤╞╡╟╢╠╣┌┐╒╕╓╖╔╗└┘╘╛╙╜╚╝")
NEWLINE_MARKS = frozenset("+↵")  # the cell goes on after a newline in the value
WRAP_MARKS = frozenset(".…")  # the cell was wrapped to fit the terminal
MARKS = NEWLINE_MARKS | WRAP_MARKS
OLD_MARKS = {":": "\n", ";": ""}  # linestyle old-ascii marks the continuing line instead


def split_lines(text: str) -> list[str]:
    """Lines of `text` with any line-end convention; a trailing line end adds no line.

    A paste indented as a whole (inside a list item, say) loses the common indentation:
    psql starts its rules and record heads in the first column.
    """
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    indent = None
    for line in lines:
        if line.strip():
            depth = len(line) - len(line.lstrip(" "))
            indent = depth if indent is None else min(indent, depth)
            if not indent:
                return lines
    return [line[indent:] for line in lines] if indent else lines


def _measure(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


class _Widths(dict[str, int]):
    """A cache looked up from C (`map(cache.__getitem__, line)`), bounded against junk."""

    def __missing__(self, ch: str) -> int:
        width = _measure(ch)
        if len(self) < 65536:
            self[ch] = width
        return width


_WIDTHS = _Widths()


def char_width(ch: str) -> int:
    """Columns a character takes in a terminal, as psql counts them."""
    return _WIDTHS[ch]


_ASCII = frozenset(map(chr, range(128)))
_FILL = "\U0010ffff"  # stands for the second column of a wide character


class Columns:
    """One line, sliced and indexed by display column.

    Most lines are laid out as a grid, one character per column (wide characters
    followed by a filler), so columns are string indexes. Lines with combining marks
    keep each character's first column and are searched instead.
    """

    __slots__ = ("_grid", "_starts", "_wide", "text", "width")

    def __init__(self, text: str) -> None:
        self.text = text
        self._grid: str | None = text
        self._wide = False
        self._starts: list[int] = []
        self.width = len(text)
        if text.isascii():
            return
        odd = {c for c in set(text) - _ASCII if _WIDTHS[c] != 1}
        if not odd:
            return
        if _FILL not in text and all(_WIDTHS[c] == 2 for c in odd):
            self._grid = text.translate({ord(c): c + _FILL for c in odd})
            self._wide = True
            self.width = len(self._grid)
            return
        self._grid = None
        col = 0
        previous = 0
        for w in map(_WIDTHS.__getitem__, text):
            if w == 0:
                self._starts.append(previous)  # a combining mark belongs to the column before
            else:
                self._starts.append(col)
                previous = col
                col += w
        self.width = col

    @property
    def grid(self) -> str | None:
        """The line with one character per column, or None if combining marks prevent it."""
        return self._grid

    def ungrid(self, piece: str) -> str:
        """Text cut from `grid`, without its fillers."""
        return piece.replace(_FILL, "") if self._wide else piece

    def ungrid_all(self, pieces: tuple[str, ...]) -> tuple[str, ...]:
        """Trimmed texts cut from `grid`, without their fillers."""
        if self._wide:
            return tuple(piece.replace(_FILL, "").strip() for piece in pieces)
        return tuple(map(str.strip, pieces))

    def at(self, col: int) -> str:
        """The character starting at `col`; a space past the end or inside a wide character."""
        if self._grid is not None:
            ch = self._grid[col] if 0 <= col < len(self._grid) else " "
            return " " if ch == _FILL else ch
        i = bisect_left(self._starts, col)
        if i < len(self.text) and self._starts[i] == col:
            return self.text[i]
        return " "

    def slice(self, start: int, end: int | None = None) -> str:
        """Characters whose first column lies in [start, end)."""
        start = max(start, 0)
        if self._grid is not None:
            return self.ungrid(self._grid[start:end])
        i = bisect_left(self._starts, start)
        j = len(self.text) if end is None else bisect_left(self._starts, end)
        return self.text[i:j]

    def positions(self, chars: frozenset[str]) -> list[int]:
        """Display columns of every character in `chars`."""
        if self._grid is not None:
            return [i for i, ch in enumerate(self._grid) if ch in chars]
        return [self._starts[i] for i, ch in enumerate(self.text) if ch in chars]


def join_piece(cell: str, joiner: str, piece: str) -> str:
    """Append one physical line's share of a cell to what came before it."""
    if joiner == "\n":
        return cell.rstrip() + "\n" + piece
    # psql pads a wrapped line by one column when the next character is too wide to fit
    if cell.endswith(" ") and piece and char_width(piece[0]) == 2:
        cell = cell[:-1]
    return cell + piece


def tidy(cell: str) -> str:
    """A cell as the grader compares it: each line right-trimmed, the whole trimmed."""
    if "\n" not in cell:
        return cell.strip()
    return "\n".join(part.rstrip() for part in cell.split("\n")).strip()
