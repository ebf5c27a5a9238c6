"""The assignments, and a class at a glance: heat map, score distribution, flags, re-runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from grader.dashboard import audit, batches
from grader.dashboard.actions import graded_locally, why_no_rerun
from grader.dashboard.auth import Staff, current_staff
from grader.dashboard.charts import bins, histogram_svg
from grader.dashboard.class_grid import matching, ordered, view_of
from grader.dashboard.deps import settings_of, store
from grader.dashboard.form_limits import SHORT_CHARS
from grader.dashboard.queries import class_rows, list_assignments, load_assignment
from grader.dashboard.stats import columns, exercise_stats, summary
from grader.dashboard.templating import PageError, PageRoute, render

router = APIRouter(route_class=PageRoute)
StaffDep = Annotated[Staff, Depends(current_staff)]
Short = Annotated[str, Query(max_length=SHORT_CHARS)]


@router.get("/dashboard")
def index(request: Request, staff: StaffDep) -> Response:
    with store(request) as conn:
        assignments = list_assignments(conn)
    return render(request, "index.html", staff, assignments=assignments)


@router.get("/dashboard/assignments/{assignment_id}")
def class_page(
    request: Request,
    assignment_id: int,
    staff: StaffDep,
    sort: Short = "student",
    order: Short = "asc",
    q: Short = "",
) -> Response:
    with store(request) as conn:
        assignment = load_assignment(conn, assignment_id)
        rows = class_rows(conn, assignment)
        recent_batches = batches.recent(conn, assignment_id)
        entries = audit.recent(conn, assignment_id)
    facts = summary(rows, assignment.pass_mark)
    totals = [r.grade.total for r in rows if r.grade is not None and r.grade.total is not None]
    chart = histogram_svg(
        bins(totals, facts.max_score or 100.0),
        title="Distribution of total scores",
        x_label="total points",
        chart_id="totals",
    )
    cols = columns(rows)
    view = view_of(sort, order, q, [c.id for c in cols])
    local = sum(graded_locally(r.repository, r.run) for r in rows if r.run is not None)
    return render(
        request,
        "class.html",
        staff,
        assignment=assignment,
        rows=ordered(matching(rows, view.search), view),
        view=view,
        columns=cols,
        averages=[exercise_stats(rows, c).mean for c in cols],
        rerun_unavailable=why_no_rerun(settings_of(request).github, local),
        summary=facts,
        chart=chart,
        batches=recent_batches,
        audit=entries,
    )


@router.get("/dashboard/batches/{batch_id}.json")
def batch_progress(request: Request, batch_id: int, staff: StaffDep) -> Response:
    """Polled by the progress bars of the class page."""
    with store(request) as conn:
        found = batches.progress(conn, batch_id)
    if found is None:
        raise PageError(404, "Not found", f"no re-run batch {batch_id}")
    return JSONResponse(found.as_json())
