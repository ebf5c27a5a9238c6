"""A grading run's check run on GitHub, kept in step with the store.

The newest check run of a run is its current one: an attempt that did not complete
leaves it in progress, and the next attempt completes that same check run rather
than opening another.
"""

from __future__ import annotations

from grader.core.report import Report, RunStatus
from grader.github.access import RepositoryAccess
from grader.publish.checkrun_render import render_failure, render_report
from grader.store import check_runs, runs
from grader.store.assignments import Assignment
from grader.store.db import Connection


def in_progress(conn: Connection, run: runs.Run, access: RepositoryAccess) -> int:
    """The current check run if it never completed (an earlier attempt), else a new one."""
    current = check_runs.current_check_run(conn, run.id)
    if current is not None and current.status != "completed":
        return current.github_id
    github_id = access.checks.start(run.commit_sha, external_id=str(run.id))
    check_runs.record_check_run(conn, run.id, github_id, "in_progress")
    return github_id


def complete(
    conn: Connection,
    run_id: int,
    check_id: int,
    report: Report,
    assignment: Assignment,
    access: RepositoryAccess,
) -> None:
    if report.status is RunStatus.ERROR:
        content = render_failure(report.error or "unknown", commit=report.commit)
    else:
        content = render_report(report, pass_mark=assignment.pass_mark)
    access.checks.complete(check_id, content)
    check_runs.record_check_run(conn, run_id, check_id, "completed", content.conclusion)


def ensure_posted(
    conn: Connection, run: runs.Run, assignment: Assignment, access: RepositoryAccess
) -> None:
    """Complete the check run of a run graded before, unless that was already done."""
    current = check_runs.current_check_run(conn, run.id)
    report = run.parsed_report()
    if report is None or (current is not None and current.status == "completed"):
        return
    complete(conn, run.id, in_progress(conn, run, access), report, assignment, access)
