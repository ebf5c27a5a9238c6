"""psql's aligned tables: border 0, 1 and 2; ascii, unicode and old-ascii; aligned or wrapped.

A table is found from its rule (the dashes under the header). The rule's dash runs
give each column's slot in display columns: for border 1 and 2 a slot is a pad (or
a wrap mark), the content, then a mark (`+`/`↵` newline, `.`/`…` wrap); for border 0
the slot is the content and the mark sits just after it. Old-ascii instead marks a
continuing line with `:` / `;` in place of the column rule to the left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from grader.submission import psql_lines as pl
from grader.submission.psql_text import BARS, MARKS, NEWLINE_MARKS, OLD_MARKS, WRAP_MARKS, Columns

_OLD_JUNCTION = BARS | frozenset(OLD_MARKS) | {" "}
_GAP = MARKS | {" "}
_PADS = WRAP_MARKS | {" ", "+"}  # what may sit before a cell's text (old-ascii: "+")


@dataclass(frozen=True)
class Layout:
    border: int
    slots: tuple[tuple[int, int], ...]  # [start, end) display columns of each column
    junctions: tuple[int, ...]  # columns that hold a vertical rule on every full line
    derived: bool  # rule rewritten to plain dashes (Citus' tests): slots read off the header
    # matches a line (one character per column) with its rules in place and no mark but
    # perhaps the last column's: most lines of most tables, read in one go
    plain: re.Pattern[str] | None = None

    def trail(self, j: int) -> int:
        """Column of column j's newline / wrap mark."""
        end = self.slots[j][1]
        return end if self.border == 0 else end - 1

    def cut(self, cols: Columns) -> tuple[list[str], list[str], list[int]]:
        """Each column's text, the mark after it, and where the text starts.

        A lead that is neither pad nor wrap mark means border 0 was taken for border 1,
        so the text starts there.
        """
        texts: list[str] = []
        marks: list[str] = []
        starts: list[int] = []
        pad = 0 if self.border == 0 else 1
        if cols.grid is not None:
            line = cols.grid.ljust(self.slots[-1][1] + 2)
            for start, end in self.slots:
                first = start + pad if pad and line[start] in _PADS else start
                texts.append(cols.ungrid(line[first : end - pad]))
                marks.append(line[end - pad])
                starts.append(first)
            return texts, marks, starts
        for start, end in self.slots:
            first = start + pad if pad and cols.at(start) in _PADS else start
            texts.append(cols.slice(first, end - pad))
            marks.append(cols.at(end - pad))
            starts.append(first)
        return texts, marks, starts


def layout_for(rule: pl.Rule, header: Columns) -> Layout | None:
    if rule.edge != "middle":
        return None
    if rule.spaced:
        return Layout(0, rule.runs, (), False)
    if rule.junctions:
        border = 2 if rule.framed else 1
        plain = _plain(border, rule.runs)
        return Layout(border, rule.runs, rule.junctions, False, plain)
    bars = header.positions(BARS)
    if not bars:
        # "--" alone is an SQL comment; psql's narrowest one-column rule is "---"
        return Layout(1, rule.runs, (), False) if rule.width >= 3 else None
    starts = [0, *(b + 1 for b in bars)]
    ends = [*bars, max(header.width, rule.width)]
    slots = tuple(zip(starts, ends, strict=True))
    return Layout(1, slots, tuple(bars), True, _plain(1, slots))


@lru_cache(maxsize=256)
def _plain(border: int, slots: tuple[tuple[int, int], ...]) -> re.Pattern[str]:
    rule = "[" + re.escape("".join(sorted(BARS))) + "]"
    parts = [rule] if border == 2 else []
    for start, end in slots[:-1]:
        parts.append(f"(.{{{end - start - 1}}}) {rule}")
    start, end = slots[-1]
    parts.append(f"(.{{{end - start - 1}}}) {rule}" if border == 2 else "(.*)")
    return re.compile("^" + "".join(parts) + "$")


def _junction_chars(cols: Columns, lay: Layout) -> list[str]:
    if cols.grid is not None:
        grid = cols.grid
        return [grid[j] if j < len(grid) else " " for j in lay.junctions]
    return [cols.at(j) for j in lay.junctions]


def _gaps_open(cols: Columns, lay: Layout) -> bool:
    """Border 0: the single columns between slots hold a space or a mark."""
    return all(cols.at(start - 1) in _GAP for start, _ in lay.slots[1:])


