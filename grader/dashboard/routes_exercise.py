"""One exercise across the class: scores, statuses and the most common errors."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from grader.dashboard.actions import graded_locally, why_no_rerun
from grader.dashboard.auth import Staff, current_staff
from grader.dashboard.charts import bins, histogram_svg
from grader.dashboard.deps import settings_of, store
from grader.dashboard.queries import class_rows, load_assignment
from grader.dashboard.stats import columns, exercise_stats
from grader.dashboard.templating import PageError, PageRoute, render

router = APIRouter(route_class=PageRoute)


@router.get("/dashboard/assignments/{assignment_id}/exercises/{exercise_id}")
def exercise_page(
    request: Request,
    assignment_id: int,
    exercise_id: str,
    staff: Annotated[Staff, Depends(current_staff)],
) -> Response:
    with store(request) as conn:
        assignment = load_assignment(conn, assignment_id)
        rows = class_rows(conn, assignment)
    column = next((c for c in columns(rows) if c.id == exercise_id), None)
    if column is None:
        raise PageError(404, "Not found", f"no graded exercise {exercise_id} in this class")
    stats = exercise_stats(rows, column)
    chart = histogram_svg(
        bins(stats.scores, column.max_score, count=5),
        title=f"Distribution of scores on exercise {column.id}",
        x_label="points",
        chart_id="exercise",
    )
    return render(
        request,
        "exercise.html",
        staff,
        assignment=assignment,
        column=column,
        stats=stats,
        chart=chart,
        rows=rows,
        rerun_unavailable=why_no_rerun(
            settings_of(request).github,
            sum(graded_locally(r.repository, r.run) for r in rows if r.run is not None),
        ),
    )
