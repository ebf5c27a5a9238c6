"""Telling pasted psql output from SQL by its look, when no label or fence info says which.

Only light signals that psql itself prints are used (separator lines, row-count footers,
message prefixes, command tags); the full parse of output lives elsewhere.
"""

from __future__ import annotations

import re

_SEPARATOR = re.compile(r"^\s*[-─]+(?:[+┼][-─]+)*\s*$")
_ROW_COUNT = re.compile(r"^\s*\(\d+ rows?\)\s*$")
_MESSAGE = re.compile(
    r"^\s*(?:(?:psql:\S*\s*)?(?:ERROR|NOTICE|WARNING|HINT|DETAIL|INFO|LINE \d+|FATAL):"
    r"|INSERT 0 \d+\s*$|QUERY PLAN\b|-\[ RECORD \d+ \]|\[ RECORD \d+ \])"
)
_COMMAND_TAG = re.compile(
    r"^\s*(?:INSERT 0 \d+|UPDATE \d+|DELETE \d+|SELECT \d+|COPY \d+|"
    r"(?:CREATE|DROP|ALTER) (?:TABLE|VIEW|INDEX|FUNCTION)|BEGIN|COMMIT|ROLLBACK|SET|"
    r"PREPARE TRANSACTION|COMMIT PREPARED|ROLLBACK PREPARED|TRUNCATE TABLE)\s*$"
)
_PLAN_LINE = re.compile(r"\(cost=\d|Custom Scan \(Citus|Task Count: \d|->\s+\w")
_SQL_START = re.compile(
    r"^\s*(?:\\[a-zA-Z?!]|(?:SELECT|WITH|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|BEGIN|START|COMMIT"
    r"|ROLLBACK|ABORT|END|PREPARE|EXPLAIN|SET|RESET|SHOW|COPY|TRUNCATE|GRANT|REVOKE|VALUES|TABLE"
    r"|ANALYZE|VACUUM|CALL|DO|REFRESH|SAVEPOINT|RELEASE|LOCK)\b)",
    re.IGNORECASE,
)
_COMMENT_LINE = re.compile(r"^\s*(?:--|/\*)")


def _lines(text: str) -> list[str]:
    return [line for line in text.split("\n") if line.strip()]


def is_table_output(text: str) -> bool:
    """psql's aligned table: a header over a separator whose `+` sit under the header's `|`,
    a `(N rows)` footer, or an expanded record. Strong enough to trust outside any fence."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if _ROW_COUNT.match(line) or line.lstrip().startswith("-[ RECORD "):
            return True
        if i and _SEPARATOR.match(line) and _is_header(lines[i - 1], line):
            return True
    return False


def looks_like_output(text: str) -> bool:
    """Anything psql prints: tables, messages, command tags, plans, tab-separated grids."""
    lines = _lines(text)
    if not lines:
        return False
    if is_table_output(text) or _MESSAGE.match(lines[0]):
        return True
    code = [line for line in lines if not _COMMENT_LINE.match(line)]
    if code and all(_COMMAND_TAG.match(line) for line in code):
        return True
    if any(_PLAN_LINE.search(line) for line in code):
        return True
    return _is_tab_grid(lines)


def looks_like_sql(text: str) -> bool:
    """Starts like a SQL command or a psql meta-command, or is only SQL comments."""
    lines = _lines(text)
    code = [line for line in lines if not _COMMENT_LINE.match(line)]
    if not code:
        return bool(lines)
    return bool(_SQL_START.match(code[0]))


def _is_header(header: str, separator: str) -> bool:
    if not header.strip() or header.lstrip().startswith("--"):
        return False
    crosses = [i for i, c in enumerate(separator) if c in "+┼"]
    bars = [i for i, c in enumerate(header) if c in "|│"]
    if crosses:
        # Editors sometimes trim the header's leading space: allow one column of drift.
        if len(crosses) != len(bars):
            return False
        return all(abs(c - b) <= 1 for c, b in zip(crosses, bars, strict=True))
    return len(header.rstrip()) <= len(separator.rstrip()) and "|" not in header


def _is_tab_grid(lines: list[str]) -> bool:
    if len(lines) < 2 or _SQL_START.match(lines[0]):
        return False
    widths = {len(line.split("\t")) for line in lines}
    return len(widths) == 1 and widths.pop() >= 2 and not lines[0].startswith("\t")
