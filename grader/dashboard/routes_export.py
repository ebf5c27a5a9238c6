"""The gradebook as CSV, for staff signed in (the API serves the same file to scripts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from grader.dashboard.auth import Staff, current_staff
from grader.dashboard.csv_export import gradebook_csv
from grader.dashboard.deps import store
from grader.dashboard.queries import class_rows, load_assignment
from grader.dashboard.stats import columns
from grader.dashboard.templating import PageRoute

router = APIRouter(route_class=PageRoute)


def csv_response(request: Request, assignment_id: int) -> Response:
    with store(request) as conn:
        assignment = load_assignment(conn, assignment_id)
        rows = class_rows(conn, assignment)
    name = f"{assignment.repository_prefix.strip('-_') or 'grades'}-{assignment_id}.csv"
    return Response(
        gradebook_csv(rows, columns(rows)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/dashboard/assignments/{assignment_id}/grades.csv")
def export_csv(
    request: Request, assignment_id: int, staff: Annotated[Staff, Depends(current_staff)]
) -> Response:
    return csv_response(request, assignment_id)
