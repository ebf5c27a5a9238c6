"""The JSON API behind the pages, for scripts: `Authorization: Bearer <api_token>`.

Read-only: changes go through the pages, where a person signs in and is audited.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from grader.core.errors import NotFound
from grader.dashboard import batches
from grader.dashboard.auth import require_api_token
from grader.dashboard.deps import store
from grader.dashboard.queries import (
    class_rows,
    commit_overrides,
    grade_of,
    list_assignments,
    load_assignment,
    load_run,
    repository_pushes,
)
from grader.dashboard.routes_export import csv_response
from grader.dashboard.serialize import (
    assignment_json,
    push_json,
    run_detail_json,
    student_json,
)
from grader.dashboard.stats import columns, exercise_stats, summary

router = APIRouter(prefix="/api", dependencies=[Depends(require_api_token)])


@router.get("/assignments")
def assignments(request: Request) -> list[dict[str, Any]]:
    with store(request) as conn:
        return [assignment_json(a, n) for a, n in list_assignments(conn)]


@router.get("/assignments/{assignment_id}/class")
def class_grades(request: Request, assignment_id: int) -> dict[str, Any]:
    with store(request) as conn:
        assignment = load_assignment(conn, assignment_id)
        rows = class_rows(conn, assignment)
    facts = summary(rows, assignment.pass_mark)
    return {
        "assignment": assignment_json(assignment),
        "exercises": [vars(c) for c in columns(rows)],
        "summary": vars(facts),
        "students": [student_json(r) for r in rows],
    }


@router.get("/assignments/{assignment_id}/exercises/{exercise_id}")
def exercise(request: Request, assignment_id: int, exercise_id: str) -> dict[str, Any]:
    with store(request) as conn:
        rows = class_rows(conn, load_assignment(conn, assignment_id))
    column = next((c for c in columns(rows) if c.id == exercise_id), None)
    if column is None:
        raise NotFound(f"no graded exercise {exercise_id} in assignment {assignment_id}")
    stats = exercise_stats(rows, column)
    return {
        "exercise": vars(column),
        "statuses": dict(stats.statuses),
        "mean": stats.mean,
        "scores": stats.scores,
        "common_errors": [
            {
                "code": e.code,
                "message": e.message,
                "severity": e.severity.value,
                "students": e.logins,
            }
            for e in stats.errors
        ],
    }


@router.get("/assignments/{assignment_id}/grades.csv")
def grades_csv(request: Request, assignment_id: int) -> Response:
    return csv_response(request, assignment_id)


@router.get("/repositories/{repository_id}/pushes")
def pushes(request: Request, repository_id: int) -> list[dict[str, Any]]:
    with store(request) as conn:
        return [push_json(p) for p in repository_pushes(conn, repository_id)]


@router.get("/runs/{run_id}")
def run(request: Request, run_id: int) -> dict[str, Any]:
    with store(request) as conn:
        found = load_run(conn, run_id)
        overrides = commit_overrides(conn, found.repository_id, found.commit_sha)
    return run_detail_json(found, grade_of(found, overrides))


@router.get("/batches/{batch_id}")
def batch(request: Request, batch_id: int) -> dict[str, Any]:
    with store(request) as conn:
        found = batches.progress(conn, batch_id)
    if found is None:
        raise NotFound(f"no re-run batch {batch_id}")
    return found.as_json()
