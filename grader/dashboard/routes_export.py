"""The gradebook downloads (today's CSV, Canvas's import format, Moodle's), the page that
offers them, and the roster upload that gives each repository its student's identifier.
The API serves today's CSV to scripts through `csv_response`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import RedirectResponse

from grader.core.roster import MAX_BYTES, RosterError, parse_roster
from grader.dashboard import audit
from grader.dashboard.auth import Staff, check_csrf, current_staff
from grader.dashboard.csv_export import gradebook_csv
from grader.dashboard.deps import store
from grader.dashboard.export_canvas import CanvasMatch, CanvasOptions, canvas_csv
from grader.dashboard.export_moodle import IDENTIFIER_COLUMN, MoodleField, MoodleOptions, moodle_csv
from grader.dashboard.export_rows import roster_match
from grader.dashboard.queries import class_rows, load_assignment
from grader.dashboard.stats import columns
from grader.dashboard.templating import PageRoute, render
from grader.store.assignments import Assignment
from grader.store.db import Connection
from grader.store.roster import delete_roster, load_roster, save_roster

router = APIRouter(route_class=PageRoute)
StaffDep = Annotated[Staff, Depends(current_staff)]
Format = Literal["csv", "canvas", "moodle"]
TITLE_CHARS = 200
# Shown after a form sends the browser back: fixed words, never text from the query.
DONE = {
    "roster": "Roster saved. The exports now carry each student's identifier.",
    "removed": "Roster removed. The exports leave the identifier empty.",
}


def default_title(assignment: Assignment) -> str:
    return assignment.repository_prefix.strip("-_ ") or assignment.lab_id


def csv_response(
    request: Request,
    assignment_id: int,
    fmt: Format = "csv",
    *,
    title: str = "",
    canvas_id: str = "",
    canvas_match: CanvasMatch = "sis_login_id",
    moodle_field: MoodleField = "idnumber",
) -> Response:
    with store(request) as conn:
        assignment = load_assignment(conn, assignment_id)
        rows = class_rows(conn, assignment)
        stored = load_roster(conn, assignment_id)
    roster = None if stored is None else stored.roster
    title = title.strip() or default_title(assignment)
    if fmt == "canvas":
        body = canvas_csv(rows, roster, CanvasOptions(title, canvas_id, canvas_match))
    elif fmt == "moodle":
        body = moodle_csv(rows, roster, MoodleOptions(title, moodle_field))
    else:
        body = gradebook_csv(rows, columns(rows), roster)
    stem = assignment.repository_prefix.strip("-_") or "grades"
    name = f"{stem}-{assignment_id}{'' if fmt == 'csv' else '-' + fmt}.csv"
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/dashboard/assignments/{assignment_id}/grades.csv")
def export_csv(
    request: Request,
    assignment_id: int,
    staff: StaffDep,
    fmt: Annotated[Format, Query(alias="format")] = "csv",
    title: Annotated[str, Query(max_length=TITLE_CHARS)] = "",
    canvas_id: Annotated[str, Query(max_length=20, pattern=r"^\s*\d*\s*$")] = "",
    canvas_match: Annotated[CanvasMatch, Query()] = "sis_login_id",
    moodle_field: Annotated[MoodleField, Query()] = "idnumber",
) -> Response:
    return csv_response(
        request,
        assignment_id,
        fmt,
        title=title,
        canvas_id=canvas_id.strip(),
        canvas_match=canvas_match,
        moodle_field=moodle_field,
    )


@router.get("/dashboard/assignments/{assignment_id}/export")
def export_page(
    request: Request,
    assignment_id: int,
    staff: StaffDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    with store(request) as conn:
        return _page(request, staff, conn, load_assignment(conn, assignment_id), done=done)


def _page(
    request: Request,
    staff: Staff,
    conn: Connection,
    assignment: Assignment,
    *,
    done: str = "",
    problem: str | None = None,
) -> Response:
    assert assignment.id is not None
    rows = class_rows(conn, assignment)
    stored = load_roster(conn, assignment.id)
    return render(
        request,
        "export.html",
        staff,
        status_code=200 if problem is None else 400,
        assignment=assignment,
        students=len(rows),
        stored=stored,
        match=None if stored is None else roster_match(rows, stored.roster),
        title=default_title(assignment),
        moodle_fields=IDENTIFIER_COLUMN,
        done=DONE.get(done),
        problem=problem,
    )


@router.post("/dashboard/assignments/{assignment_id}/roster")
def upload_roster(
    request: Request,
    assignment_id: int,
    staff: StaffDep,
    roster: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    check_csrf(staff, csrf_token)
    source = roster.filename or "the uploaded file"
    data = roster.file.read(MAX_BYTES + 1)
    with store(request) as conn:
        assignment = load_assignment(conn, assignment_id)
        try:
            parsed = parse_roster(data, source)
        except RosterError as exc:
            return _page(request, staff, conn, assignment, problem=exc.message)
        with conn.transaction():
            save_roster(conn, assignment_id, parsed, uploaded_by=staff.login, source_name=source)
            audit.record(
                conn,
                staff.login,
                "roster",
                assignment_id=assignment_id,
                detail={"file": source, "entries": len(parsed.entries)},
            )
    return RedirectResponse(f"/dashboard/assignments/{assignment_id}/export?done=roster", 303)


@router.post("/dashboard/assignments/{assignment_id}/roster/delete")
def remove_roster(
    request: Request,
    assignment_id: int,
    staff: StaffDep,
    csrf_token: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    check_csrf(staff, csrf_token)
    with store(request) as conn:
        load_assignment(conn, assignment_id)
        with conn.transaction():
            if delete_roster(conn, assignment_id):
                audit.record(
                    conn,
                    staff.login,
                    "roster",
                    assignment_id=assignment_id,
                    detail={"removed": True},
                )
    return RedirectResponse(f"/dashboard/assignments/{assignment_id}/export?done=removed", 303)
