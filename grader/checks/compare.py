"""Comparing result sets as a person grading by hand would: values as text, numbers
within a tolerance, NULL shown blank, a bag of rows unless the order is asked for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

Cell = str | None
Rows = Sequence[Sequence[Cell]]


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def cells_equal(a: Cell, b: Cell, tolerance: float) -> bool:
    left, right = (a or "").strip(), (b or "").strip()
    if left == right:
        return True
    x, y = _number(left), _number(right)
    if x is not None and y is not None:
        return abs(x - y) <= Decimal(str(tolerance))
    return left.casefold() == right.casefold() and left.lower() in {"t", "f", "true", "false"}


def rows_equal(a: Sequence[Cell], b: Sequence[Cell], tolerance: float) -> bool:
    return len(a) == len(b) and all(cells_equal(x, y, tolerance) for x, y in zip(a, b, strict=True))


@dataclass
class BagDiff:
    missing: list[Sequence[Cell]] = field(default_factory=list)  # expected, not produced
    extra: list[Sequence[Cell]] = field(default_factory=list)  # produced, not expected

    @property
    def same(self) -> bool:
        return not self.missing and not self.extra


def bag_diff(expected: Rows, actual: Rows, tolerance: float) -> BagDiff:
    """Multiset difference with tolerant cells; quadratic, which is fine for lab-sized results."""
    remaining = list(actual)
    diff = BagDiff()
    for row in expected:
        for i, candidate in enumerate(remaining):
            if rows_equal(row, candidate, tolerance):
                del remaining[i]
                break
        else:
            diff.missing.append(row)
    diff.extra = remaining
    return diff


def order_respected(
    expected: Rows, actual: Rows, key: Sequence[int] | None, tolerance: float
) -> bool:
    """True when `actual` follows `expected`'s order; rows tied on `key` may swap."""
    if len(expected) != len(actual):
        return False
    if not key:
        return all(rows_equal(e, a, tolerance) for e, a in zip(expected, actual, strict=True))
    for e, a in zip(expected, actual, strict=True):
        if not all(cells_equal(e[k], a[k], tolerance) for k in key if k < len(e) and k < len(a)):
            return False
    return True


def render_rows(columns: Sequence[str] | None, rows: Rows, limit: int = 5) -> str:
    """A short psql-like table for a finding's detail."""
    shown = [["NULL" if c is None else c for c in row] for row in rows[:limit]]
    header = (
        list(columns) if columns else [f"col{i + 1}" for i in range(len(shown[0]))] if shown else []
    )
    widths = [len(h) for h in header]
    for row in shown:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=False)]
    lines = [" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=False))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) for row in shown]
    if len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more")
    return "\n".join(lines)


def describe_diff(columns: Sequence[str] | None, diff: BagDiff) -> str:
    parts = []
    if diff.missing:
        parts.append(f"Missing rows ({len(diff.missing)}):\n" + render_rows(columns, diff.missing))
    if diff.extra:
        parts.append(f"Unexpected rows ({len(diff.extra)}):\n" + render_rows(columns, diff.extra))
    return "\n\n".join(parts)
