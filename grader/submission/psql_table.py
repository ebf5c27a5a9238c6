"""Reading one aligned table, from the rule under its header to its footer."""

from __future__ import annotations

from collections.abc import Sequence

from grader.submission import psql_lines as pl
from grader.submission.psql_aligned import (
    Body,
    Layout,
    continues_header,
    header_fits,
    header_names,
    layout_for,
    scan_body,
)
from grader.submission.psql_items import PastedPlan, PastedTable, Read
from grader.submission.psql_text import (
    BARS,
    MARKS,
    OLD_MARKS,
    WRAP_MARKS,
    Columns,
    join_piece,
    tidy,
)

_TALLEST_HEADER = 50
_JOINERS = {"+": "\n", "↵": "\n", ".": "", "…": ""}


def read_aligned(lines: list[str], at: int, floor: int) -> Read | None:
    """The table whose header rule is line `at`, if the lines around it make one."""
    rule = pl.rule(lines[at])
    if rule is None or at - 1 < floor or pl.is_blank(lines[at - 1]):
        return None
    header = Columns(lines[at - 1])
    lay = layout_for(rule, header)
    if lay is None or not header_fits(header, lay, rule.width):
        return None
    if lay.border == 1 and len(lay.slots) == 1 and _unpadded(header, lines, at + 1):
        lay = Layout(0, lay.slots, (), False)
    top = at - 1
    while (
        top - 1 >= floor
        and at - top < _TALLEST_HEADER
        and continues_header(Columns(lines[top - 1]), Columns(lines[top]), lay, rule.width)
    ):
        top -= 1
    body = scan_body(lines, at + 1, lay)
    names = header_names(lines[top:at], lay)
    cells = _assemble(lines, body, lay, [Columns(t).width for t in lines[top:at]])
    if names == ("QUERY PLAN",):
        plan = [part.rstrip() for row in cells for part in row[0].split("\n")]
        while plan and not plan[-1]:
            plan.pop()
        return Read(PastedPlan(tuple(plan), top), top, body.end)
    rows = tuple(row if isinstance(row, tuple) else tuple(map(tidy, row)) for row in cells)
    return Read(PastedTable(names, rows, body.footer, top, "aligned"), top, body.end)


def _unpadded(header: Columns, lines: list[str], first: int) -> bool:
    """A one-column table printed with border 0: nothing pads the column on the left."""
    if header.text[0] != " ":
        return True
    if first >= len(lines) or pl.is_blank(lines[first]) or pl.footer(lines[first]) is not None:
        return False
    lead = lines[first][0]
    return lead != " " and lead not in WRAP_MARKS


def _assemble(
    lines: list[str], body: Body, lay: Layout, header_widths: list[int]
) -> list[Sequence[str]]:
    """Physical lines grouped into rows, each cell's lines joined.

    A row read from a single plain line is a tuple of trimmed cells; any other row is a
    list of cells not yet trimmed.
    """
    last = len(lay.slots) - 1
    widths = [line.width for line in body.lines if line.width and line.kind != "loose"]
    mark_col, trusted = _last_mark(lay, widths, header_widths)
    rows = _Rows(len(lay.slots))
    for k, line in enumerate(body.lines):
        cols = line.cols
        if line.cells is not None:
            if not rows.open() and line.cells[last][-1:] not in MARKS:
                rows.complete(line.cells)
                continue
            cols = Columns(lines[line.at])
        if cols is None:
            if line.kind == "skip":
                rows.skip()
            else:
                rows.blank()
            continue
        if line.kind == "loose":
            rows.complete(_split_loose(cols.text, lay))
            continue
        texts, marks, starts = lay.cut(cols)
        if lay.border != 2:  # the last column is open: is its last character a mark?
            following = body.lines[k + 1].kind if k + 1 < len(body.lines) else None
            is_mark = cols.width == mark_col + 1 and cols.at(mark_col) in MARKS
            if is_mark and (trusted or following in ("exact", "old", "plain", "blank")):
                texts[last], marks[last] = cols.slice(starts[last], mark_col), cols.at(mark_col)
            else:
                texts[last], marks[last] = cols.slice(starts[last]), " "
        if line.kind != "old":
            rows.add(texts, marks)
            continue
        if rows.reopen():  # old-ascii marks a row complete until its next line says otherwise
            rows.before = lay.cut(Columns(lines[body.lines[k - 1].at]))[0]
        leads = [OLD_MARKS.get(cols.at(start - 1)) for start, _ in lay.slots]
        rows.add(texts, marks, leads)
    return rows.rows


class _Rows:
    """Rows being built: a line continues the row above when a mark says so, either at
    the end of the line above or (old-ascii) at the start of this one."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.rows: list[Sequence[str]] = []
        self.current: list[str] | None = None  # the row still open to continuation
        self.pending: list[str | None] = [None] * count  # joiners the line above asked for
        self.before = [""] * count  # the line above's share of each cell

    def open(self) -> bool:
        return any(joiner is not None for joiner in self.pending)

    def complete(self, cells: Sequence[str]) -> None:
        self.rows.append(cells)
        self.current, self.pending = None, [None] * self.count

    def skip(self) -> None:
        self.current, self.pending = None, [None] * self.count

    def blank(self) -> None:
        """An empty line: the trimmed end of a cell that ended in a newline, or an empty row."""
        if self.current is not None and self.open():
            for j, joiner in enumerate(self.pending):
                if joiner is not None:
                    self.current[j] = join_piece(self.current[j], joiner, "")
        else:
            self.current = [""] * self.count
            self.rows.append(self.current)
        self.pending = [None] * self.count

    def reopen(self) -> bool:
        """Make the last complete row open again; whether there was one to reopen."""
        if self.current is not None or not self.rows:
            return False
        self.current = list(self.rows[-1])
        self.rows[-1] = self.current
        return True

    def add(
        self, texts: list[str], marks: list[str], leads: list[str | None] | None = None
    ) -> None:
        current = self.current
        if current is not None and (self.open() or leads is not None):
            for j in range(self.count):
                joiner = self.pending[j]
                if joiner is None and leads is not None:
                    joiner = leads[j]
                if joiner is None and texts[j].strip():
                    # no mark (old-ascii's first column, or lost in the paste): a line
                    # that filled its column was wrapped, a shorter one ended
                    joiner = "" if self.before[j][-1:] not in ("", " ") else "\n"
                if joiner is not None:
                    current[j] = join_piece(current[j], joiner, texts[j])
        else:
            self.current = texts
            self.rows.append(texts)
        self.pending = [_JOINERS.get(mark) for mark in marks]
        self.before = texts


def _last_mark(lay: Layout, widths: list[int], header_widths: list[int]) -> tuple[int, bool]:
    """Column of the last column's mark, and whether psql's own rule placed it.

    psql pads the last column only to print a mark, so marked lines are the widest.
    A rule that is wider than every line, or narrower, was not psql's: fall back on that.
    """
    trail = lay.trail(len(lay.slots) - 1)
    widest = max(widths + header_widths, default=0)
    if not lay.derived and trail <= widest <= trail + 1:
        return trail, True
    return max(widths, default=0) - 1, False


def _split_loose(text: str, lay: Layout) -> list[str]:
    """A row whose rules drifted from the header's columns: split on the rules it has."""
    parts = [text]
    for bar in BARS:
        parts = [p for part in parts for p in part.split(bar)]
    if lay.border == 2:
        parts = parts[1:-1]
    count = len(lay.slots)
    return (parts + [""] * count)[:count]