def header_fits(cols: Columns, lay: Layout, rule_width: int) -> bool:
    text = cols.text
    if pl.is_blank(text) or text.startswith("--") or pl.is_prompt(text):
        return False
    if pl.message(text) is not None or pl.footer(text) is not None or pl.rule(text) is not None:
        return False
    if lay.border == 2 and cols.at(0) not in BARS:
        return False
    if lay.junctions:
        return all(c in BARS for c in _junction_chars(cols, lay))
    if cols.width > rule_width + 1:
        return False
    return lay.border != 0 or _gaps_open(cols, lay)


def row_kind(cols: Columns, lay: Layout) -> str | None:
    """ "exact", "old" (old-ascii continuation), "loose" (misaligned, split on rules) or None."""
    text = cols.text
    if text[0] != " " and (pl.is_prompt(text) or pl.message(text) is not None):
        return None
    if lay.junctions:
        chars = _junction_chars(cols, lay)
        framed = lay.border != 2 or (text[0] in BARS and chars[-1] in BARS)
        if framed and all(c in BARS for c in chars):
            return "exact"
        if framed and all(c in _OLD_JUNCTION for c in chars) and any(c in OLD_MARKS for c in chars):
            return "old"
        if sum(text.count(b) for b in BARS) == len(lay.junctions):
            return "loose"
        return None
    if lay.border == 0:
        return "exact" if _gaps_open(cols, lay) else None
    return "exact" if text[0] == " " or text[0] in WRAP_MARKS else None


class Line(NamedTuple):
    """One line of a table's body."""

    at: int  # index into the paste's lines
    # row_kind's kinds, "plain" (`Layout.plain` matched), "blank", "skip" (a student's "...")
    kind: str
    width: int = 0
    cols: Columns | None = None  # kept for lines that need a closer look
    cells: tuple[str, ...] | None = None  # a plain line's cells, trimmed


@dataclass
class Body:
    lines: list[Line]
    footer: int | None
    end: int  # first line after the table


def scan_body(lines: list[str], first: int, lay: Layout) -> Body:
    body: list[Line] = []
    blanks_are_rows = lay.border == 0 or len(lay.slots) == 1  # an empty row prints nothing
    i = first
    plain = lay.plain
    while i < len(lines):
        text = lines[i]
        if plain and text.isascii() and (m := plain.match(text)) and not pl.is_ellipsis(text):
            body.append(Line(i, "plain", len(text), None, tuple(map(str.strip, m.groups()))))
            i += 1
            continue
        count = pl.footer(text)
        if count is not None:
            return Body(body, count, i + 1)
        if not text.strip():
            if not blanks_are_rows:
                break
            body.append(Line(i, "blank"))
        elif pl.rule(text) is not None:
            if lay.border != 2:
                if body and body[-1].kind != "blank":
                    body.pop()  # the header of the next table, whose rule this is
                break
            i += 1  # the bottom of the frame
            count = pl.footer(lines[i]) if i < len(lines) else None
            return Body(body, count, i + 1 if count is not None else i)
        elif pl.is_ellipsis(text):
            body.append(Line(i, "skip"))
        else:
            cols = Columns(text)
            grid = cols.grid
            if plain and grid is not None and (m := plain.match(grid)):
                body.append(Line(i, "plain", cols.width, None, cols.ungrid_all(m.groups())))
                i += 1
                continue
            kind = row_kind(cols, lay)
            if kind is None:
                break
            body.append(Line(i, kind, cols.width, cols))
        i += 1
    # without a footer, a blank line more likely ends the table than holds an empty row
    blank = next((k for k, line in enumerate(body) if line.kind == "blank"), len(body))
    body = body[:blank]
    end = body[-1].at + 1 if body else first
    return Body(body, None, end)


def header_names(lines: list[str], lay: Layout) -> tuple[str, ...]:
    pieces: list[list[str]] = [[] for _ in lay.slots]
    last = len(lay.slots) - 1
    for text in lines:
        cols = Columns(text)
        texts, marks, starts = lay.cut(cols)
        if lay.border != 2 and marks[last] not in MARKS:
            texts[last] = cols.slice(starts[last])  # a paste may have trimmed the padding
        for j, piece in enumerate(texts):
            pieces[j].append(piece.strip())
    return tuple("\n".join(p).strip() for p in pieces)


def continues_header(above: Columns, below: Columns, lay: Layout, rule_width: int) -> bool:
    """Whether `above` is an earlier line of a multi-line header ending at `below`."""
    if lay.derived or not header_fits(above, lay, rule_width):
        return False
    for j, (start, _) in enumerate(lay.slots):
        if above.at(lay.trail(j)) in NEWLINE_MARKS:
            return True
        if lay.border and below.at(start) == "+":  # old-ascii marks the continuing line
            return True
    return False
