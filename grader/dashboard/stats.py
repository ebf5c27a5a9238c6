"""How a class did: totals, an exercise's scores and statuses, its most common errors."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from grader.core.findings import Severity
from grader.core.report import Status
from grader.dashboard.queries import StudentRow
from grader.render.summary import STATUS_LABEL


@dataclass(frozen=True)
class Column:
    id: str
    title: str
    part: str
    max_score: float


@dataclass(frozen=True)
class Summary:
    students: int
    graded: int  # with a total (completed, or set by an override)
    mean: float | None
    median: float | None
    passing: int  # total at or above the pass mark
    max_score: float | None


@dataclass(frozen=True)
class CommonError:
    code: str
    message: str
    severity: Severity
    logins: list[str]  # the students who got it, each once

    @property
    def count(self) -> int:
        return len(self.logins)


@dataclass(frozen=True)
class ExerciseStats:
    column: Column
    statuses: list[tuple[str, int]]  # (status label, students), in the grader's order
    scores: list[float]
    mean: float | None
    errors: list[CommonError]  # the ten most frequent, most students first


def columns(rows: Sequence[StudentRow]) -> list[Column]:
    """The exercises, in the order of the lab, as the newest report lists them."""
    grades = [r.grade for r in rows if r.grade is not None and r.grade.exercises]
    if not grades:
        return []
    newest = max(grades, key=lambda g: g.report.graded_at)
    return [Column(e.id, e.title, e.part, e.max_score) for e in newest.exercises]


def summary(rows: Sequence[StudentRow], pass_mark: float) -> Summary:
    totals = [r.grade.total for r in rows if r.grade is not None and r.grade.total is not None]
    maxima = [r.grade.max_score for r in rows if r.grade is not None]
    top = max(maxima) if maxima else None
    passing = sum(1 for t in totals if top and t >= top * pass_mark / 100)
    return Summary(
        students=len(rows),
        graded=len(totals),
        mean=round(statistics.fmean(totals), 2) if totals else None,
        median=round(statistics.median(totals), 2) if totals else None,
        passing=passing,
        max_score=top,
    )


def exercise_stats(rows: Sequence[StudentRow], column: Column) -> ExerciseStats:
    statuses: Counter[Status] = Counter()
    scores: list[float] = []
    by_error: dict[tuple[str, str], list[str]] = defaultdict(list)
    severities: dict[tuple[str, str], Severity] = {}
    for row in rows:
        grade = row.grade
        ex = grade.exercise(column.id) if grade is not None else None
        if grade is None or ex is None:
            continue
        statuses[ex.status] += 1
        if ex.share is not None:
            scores.append(ex.score)
        for f in grade.report.exercise(column.id).findings:
            if f.severity is Severity.INFO:
                continue
            key = (f.code, f.message)
            if row.login not in by_error[key]:
                by_error[key].append(row.login)
            severities[key] = f.severity
    errors = [CommonError(c, m, severities[(c, m)], logins) for (c, m), logins in by_error.items()]
    errors.sort(key=lambda e: (-e.count, e.code, e.message))
    return ExerciseStats(
        column=column,
        statuses=[(STATUS_LABEL[s], statuses[s]) for s in Status if statuses[s]],
        scores=scores,
        mean=round(statistics.fmean(scores), 2) if scores else None,
        errors=errors[:10],
    )
