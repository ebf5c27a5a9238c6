"""What to send to the engine, exercise by exercise: pure, from the parsed submission.

Every exercise of the lab is planned, answered or not, so the rubric's probes always
run: a view the student created under another exercise's heading still counts.
"""

from __future__ import annotations

from grader.core.lab import Exercise, Lab
from grader.core.trace import RunTrace, StatementOutcome
from grader.run.execute import PlannedExercise, PlannedStatement
from grader.run.prerequisites import Prerequisite
from grader.submission.model import Submission
from grader.submission.sql_static import split_statements


def plan_submission(
    submission: Submission, lab: Lab, reference: RunTrace | None = None
) -> list[PlannedExercise]:
    """The student's SQL; with the reference's run on the same data set, each exercise
    that reads an earlier one's objects can fall back on the reference's (run/prerequisites)."""
    planned = []
    for exercise in lab.exercises:
        answer = submission.answers.get(exercise.id)
        statements: list[PlannedStatement] = []
        for block in answer.sql if answer else []:
            statements += [
                PlannedStatement(
                    sql=s.text, line=s.line, kind=s.kind, meta=s.meta, file=block.file or None
                )
                for s in split_statements(block.text, block.line)
            ]
        planned.append(
            PlannedExercise(
                exercise.id,
                tuple(statements),
                tuple(exercise.probes),
                _prerequisites(exercise, lab, reference),
                _expected_probes(exercise.id, reference),
            )
        )
    return planned


def _expected_probes(exercise_id: str, reference: RunTrace | None) -> dict[str, StatementOutcome]:
    run = reference.exercises.get(exercise_id) if reference else None
    return dict(run.probes) if run else {}


def _prerequisites(
    exercise: Exercise, lab: Lab, reference: RunTrace | None
) -> tuple[Prerequisite, ...]:
    if reference is None:
        return ()
    found = []
    for used in exercise.uses:
        earlier = lab.exercise(used)
        run = reference.exercises.get(used)
        if run is None or not earlier.reference:
            continue
        found.append(
            Prerequisite(
                exercise=used,
                expected=dict(run.probes),
                rebuild=tuple(
                    s.text for s in split_statements(lab.read(earlier.reference)) if not s.meta
                ),
            )
        )
    return tuple(found)


def plan_reference(lab: Lab) -> list[PlannedExercise]:
    planned = []
    for exercise in lab.exercises:
        statements: tuple[PlannedStatement, ...] = ()
        if exercise.reference:
            statements = tuple(
                PlannedStatement(sql=s.text, line=s.line, kind=s.kind, meta=s.meta)
                for s in split_statements(lab.read(exercise.reference))
            )
        planned.append(PlannedExercise(exercise.id, statements, tuple(exercise.probes)))
    return planned
