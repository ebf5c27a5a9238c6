"""Grading by question: every student's answer to one exercise, in groups that one decision
settles (grader.dashboard.answer_groups), with what a TA needs to decide: the answer's text
as stored with the run, the grader's points and findings, and whether a person decided yet.

A decision is an override of the exercise (grader.dashboard.actions), so it survives re-runs,
counts as the review of a written answer and reaches every export the same way."""

from __future__ import annotations

from dataclasses import dataclass

from grader.core.findings import Finding, Severity
from grader.dashboard.answer_evidence import key_points, result_fingerprint
from grader.dashboard.answer_groups import TEXT_REASONS, Candidate, group_answers
from grader.dashboard.grades import ExerciseGrade
from grader.dashboard.group_splits import Splits
from grader.dashboard.queries import StudentRow
from grader.store.answers import Answer


@dataclass(frozen=True)
class ReviewItem:
    row: StudentRow
    exercise: ExerciseGrade
    findings: list[Finding]
    answer: Answer | None  # None: graded before answers were stored

    @property
    def run_id(self) -> int:
        assert self.row.run is not None
        return self.row.run.id

    @property
    def reviewed(self) -> bool:
        return self.exercise.override is not None

    @property
    def flagged(self) -> bool:
        """Worth a closer look: a written answer, or a finding that is not only information."""
        return self.exercise.review or any(f.severity is not Severity.INFO for f in self.findings)


@dataclass(frozen=True)
class ReviewGroup:
    index: int  # 1-based, stable while the grader's verdicts do not change
    items: list[ReviewItem]
    reasons: tuple[str, ...] = ()  # why its answers are one group (answer_groups)

    @property
    def first(self) -> ReviewItem:
        return self.items[0]

    @property
    def reviewed(self) -> bool:
        return all(i.reviewed for i in self.items)

    @property
    def splittable(self) -> bool:
        """Joined by more than the same text: a split would part some answers."""
        return any(r not in TEXT_REASONS for r in self.reasons)

    @property
    def other_texts(self) -> list[ReviewItem]:
        """One member per other way the answer is written, for the TA to read before
        confirming a group joined by results or key points."""
        seen, out = {_text(self.first)}, []
        for item in self.items[1:]:
            if _text(item) not in seen:
                seen.add(_text(item))
                out.append(item)
        return out

    @property
    def flagged(self) -> bool:
        return any(i.flagged for i in self.items)


@dataclass(frozen=True)
class Queue:
    groups: list[ReviewGroup]

    @property
    def answers(self) -> int:
        return sum(len(g.items) for g in self.groups)

    @property
    def reviewed(self) -> int:
        return sum(1 for g in self.groups for i in g.items if i.reviewed)

    @property
    def decisions_left(self) -> int:
        return sum(1 for g in self.groups if not g.reviewed)

    def group(self, index: int) -> ReviewGroup | None:
        return next((g for g in self.groups if g.index == index), None)


def _text(item: ReviewItem) -> tuple[str, str]:
    a = item.answer
    return ("", "") if a is None else (a.sql_text.strip(), a.prose_text.strip())


def candidate(
    run_id: int,
    graded: float,
    findings: list[Finding],
    answer: Answer | None,
    compares_results: bool,
    splits: Splits,
) -> Candidate:
    """What grouping needs of one answer and the grader's verdict on it."""
    return Candidate(
        key=run_id,
        sql=answer.sql_text if answer else "",
        prose=answer.prose_text if answer else "",
        verdict=(graded, tuple(sorted({f.code for f in findings}))),
        results=result_fingerprint(findings) if compares_results else "",
        key_points=key_points(findings),
        alone=run_id in splits.alone,
        strict=run_id in splits.strict,
    )


def build_queue(
    rows: list[StudentRow],
    exercise_id: str,
    answers: dict[tuple[int, str], Answer],
    *,
    compares_results: bool = False,
    splits: Splits | None = None,
) -> Queue:
    """`compares_results`: the exercise's checks compare result rows, so the findings say
    which answers gave the same results (answer_evidence)."""
    splits = splits or Splits()
    items: dict[int, ReviewItem] = {}
    candidates = []
    for row in rows:
        if row.grade is None or row.run is None or not row.grade.completed:
            continue
        grade = row.grade.exercise(exercise_id)
        if grade is None:
            continue
        findings = row.grade.report.exercise(exercise_id).findings
        answer = answers.get((row.repository.id, row.run.commit_sha))
        item = ReviewItem(row, grade, findings, answer)
        items[item.run_id] = item
        candidates.append(
            candidate(item.run_id, grade.graded, findings, answer, compares_results, splits)
        )
    groups = group_answers(candidates)
    return Queue(
        [
            ReviewGroup(n, [items[k] for k in g.members], tuple(sorted(g.reasons)))
            for n, g in enumerate(groups, start=1)
        ]
    )


def matching(
    queue: Queue, *, unreviewed: bool, flagged: bool, low: float | None, high: float | None
) -> list[ReviewGroup]:
    """The groups the filters keep; the score range is on the grader's points."""
    out = []
    for g in queue.groups:
        points = g.first.exercise.graded
        if (unreviewed and g.reviewed) or (flagged and not g.flagged):
            continue
        if (low is not None and points < low) or (high is not None and points > high):
            continue
        out.append(g)
    return out
