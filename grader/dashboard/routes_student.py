"""One student: every push with its time and commit, and the report of the current (or a
chosen) run with overrides, findings, their details and links to the lines on GitHub; the
evidence of each written answer, and the class's answers that are near-duplicates of the
student's latest ones (for staff: never in the student's check run)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from grader.core.findings import Finding
from grader.dashboard.actions import graded_locally, why_no_rerun
from grader.dashboard.auth import Staff, current_staff
from grader.dashboard.deps import settings_of, store
from grader.dashboard.flags import grade_flags
from grader.dashboard.queries import (
    commit_overrides,
    current_run,
    grade_of,
    load_assignment,
    load_repository,
    load_run,
    login_of,
    repository_pushes,
)
from grader.dashboard.similar_answers import Resemblance, for_assignment
from grader.dashboard.templating import PageError, PageRoute, blob_link, github_link, render
from grader.render.summary import headline
from grader.render.written_evidence import other_findings, written_evidence
from grader.store.assignments import Assignment
from grader.store.db import Connection
from grader.store.runs import Run

router = APIRouter(route_class=PageRoute)


@router.get("/dashboard/assignments/{assignment_id}/students/{repository_id}")
def student_page(
    request: Request,
    assignment_id: int,
    repository_id: int,
    staff: Annotated[Staff, Depends(current_staff)],
    run: int | None = None,
) -> Response:
    with store(request) as conn:
        assignment = load_assignment(conn, assignment_id)
        repo = load_repository(conn, repository_id, assignment_id)
        pushes = repository_pushes(conn, repo.id)
        chosen = current_run(conn, repo.id) if run is None else load_run(conn, run)
        if chosen is not None and chosen.repository_id != repo.id:
            raise PageError(404, "Not found", f"run {run} is not a run of {repo.full_name}")
        overrides = [] if chosen is None else commit_overrides(conn, repo.id, chosen.commit_sha)
        similar = [] if chosen is None else _similar(request, conn, assignment, chosen)
    grade = None if chosen is None else grade_of(chosen, overrides)
    sha = None
    if chosen is not None:
        sha = (grade.report.commit if grade else None) or chosen.commit_sha

    def link(finding: Finding) -> str | None:
        if sha is None or not finding.file:
            return None
        return blob_link(request, repo.full_name, sha, finding.file, finding.line)

    return render(
        request,
        "student.html",
        staff,
        assignment=assignment,
        repo=repo,
        login=login_of(repo, assignment),
        repo_url=github_link(request, repo.full_name),
        commit_url=(lambda c: github_link(request, repo.full_name, c)),
        pushes=pushes,
        run=chosen,
        grade=grade,
        headline=None if grade is None else headline(grade.report),
        flags=[] if grade is None else grade_flags(grade),
        graded_sha=sha,
        link=link,
        similar_all=similar,
        similar_to={
            r.exercise_id: [x for x in similar if x.exercise_id == r.exercise_id] for r in similar
        },
        evidence=written_evidence,
        other_findings=other_findings,
        rerun_unavailable=why_no_rerun(
            settings_of(request).github,
            int(chosen is not None and graded_locally(repo, chosen)),
        ),
    )


def _similar(
    request: Request, conn: Connection, assignment: Assignment, shown: Run
) -> list[Resemblance]:
    """The near-duplicates of the student's latest graded answers, when those are the ones
    shown."""
    found = for_assignment(conn, assignment, settings_of(request))
    latest = found.latest.get(shown.repository_id)
    if latest is None or latest.commit_sha != shown.commit_sha:
        return []
    return found.of(shown.repository_id)
