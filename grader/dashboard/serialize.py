"""The JSON the API answers with: the same grades the pages show, overrides applied."""

from __future__ import annotations

from typing import Any

from grader.dashboard.flags import Flag, grade_flags
from grader.dashboard.grades import Grade
from grader.dashboard.queries import PushRow, StudentRow
from grader.store.assignments import Assignment
from grader.store.overrides import Override
from grader.store.runs import Run


def assignment_json(assignment: Assignment, repositories: int | None = None) -> dict[str, Any]:
    out = assignment.model_dump(mode="json", by_alias=False)
    if repositories is not None:
        out["repositories"] = repositories
    return out


def override_json(o: Override) -> dict[str, Any]:
    return {
        "id": o.id,
        "run_id": o.run_id,
        "exercise_id": o.exercise_id,
        "score": o.score,
        "reason": o.reason,
        "by": o.by_whom,
        "at": o.at.isoformat(),
    }


def flag_json(f: Flag) -> dict[str, str]:
    return {"code": f.code, "label": f.label, "detail": f.detail}


def grade_json(grade: Grade) -> dict[str, Any]:
    return {
        "total": grade.total,
        "graded_total": grade.report.score if grade.completed else None,
        "max_score": grade.max_score,
        "penalty": grade.penalty,
        "total_override": None if grade.total_override is None else grade.total_override.id,
        "exercises": {
            e.id: {
                "status": e.status.value,
                "score": e.score,
                "graded": e.graded,
                "max_score": e.max_score,
                "awaiting_review": e.awaiting_review,
                "override": None if e.override is None else e.override.id,
            }
            for e in grade.exercises
        },
        "overrides": [override_json(o) for o in grade.overrides],
    }


def run_json(run: Run) -> dict[str, Any]:
    return {
        "id": run.id,
        "repository_id": run.repository_id,
        "push_id": run.push_id,
        "commit": run.commit_sha,
        "lab_id": run.lab_id,
        "lab_version": run.lab_version,
        "status": run.status,
        "attempts": run.attempts,
        "finished_at": None if run.finished_at is None else run.finished_at.isoformat(),
        "rerun_requested_at": (
            None if run.rerun_requested_at is None else run.rerun_requested_at.isoformat()
        ),
        "rerun_pending": run.needs_grading,
    }


def student_json(row: StudentRow) -> dict[str, Any]:
    grade = row.grade
    return {
        "login": row.login,
        "repository": row.repository.full_name,
        "repository_id": row.repository.id,
        "run": None if row.run is None else run_json(row.run),
        "graded_commit": row.graded_commit,
        "pushed_at": None if row.pushed_at is None else row.pushed_at.isoformat(),
        "grade": None if grade is None else grade_json(grade),
        "flags": [flag_json(f) for f in row.flags],
    }


def run_detail_json(run: Run, grade: Grade | None) -> dict[str, Any]:
    return {
        "run": run_json(run),
        "grade": None if grade is None else grade_json(grade),
        "flags": [] if grade is None else [flag_json(f) for f in grade_flags(grade)],
        "report": run.report,
    }


def push_json(row: PushRow) -> dict[str, Any]:
    p = row.push
    return {
        "id": p.id,
        "branch": p.branch,
        "commit": p.after_sha,
        "before": p.before_sha,
        "forced": p.forced,
        "pushed_at": p.pushed_at.isoformat(),
        "status": p.status,
        "reason": p.reason,
        "run_id": row.run_id,
        "total": None if row.grade is None else row.grade.total,
    }
