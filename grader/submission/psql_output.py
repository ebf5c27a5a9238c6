"""Reading back what psql (or DBeaver) printed, as a student pasted it into markdown.

`parse_psql_output` walks the paste once, top to bottom, and returns what it recognises
in order: result tables (aligned, expanded, DBeaver grids, unaligned with a footer),
EXPLAIN plans, server messages and command tags. Whatever it does not recognise (the
statements a student pasted with their prompts, psql's own chatter such as "Expanded
display is on.", html / latex / asciidoc / troff / csv output) is skipped. It never
raises on any text, and its work grows linearly with the paste.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from grader.submission import psql_lines as pl
from grader.submission.psql_expanded import read_expanded
from grader.submission.psql_grid import read_grid, read_query_plan, read_unaligned
from grader.submission.psql_items import (
    PastedCommandTag,
    PastedItem,
    PastedMessage,
    PastedPlan,
    PastedTable,
    Read,
)
from grader.submission.psql_nodes import normalise_node_addresses
from grader.submission.psql_plan import read_bare_plan
from grader.submission.psql_table import read_aligned
from grader.submission.psql_text import split_lines

__all__ = [
    "PastedCommandTag",
    "PastedItem",
    "PastedMessage",
    "PastedPlan",
    "PastedTable",
    "normalise_node_addresses",
    "parse_psql_output",
]


def parse_psql_output(text: str) -> list[PastedItem]:
    """Every table, plan, message and command tag in `text`, in order of appearance.

    Line numbers in the items are 0-based offsets into `text`.
    """
    with _collector_paused():
        return _parse(split_lines(text))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Reading a big paste makes many small containers and no reference cycles; the
    cycle collector would rescan them again and again, doubling the time taken."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse(lines: list[str]) -> list[PastedItem]:
    items: list[PastedItem] = []
    floor = 0  # lines above this belong to an item already read
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip() or pl.is_prompt(line):
            i += 1
            continue
        single = None
        read = _read_structure(lines, i, floor)
        if read is None:
            single = _read_line(line, i)
            if single is None and not _heads_table(lines, i):
                read = _read_loose(lines, i)
        if read is not None:
            while items and items[-1].line >= read.start:
                items.pop()  # single lines taken for output were this table's header
            if read.item is not None:
                items.append(read.item)
            floor = i = max(read.end, i + 1)
            continue
        if single is not None:
            items.append(single)
        i += 1
    return items


def _read_structure(lines: list[str], i: int, floor: int) -> Read | None:
    """What psql's own rules, record heads and footers announce."""
    line = lines[i]
    first = line[:1]
    if first in pl.RULE_START:
        if pl.rule(line) is not None:
            return read_aligned(lines, i, floor)
        return read_expanded(lines, i)
    if first == "*":
        return read_expanded(lines, i)
    if first == "(":
        return read_unaligned(lines, i, floor)
    return None


def _read_loose(lines: list[str], i: int) -> Read | None:
    """What only the shape of the lines gives away: grids and plans without a rule."""
    line = lines[i]
    if "\t" in line:
        return read_grid(lines, i)
    return read_query_plan(lines, i) or read_bare_plan(lines, i)


def _read_line(line: str, i: int) -> PastedItem | None:
    found = pl.message(line)
    if found is not None:
        return PastedMessage(found[0], found[1], i)
    tag = pl.command_tag(line)
    if tag is not None:
        return PastedCommandTag(tag, i)
    return None


def _heads_table(lines: list[str], i: int) -> bool:
    """Line i is the header of an aligned table: leave it for the rule below it."""
    return i + 1 < len(lines) and pl.rule(lines[i + 1]) is not None
