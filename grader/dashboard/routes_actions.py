"""The forms that change something: a re-run (one student, or the class) and an override.
Each checks the session's CSRF token, is audited, and sends the browser back with a notice."""

from __future__ import annotations

import math
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse

from grader.core.errors import InvalidInput
from grader.dashboard.actions import (
    RerunTarget,
    RerunUnavailable,
    graded_locally,
    override_score,
    start_rerun,
    why_no_rerun,
)
from grader.dashboard.auth import Staff, check_csrf, current_staff
from grader.dashboard.deps import service_of, settings_of, store
from grader.dashboard.form_limits import TEXT_CHARS
from grader.dashboard.queries import (
    class_rows,
    current_run,
    load_assignment,
    load_repository,
    load_run,
)
from grader.dashboard.release import ask_reposts, send_reposts
from grader.dashboard.templating import PageRoute

router = APIRouter(route_class=PageRoute)
StaffDep = Annotated[Staff, Depends(current_staff)]
Text = Annotated[str, Form(max_length=TEXT_CHARS)]


@router.post("/dashboard/assignments/{assignment_id}/reruns")
def rerun(
    request: Request,
    assignment_id: int,
    staff: StaffDep,
    scope: Text,
    csrf_token: Text = "",
    repository_id: Annotated[int | None, Form()] = None,
    run_id: Annotated[int | None, Form()] = None,
    exercise_id: Text = "",
    reason: Text = "",
) -> Response:
    check_csrf(staff, csrf_token)
    targets, back = _targets(request, assignment_id, scope, repository_id, run_id, exercise_id)
    service = service_of(request)
    start_rerun(
        service.pool,
        service.dispatcher,
        targets,
        assignment_id=assignment_id,
        scope=scope,
        actor=staff.login,
        reason=reason.strip(),
        repository_id=repository_id if scope == "student" else None,
        exercise_id=(exercise_id or None) if scope == "exercise" else None,
    )
    return RedirectResponse(back + "done=rerun", status_code=303)


def _targets(
    request: Request,
    assignment_id: int,
    scope: str,
    repository_id: int | None,
    run_id: int | None,
    exercise_id: str,
) -> tuple[list[RerunTarget], str]:
    """The runs to grade again, and the page to return to (ending in ? or &)."""
    base = f"/dashboard/assignments/{assignment_id}"
    with store(request) as conn:
        assignment = load_assignment(conn, assignment_id)
        if scope == "student":
            if repository_id is None:
                raise InvalidInput("a student re-run names the repository")
            repo = load_repository(conn, repository_id, assignment_id)
            run = current_run(conn, repo.id) if run_id is None else load_run(conn, run_id)
            if run is None or run.repository_id != repo.id:
                raise InvalidInput(f"{repo.full_name} has no such graded run")
            _refuse_if_unavailable(request, int(graded_locally(repo, run)))
            back = f"{base}/students/{repo.id}?" + (f"run={run_id}&" if run_id else "")
            return [RerunTarget(run.id, repo.full_name)], back
        rows = class_rows(conn, assignment)
    pairs = [(r.repository, r.run) for r in rows if r.run is not None]
    _refuse_if_unavailable(request, sum(graded_locally(repo, run) for repo, run in pairs))
    targets = [RerunTarget(run.id, repo.full_name) for repo, run in pairs]
    if scope == "exercise":
        return targets, f"{base}/exercises/{quote(exercise_id, safe='')}?"
    return targets, f"{base}?"


def _refuse_if_unavailable(request: Request, local_repositories: int) -> None:
    reason = why_no_rerun(settings_of(request).github, local_repositories)
    if reason is not None:
        raise RerunUnavailable(reason)


@router.post("/dashboard/assignments/{assignment_id}/runs/{run_id}/overrides")
def override(
    request: Request,
    assignment_id: int,
    run_id: int,
    staff: StaffDep,
    score: Text,
    reason: Text,
    csrf_token: Text = "",
    exercise_id: Text = "",
) -> Response:
    check_csrf(staff, csrf_token)
    value = _score(score)
    with store(request) as conn:
        run = load_run(conn, run_id)
        repo = load_repository(conn, run.repository_id, assignment_id)
        override_score(
            conn,
            run,
            assignment_id=assignment_id,
            exercise_id=exercise_id or None,
            score=value,
            reason=reason,
            actor=staff.login,
        )
        targets = [RerunTarget(run.id, repo.full_name)]
        ask_reposts(conn, targets)
    # committed: the worker that posts the student's check run reads the override
    send_reposts(service_of(request).dispatcher, targets, "The override")
    page = f"/dashboard/assignments/{assignment_id}/students/{repo.id}?run={run_id}&done=override"
    return RedirectResponse(page, status_code=303)


def _score(text: str) -> float:
    try:
        value = float(text.replace(",", "."))  # a French keyboard types 7,5
    except ValueError:
        raise InvalidInput(f"{text!r} is not a number of points") from None
    if not math.isfinite(value):
        raise InvalidInput(f"{text!r} is not a number of points")
    return value
