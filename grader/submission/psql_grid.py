"""Delimited result sets: DBeaver's tab-separated copy, and psql's unaligned format.

Neither has a rule to anchor on, so both are read only when their shape is unmistakable:
the same number of fields on every line, and for unaligned output a `(N rows)` footer
that counts them.
"""

from __future__ import annotations

import re

from grader.submission import psql_lines as pl
from grader.submission.psql_items import PastedPlan, PastedTable, Read

_NAME = re.compile(r"^[A-Za-z_?#][\w ?#$.()-]*$")
_NULL = "[NULL]"  # how DBeaver's grid spells NULL


def read_grid(lines: list[str], at: int) -> Read | None:
    """A DBeaver grid copied with its header: tab-separated names, then tab-separated rows."""
    header = [_unquote(f) for f in lines[at].split("\t")]
    width = len(header)
    # a grid names every column (tab-indented SQL has empty leading fields), but
    # "Advanced copy" heads its row numbers with nothing or "#"
    numbered = header[0] in ("", "#")
    if width < 2 or not all(header[1:]):
        return None
    rows: list[list[str | None]] = []
    i = at + 1
    while i < len(lines) and lines[i].count("\t") == width - 1 and not pl.is_blank(lines[i]):
        fields = lines[i].split("\t")
        if numbered and fields[0].strip() != str(len(rows) + 1):
            return None
        rows.append([None if f == _NULL else _unquote(f) for f in fields])
        i += 1
    if numbered:
        if not rows:
            return None
        header = header[1:]
        rows = [row[1:] for row in rows]
    if not rows and not all(_NAME.match(name) for name in header):
        return None
    table = PastedTable(tuple(header), tuple(tuple(row) for row in rows), None, at, "dbeaver")
    return Read(table, at, i)


def read_query_plan(lines: list[str], at: int) -> Read | None:
    """A plan copied from a grid: the line "QUERY PLAN", then the plan's lines."""
    if lines[at].strip() != "QUERY PLAN":
        return None
    i = at + 1
    while i < len(lines) and not pl.is_blank(lines[i]) and pl.footer(lines[i]) is None:
        if pl.rule(lines[i]) is not None or pl.message(lines[i]) is not None:
            break
        i += 1
    plan = tuple(text.rstrip() for text in lines[at + 1 : i])
    if not plan:
        return None
    if i < len(lines) and pl.footer(lines[i]) is not None:
        i += 1
    return Read(PastedPlan(plan, at), at, i)


def read_unaligned(lines: list[str], footer_at: int, floor: int) -> Read | None:
    """`\\pset format unaligned` output, read back from its footer."""
    count = pl.footer(lines[footer_at])
    start = footer_at - (count or 0) - 1
    if count is None or start < floor:
        return None
    block = lines[start:footer_at]
    bars = block[-1].count("|")
    # from the footer up: a mismatch is met before any line an earlier footer counted
    if bars == 0 or any(pl.is_blank(t) or t.count("|") != bars for t in reversed(block)):
        return None
    if any(pl.is_prompt(t) or pl.message(t) is not None for t in block):
        return None
    names = tuple(block[0].split("|"))
    rows = tuple(tuple(t.split("|")) for t in block[1:])
    return Read(PastedTable(names, rows, count, start, "unaligned"), start, footer_at + 1)


def _unquote(field: str) -> str:
    field = field.strip()
    if len(field) >= 2 and field[0] == field[-1] == '"':
        return field[1:-1].replace('""', '"')
    return field
