"""What pasted psql / DBeaver output is made of, once read back."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PastedTable:
    """A result set: aligned (psql's default), expanded (`\\x`), a DBeaver grid, or unaligned."""

    columns: tuple[str, ...]
    # cell text, trimmed; psql shows NULL as blank, kept as "" (comparison treats "" and None
    # alike); None only where the paste spells NULL out (DBeaver's "[NULL]")
    rows: tuple[tuple[str | None, ...], ...]
    footer_count: int | None  # N of "(N rows)" when the paste kept it
    line: int  # 0-based line of the header (of the first record when expanded)
    form: str  # "aligned", "expanded", "dbeaver", "unaligned"


@dataclass(frozen=True)
class PastedMessage:
    level: str  # "ERROR", "WARNING", "NOTICE", "HINT", "DETAIL", "INFO", "CONTEXT", "LINE", ...
    text: str  # for LINE: "1: SELECT foo", the statement excerpt with its line number
    line: int


@dataclass(frozen=True)
class PastedCommandTag:
    tag: str  # "INSERT 0 1", "CREATE VIEW", "PREPARE TRANSACTION", ...
    line: int


@dataclass(frozen=True)
class PastedPlan:
    """EXPLAIN output, one plan line each, indentation and "->" kept as printed."""

    lines: tuple[str, ...]
    line: int


PastedItem = PastedTable | PastedMessage | PastedCommandTag | PastedPlan


@dataclass(frozen=True)
class Read:
    """What one reader made of the lines from `start` up to `end` (excluded).

    No item: the lines had the shape of one but no sense could be made of them; they
    are passed over all the same, so that nothing is read twice.
    """

    item: PastedTable | PastedPlan | None
    start: int
    end: int
