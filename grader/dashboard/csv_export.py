"""The gradebook: one line per student with the scores the dashboard shows (overrides
applied) and, once a roster is uploaded, the student's identifier, ready for a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from grader.core.roster import Roster
from grader.dashboard.export_rows import export_rows, number, text
from grader.dashboard.queries import StudentRow
from grader.dashboard.stats import Column

FIXED = ["login", "identifier", "name", "repository", "graded_commit", "pushed_at", "status"]
TRAILING = ["awaiting_review", "total", "max_score", "late_penalty", "flags"]


def gradebook_csv(
    rows: Sequence[StudentRow], columns: Sequence[Column], roster: Roster | None = None
) -> str:
    """Empty exercise cells are exercises with no score (not graded here, grader failed);
    `late_penalty` is what the deadline rules deducted, already included in `total`;
    `awaiting_review` is the written points of `total` no person has confirmed yet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*FIXED, *(c.id for c in columns), *TRAILING])
    for line in export_rows(rows, roster):
        row, grade = line.student, line.student.grade
        scores: list[str] = []
        for column in columns:
            ex = grade.exercise(column.id) if grade is not None else None
            scores.append("" if ex is None or ex.share is None else number(ex.score))
        writer.writerow(
            [
                text(row.login),
                text(line.identifier),
                text(line.name),
                text(row.repository.full_name),
                row.graded_commit or "",
                "" if row.pushed_at is None else row.pushed_at.isoformat(),
                "no grade" if row.run is None else row.run.status,
                *scores,
                number(line.awaiting_review_points),
                number(line.total),
                number(None if grade is None else grade.max_score),
                number(line.penalty),
                text("; ".join(f.label for f in row.flags)),
            ]
        )
    return out.getvalue()
