"""The release page of an assignment: release the reviewed grades to students (or withhold
them again), set the pass mark, and follow the check runs being posted again. Every form
checks the session's CSRF token and is audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from grader.core.errors import InvalidInput
from grader.dashboard import release
from grader.dashboard.auth import Staff, check_csrf, current_staff
from grader.dashboard.deps import service_of, store
from grader.dashboard.form_limits import SHORT_CHARS
from grader.dashboard.queries import load_assignment
from grader.dashboard.routes_actions import _score
from grader.dashboard.templating import PageRoute, render

router = APIRouter(route_class=PageRoute)
StaffDep = Annotated[Staff, Depends(current_staff)]
Text = Annotated[str, Form(max_length=SHORT_CHARS)]
_PATH = "/dashboard/assignments/{assignment_id}/release"


@router.get(_PATH)
def release_page(request: Request, assignment_id: int, staff: StaffDep) -> Response:
    with store(request) as conn:
        assignment = load_assignment(conn, assignment_id)
        posting = release.progress(conn, assignment)
    return render(request, "release.html", staff, assignment=assignment, posting=posting)


@router.get(_PATH + "/posting.json")
def posting_progress(request: Request, assignment_id: int, staff: StaffDep) -> Response:
    """Polled by the release page's progress bar until every check run is posted again."""
    with store(request) as conn:
        posting = release.progress(conn, load_assignment(conn, assignment_id))
    return JSONResponse(
        {"total": posting.total, "posted": posting.posted, "finished": posting.finished}
    )


@router.post(_PATH)
def switch(
    request: Request, assignment_id: int, staff: StaffDep, action: Text, csrf_token: Text = ""
) -> Response:
    check_csrf(staff, csrf_token)
    service = service_of(request)
    if action in ("release", "withhold"):
        release.set_released(
            service.pool,
            service.dispatcher,
            assignment_id,
            released=action == "release",
            actor=staff.login,
        )
    elif action == "repost":
        release.repost_all(service.pool, service.dispatcher, assignment_id, actor=staff.login)
    else:
        raise InvalidInput(f"unknown action {action!r}: release, withhold or repost")
    return _back(assignment_id, {"release": "released", "withhold": "withheld"}.get(action, action))


@router.post("/dashboard/assignments/{assignment_id}/pass-mark")
def pass_mark(
    request: Request, assignment_id: int, staff: StaffDep, pass_mark: Text, csrf_token: Text = ""
) -> Response:
    check_csrf(staff, csrf_token)
    service = service_of(request)
    release.set_pass_mark(
        service.pool,
        service.dispatcher,
        assignment_id,
        pass_mark=_score(pass_mark),
        actor=staff.login,
    )
    return _back(assignment_id, "pass-mark")


def _back(assignment_id: int, done: str) -> Response:
    page = _PATH.format(assignment_id=assignment_id)
    return RedirectResponse(f"{page}?done={done}", status_code=303)
