"""psql's expanded display (`\\x`, `\\gx`): one `-[ RECORD n ]` block per row.

Every line of a block is a name slot, a rule (or, border 0, a space), then the value.
The name slot is as wide as the longest column name in the whole result, so the rule
sits in the same display column on every line; that column is found once per result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from grader.submission import psql_lines as pl
from grader.submission.psql_items import PastedPlan, PastedTable, Read
from grader.submission.psql_text import (
    BARS,
    MARKS,
    NEWLINE_MARKS,
    OLD_MARKS,
    WRAP_MARKS,
    Columns,
    join_piece,
    tidy,
)

_HEAD = re.compile(
    r"^(?P<frame>[+┌╔╒╓├╠╞╟]?)[-─═━]\[ RECORD (?P<n>\d+) \]"
    r"(?P<rest>[-─═━+┬┼╦╤╥╪╫╬┐╗╕╖┤╣╡╢]*)$"
)
_HEAD0 = re.compile(r"^\* Record (?P<n>\d+)$")
_RULES = BARS | frozenset(OLD_MARKS)
_GAP = MARKS | {" "}
_NAME_WIDTH = 200  # border 0 has no rule; look for its gap no further than this


@dataclass(frozen=True)
class Head:
    number: int
    border: int
    divider: int | None  # column of the name/value rule when the head line shows it
    width: int | None  # border 1 head padded to the table's width: marked lines are one wider


def record_head(line: str) -> Head | None:
    text = line.rstrip()
    m = _HEAD0.match(text)
    if m:
        return Head(int(m.group("n")), 0, None, None)
    m = _HEAD.match(text)
    if m is None:
        return None
    border = 2 if m.group("frame") else 1
    rest = m.group("rest")
    offset = m.start("rest")
    junction = next((k for k, ch in enumerate(rest) if ch not in "-─═━"), None)
    if border == 2 and junction == len(rest) - 1:
        junction = None  # only the frame's corner
    divider = None if junction is None else offset + junction
    width = len(text) if border == 1 and rest else None
    return Head(int(m.group("n")), border, divider, width)


def read_expanded(lines: list[str], at: int) -> Read | None:
    head = record_head(lines[at])
    if head is None:
        return None
    first = head
    records: list[list[int]] = []
    i = at
    while True:
        i, record = _record_lines(lines, i + 1, head.border)
        records.append(record)
        j = i
        while j < len(lines) and pl.is_blank(lines[j]):
            j += 1
        following = record_head(lines[j]) if j < len(lines) else None
        if following is None or following.number != head.number + 1:
            break
        if following.border != head.border:
            break
        head, i = following, j
    if i < len(lines) and head.border == 2 and pl.rule(lines[i]) is not None:
        i += 1
    count = pl.footer(lines[i]) if i < len(lines) else None
    end = i + 1 if count is not None else i
    parsed = {k: Columns(lines[k]) for rec in records for k in rec if not pl.is_blank(lines[k])}
    divider = first.divider if first.divider is not None else _find_divider(parsed, first.border)
    if divider is None:
        return Read(None, at, end)
    fields = [_fields(rec, parsed, first, divider) for rec in records]
    if not fields[0]:
        return Read(None, at, end)
    names = tuple(name for name, _ in fields[0])
    if names == ("QUERY PLAN",):
        plan = [part.rstrip() for rec in fields for _, v in rec for part in v.split("\n")]
        return Read(PastedPlan(tuple(p for p in plan if p), at), at, end)
    rows = tuple(
        tuple(([tidy(v) for _, v in rec] + [""] * len(names))[: len(names)]) for rec in fields
    )
    return Read(PastedTable(names, rows, count, at, "expanded"), at, end)


def _record_lines(lines: list[str], i: int, border: int) -> tuple[int, list[int]]:
    record: list[int] = []
    while i < len(lines):
        text = lines[i]
        if pl.is_blank(text):
            # a value ending in a newline leaves an empty last line, which a paste trims
            if record and lines[record[-1]].rstrip()[-1:] in NEWLINE_MARKS:
                record.append(i)
                i += 1
                continue
            break
        if record_head(text) is not None or pl.rule(text) is not None:
            break
        if pl.footer(text) is not None or pl.is_prompt(text) or pl.message(text) is not None:
            break
        if border and not any(ch in _RULES for ch in text):
            break
        record.append(i)
        i += 1
    return i, record


def _find_divider(parsed: dict[int, Columns], border: int) -> int | None:
    if not parsed:
        return None
    if border == 0:
        limit = min(_NAME_WIDTH, max(c.width for c in parsed.values()))
        return next(
            (col for col in range(1, limit) if all(c.at(col) in _GAP for c in parsed.values())),
            None,
        )
    common: set[int] | None = None
    for cols in parsed.values():
        found = set(cols.positions(_RULES))
        common = found if common is None else common & found
    candidates = sorted(p for p in common or () if p > 0)
    return candidates[0] if candidates else None


def _fields(
    record: list[int], parsed: dict[int, Columns], head: Head, divider: int
) -> list[tuple[str, str]]:
    """(name, value) of each field of one record, values not yet trimmed."""
    border = head.border
    name_start = 2 if border == 2 else 0
    name_mark = divider if border == 0 else divider - 1
    value_start = divider + 2
    if border == 0 and not all(c.at(divider + 1) in _GAP for c in parsed.values()):
        value_start = divider + 1  # no name is multi-line, so psql left out the mark column
    widths = [parsed[k].width for k in record if k in parsed]
    widest = max(widths, default=0)
    trusted = head.width is not None and widest <= head.width + 1
    mark_width = head.width + 1 if trusted and head.width is not None else widest
    fields: list[list[str]] = []
    name_open = False
    pending: str | None = None
    for n, k in enumerate(record):
        cols = parsed.get(k)
        if cols is None:  # a trimmed empty last line of a value
            if fields and pending is not None:
                fields[-1][1] = join_piece(fields[-1][1], pending, "")
            pending = None
            continue
        raw_name = cols.slice(name_start, name_mark)
        old_name = border == 1 and raw_name.startswith("+")  # old-ascii's name continuation
        name = raw_name[1:].strip() if old_name else raw_name.strip()
        if border == 2:
            value_end = cols.width - 2
            mark = cols.at(value_end)
        else:
            following = record[n + 1] if n + 1 < len(record) else None
            continued = following is not None and (
                following not in parsed
                or cols.at(name_mark) in NEWLINE_MARKS
                or not parsed[following].slice(name_start, name_mark).strip()
            )
            is_mark = cols.width == mark_width and cols.text[-1] in MARKS
            is_mark = is_mark and (trusted or continued)
            value_end = cols.width - 1 if is_mark else cols.width
            mark = cols.text[-1] if is_mark else " "
        value = cols.slice(value_start, value_end)
        lead = OLD_MARKS.get(cols.at(divider)) if border else None
        if not fields or (name and not name_open and not old_name):
            fields.append([name, value])
        else:
            if name_open or old_name:
                fields[-1][0] += "\n" + name
            joiner = pending if pending is not None else lead
            if border == 0 and joiner == "" and value[:1] in WRAP_MARKS:
                value = value[1:]
            if joiner is None and value.strip():
                joiner = "\n"
            if joiner is not None:
                fields[-1][1] = join_piece(fields[-1][1], joiner, value)
        name_open = cols.at(name_mark) in NEWLINE_MARKS
        pending = "\n" if mark in NEWLINE_MARKS else "" if mark in WRAP_MARKS else None
    return [(name, value) for name, value in fields]
