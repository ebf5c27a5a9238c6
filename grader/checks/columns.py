"""Matching a student's columns to the reference's as a TA reads two tables side by side:
by name first (case, quotes and table prefixes aside), then by content, so a reordered or
renamed column is the same column and an extra or missing one is seen as such."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from grader.checks.compare import Rows, bag_diff

# Content matching tries permutations of the columns names did not settle; lab results are
# a handful of columns, and past this many the columns are paired by position instead.
_MAX_PERMUTED = 6


def column_key(name: str) -> str:
    """`"Patients".PatientID`, `patientid` and `PATIENTID` are one column to a reader."""
    return name.rsplit(".", 1)[-1].strip().strip('"').casefold()


@dataclass(frozen=True)
class Alignment:
    """`pairs[i]` is the student's column for the reference's column i, or None if missing."""

    pairs: tuple[int | None, ...]
    extra: tuple[int, ...]  # student columns the reference does not have

    @property
    def missing(self) -> tuple[int, ...]:
        return tuple(i for i, j in enumerate(self.pairs) if j is None)

    @property
    def positional(self) -> bool:
        return not self.extra and self.pairs == tuple(range(len(self.pairs)))


def _column(rows: Rows, index: int) -> list[Sequence[str | None]]:
    return [[row[index]] for row in rows]


def _same_values(expected: Rows, e: int, actual: Rows, a: int, tolerance: float) -> bool:
    return bag_diff(_column(expected, e), _column(actual, a), tolerance).same


def _projected(rows: Rows, indexes: Sequence[int]) -> list[list[str | None]]:
    return [[row[i] for i in indexes] for row in rows]


def _by_content(
    expected: Rows, actual: Rows, todo: list[int], free: list[int], tolerance: float
) -> dict[int, int]:
    """The reference columns in `todo` matched to student columns in `free` by their values:
    the permutation that makes the bags equal when there is one, else column by column."""
    candidates = {
        e: [a for a in free if _same_values(expected, e, actual, a, tolerance)] for e in todo
    }
    settled = {e: c[0] for e, c in candidates.items() if len(c) == 1}
    if len(set(settled.values())) == len(settled) and len(settled) == len(todo):
        return settled
    if len(todo) <= _MAX_PERMUTED and len(free) >= len(todo) and len(free) <= _MAX_PERMUTED:
        for chosen in itertools.permutations(free, len(todo)):
            if all(a in candidates[e] for e, a in zip(todo, chosen, strict=True)):
                pairing = dict(zip(todo, chosen, strict=True))
                if bag_diff(_projected(expected, todo), _projected(actual, chosen), tolerance).same:
                    return pairing
    result: dict[int, int] = {}
    for e in todo:
        for a in candidates[e]:
            if a not in result.values():
                result[e] = a
                break
    return result


def align(
    expected_columns: Sequence[str],
    expected_rows: Rows,
    actual_columns: Sequence[str],
    actual_rows: Rows,
    tolerance: float,
) -> Alignment:
    pairs: dict[int, int] = {}
    actual_keys = [column_key(c) for c in actual_columns]
    expected_keys = [column_key(c) for c in expected_columns]
    for e, key in enumerate(expected_keys):
        if actual_keys.count(key) == 1 and expected_keys.count(key) == 1:
            pairs[e] = actual_keys.index(key)
    todo = [e for e in range(len(expected_columns)) if e not in pairs]
    free = [a for a in range(len(actual_columns)) if a not in pairs.values()]
    if todo and free:
        pairs.update(_by_content(expected_rows, actual_rows, todo, free, tolerance))
    todo = [e for e in range(len(expected_columns)) if e not in pairs]
    free = [a for a in range(len(actual_columns)) if a not in pairs.values()]
    if len(todo) == len(free):
        # Same number left over: the same columns with wrong values, compared in place.
        pairs.update(zip(todo, free, strict=True))
    return Alignment(
        pairs=tuple(pairs.get(e) for e in range(len(expected_columns))),
        extra=tuple(a for a in range(len(actual_columns)) if a not in pairs.values()),
    )


def positional(expected_width: int, actual_width: int) -> Alignment:
    """The order the lab fixes: column i is column i, whatever it is called."""
    width = min(expected_width, actual_width)
    return Alignment(
        pairs=tuple(i if i < width else None for i in range(expected_width)),
        extra=tuple(range(width, actual_width)),
    )


def matched_rows(
    alignment: Alignment, expected: Rows, actual: Rows
) -> tuple[list[list[str | None]], list[list[str | None]]]:
    """Both results cut to the columns they share, in the reference's order."""
    shared = [(e, a) for e, a in enumerate(alignment.pairs) if a is not None]
    return (
        _projected(expected, [e for e, _ in shared]),
        _projected(actual, [a for _, a in shared]),
    )


def shared_names(alignment: Alignment, actual_columns: Sequence[str]) -> list[str]:
    """The shared columns under the student's own names, for showing a diff."""
    return [actual_columns[a] for a in alignment.pairs if a is not None]
