"""Rubric items, Gradescope-style, on the grade-by-question page.

The rule (docs/dashboard.md, "Rubric items"): an answer with items applied scores its
exercise's full points plus the items' points (deductions negative, credits positive),
kept between 0 and the full points. Gradescope calls it negative scoring with both bounds.
An answer without items keeps the grader's points. Full points, not the grader's, are the
base because an item names the whole reason for a loss: "-2 not ordered" costs 2 whatever
the checks took for it, and the score stays the same when a re-run changes the grader's.

The points an answer's items give are written as an override of the exercise, with the
items' titles as its reason, so the class page, the exports, the totals and the student's
check run read the same decision as for any other review.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from grader.core.errors import InvalidInput
from grader.dashboard import audit
from grader.dashboard.actions import RerunTarget, override_score
from grader.dashboard.queries import commit_overrides, grade_of, load_run
from grader.render.summary import fmt_points
from grader.store import check_runs, rubric
from grader.store.db import Connection
from grader.store.rubric import RubricItem
from grader.store.runs import Run

APPLY, REMOVE, ADD, POINTS = "rubric-apply", "rubric-remove", "rubric-add", "rubric-points"
KEYS = 9  # items 1..9 have a key on the page
TITLE_CHARS, DESCRIPTION_CHARS = 120, 1000  # as lab.toml's items may be


def rubric_score(max_score: float, points: Sequence[float]) -> float:
    return round(min(max(max_score + sum(points), 0.0), max_score), 2)


def signed(points: float) -> str:
    return fmt_points(points) if points <= 0 else "+" + fmt_points(points)


def reason(items: Sequence[RubricItem], score: float, max_score: float) -> str:
    """What the student reads as the reviewer's comment."""
    parts = "; ".join(f"{i.title} ({signed(i.points)})" for i in items)
    return f"Rubric: {parts}. {fmt_points(score)} of {fmt_points(max_score)} points."


@dataclass(frozen=True)
class Toggled:
    applied: bool  # False: removed
    targets: list[RerunTarget]


def check_points(points: float, max_score: float) -> None:
    if abs(points) > max_score:
        raise InvalidInput(
            f"an item is worth at most the exercise's {fmt_points(max_score)} points either way"
        )


def add_item(
    conn: Connection,
    *,
    assignment_id: int,
    exercise_id: str,
    title: str,
    description: str,
    points: float,
    max_score: float,
    actor: str,
) -> RubricItem:
    check_points(points, max_score)
    with conn.transaction():
        item = rubric.add_staff_item(
            conn,
            assignment_id,
            exercise_id,
            title=title,
            description=description,
            points=points,
            actor=actor,
        )
        audit.record(
            conn,
            actor,
            ADD,
            assignment_id=assignment_id,
            exercise_id=exercise_id,
            detail={"item": item.id, "title": item.title, "points": points},
        )
    return item


def toggle(
    conn: Connection,
    item: RubricItem,
    answers: Sequence[tuple[Run, str]],
    *,
    actor: str,
) -> Toggled:
    """Apply the item to each answer (a run and its repository's full name), or remove it
    from each when every one has it already, and decide each answer's points again."""
    applied = rubric.applied(conn, item.assignment_id, item.exercise_id)
    applying = not all(
        any(i.id == item.id for i in applied.get((r.repository_id, r.commit_sha), []))
        for r, _ in answers
    )
    targets = []
    with conn.transaction():
        for run, repository in answers:
            if applying:
                changed = rubric.apply_item(
                    conn, item.id, run.repository_id, run.commit_sha, actor=actor
                )
            else:
                changed = rubric.remove_item(conn, item.id, run.repository_id, run.commit_sha)
            if not changed:
                continue
            audit.record(
                conn,
                actor,
                APPLY if applying else REMOVE,
                assignment_id=item.assignment_id,
                run_id=run.id,
                exercise_id=item.exercise_id,
                detail={"item": item.id, "title": item.title, "points": item.points},
            )
            decide(conn, run, item.assignment_id, item.exercise_id, actor=actor)
            targets.append(RerunTarget(run.id, repository))
        # in the decision's transaction: a post lost on its way is sent by the sweeper
        check_runs.request_repost(conn, [t.run_id for t in targets])
    return Toggled(applying, targets)


def change_points(
    conn: Connection, item: RubricItem, points: float, *, max_score: float, actor: str
) -> list[RerunTarget]:
    """Give the item other points and re-score every answer that has it; the runs whose
    check runs are to be posted again (asked for in the store, to be sent after the commit)."""
    check_points(points, max_score)
    with conn.transaction():
        rubric.set_points(conn, item.id, points)
        found = rubric.holders(conn, item.id)
        audit.record(
            conn,
            actor,
            POINTS,
            assignment_id=item.assignment_id,
            exercise_id=item.exercise_id,
            detail={
                "item": item.id,
                "title": item.title,
                "before": item.points,
                "after": points,
                "runs": [h.run_id for h in found],
            },
        )
        for holder in found:
            decide(
                conn,
                load_run(conn, holder.run_id),
                item.assignment_id,
                item.exercise_id,
                actor=actor,
            )
        check_runs.request_repost(conn, [h.run_id for h in found])
    return [RerunTarget(h.run_id, h.repository) for h in found]


def decide(conn: Connection, run: Run, assignment_id: int, exercise_id: str, *, actor: str) -> None:
    """Write the points the answer's items give as its decision; with no item left, the
    grader's points confirmed (the answer stays reviewed: a person looked at it)."""
    grade = grade_of(run, commit_overrides(conn, run.repository_id, run.commit_sha))
    exercise = None if grade is None else grade.exercise(exercise_id)
    if exercise is None:
        raise InvalidInput(f"run {run.id} has no exercise {exercise_id} to score")
    items = rubric.answer_items(conn, assignment_id, exercise_id, run.repository_id, run.commit_sha)
    if items:
        score = rubric_score(exercise.max_score, [i.points for i in items])
        why = reason(items, score, exercise.max_score)
    else:
        score = exercise.graded
        why = f"Reviewed: no rubric item applies, {fmt_points(score)} confirmed"
    override_score(
        conn,
        run,
        assignment_id=assignment_id,
        exercise_id=exercise_id,
        score=score,
        reason=why,
        actor=actor,
    )


def stands(conn: Connection, run: Run, assignment_id: int, exercise_id: str, score: float) -> bool:
    """The answer has items and they give `score`: confirming it is no new decision."""
    items = rubric.answer_items(conn, assignment_id, exercise_id, run.repository_id, run.commit_sha)
    grade = grade_of(run, commit_overrides(conn, run.repository_id, run.commit_sha))
    exercise = None if grade is None else grade.exercise(exercise_id)
    if not items or exercise is None:
        return False
    return rubric_score(exercise.max_score, [i.points for i in items]) == score


def clear_for_decision(
    conn: Connection, run: Run, assignment_id: int, exercise_id: str, *, actor: str
) -> None:
    """Points typed by a TA replace the items' decision: the items leave the answer, so a later
    change of an item's points does not undo what the TA typed."""
    removed = rubric.clear_answer(
        conn, assignment_id, exercise_id, run.repository_id, run.commit_sha
    )
    if removed:
        audit.record(
            conn,
            actor,
            REMOVE,
            assignment_id=assignment_id,
            run_id=run.id,
            exercise_id=exercise_id,
            detail={"titles": removed, "why": "points typed by a person"},
        )
