"""The gradebook: one line per student with the scores the dashboard shows (overrides
applied), ready for a spreadsheet or an LMS import."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from grader.dashboard.queries import StudentRow
from grader.dashboard.stats import Column

FIXED = ["login", "repository", "graded_commit", "pushed_at", "status"]
TRAILING = ["total", "max_score", "late_penalty", "flags"]


def _text(value: str) -> str:
    """A spreadsheet runs a cell that starts like a formula: make it plain text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def gradebook_csv(rows: Sequence[StudentRow], columns: Sequence[Column]) -> str:
    """Empty exercise cells are exercises with no score (not graded here, grader failed);
    `late_penalty` is what the deadline rules deducted, already included in `total`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*FIXED, *(c.id for c in columns), *TRAILING])
    for row in rows:
        grade = row.grade
        scores: list[str] = []
        for column in columns:
            ex = grade.exercise(column.id) if grade is not None else None
            scores.append("" if ex is None or ex.share is None else _number(ex.score))
        writer.writerow(
            [
                _text(row.login),
                _text(row.repository.full_name),
                row.graded_commit or "",
                "" if row.pushed_at is None else row.pushed_at.isoformat(),
                "no grade" if row.run is None else row.run.status,
                *scores,
                _number(None if grade is None else grade.total),
                _number(None if grade is None else grade.max_score),
                _number(None if grade is None else grade.penalty),
                _text("; ".join(f.label for f in row.flags)),
            ]
        )
    return out.getvalue()
