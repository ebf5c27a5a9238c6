"""A grade as staff see it: the grader's report with people's overrides on top.

A re-run replaces the report and never touches overrides, so the score shown is always
recomputed: the report's exercise scores, then the newest override of each exercise, then
the newest whole-run override, which sets the total outright.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from grader.core.report import Report, RunStatus, Status
from grader.render.summary import STATUS_LABEL
from grader.store.overrides import Override


@dataclass(frozen=True)
class ExerciseGrade:
    id: str
    title: str
    part: str
    status: Status
    graded: float  # the grader's score
    max_score: float
    review: bool  # a written answer whose points are provisional
    override: Override | None = None

    @property
    def score(self) -> float:
        return self.graded if self.override is None else self.override.score

    @property
    def label(self) -> str:
        return STATUS_LABEL[self.status]

    @property
    def awaiting_review(self) -> bool:
        """An override is a person's decision: the answer counts as reviewed."""
        return self.review and self.override is None

    @property
    def share(self) -> float | None:
        """Share of the points earned; None where no score means anything (not graded, the
        grader failed)."""
        if self.override is None and self.status in (Status.UNGRADED, Status.ERROR):
            return None
        return self.score / self.max_score if self.max_score else None


@dataclass(frozen=True)
class Grade:
    report: Report
    exercises: list[ExerciseGrade]
    overrides: list[Override]  # every override of the graded commit, oldest first
    total_override: Override | None

    @property
    def completed(self) -> bool:
        return self.report.status is RunStatus.COMPLETED

    @property
    def max_score(self) -> float:
        return self.report.max_score

    @property
    def penalty(self) -> float:
        return self.report.penalty

    @property
    def total(self) -> float | None:
        """None when the grader failed and no person set the total."""
        if self.total_override is not None:
            return self.total_override.score
        if not self.completed:
            return None
        delta = sum(e.score - e.graded for e in self.exercises if e.override is not None)
        return round(min(max(self.report.score + delta, 0.0), self.max_score), 2)

    @property
    def overridden(self) -> bool:
        return self.total_override is not None or any(e.override for e in self.exercises)

    @property
    def awaiting_review(self) -> list[str]:
        if self.total_override is not None:
            return []
        return [e.id for e in self.exercises if e.awaiting_review]

    def exercise(self, exercise_id: str) -> ExerciseGrade | None:
        return next((e for e in self.exercises if e.id == exercise_id), None)


def apply_overrides(report: Report, overrides: Sequence[Override]) -> Grade:
    ordered = sorted(overrides, key=lambda o: (o.at, o.id))
    newest: dict[str | None, Override] = {o.exercise_id: o for o in ordered}
    exercises = [
        ExerciseGrade(
            id=ex.id,
            title=ex.title,
            part=ex.part,
            status=ex.status,
            graded=ex.score,
            max_score=ex.max_score,
            review=ex.manual_review,
            override=newest.get(ex.id),
        )
        for ex in report.exercises
    ]
    return Grade(report, exercises, ordered, newest.get(None))
