"""A grading run's check run on GitHub, kept in step with the store.

The newest check run of a run is its current one: an attempt that did not complete
leaves it in progress, and the next attempt completes that same check run rather
than opening another. What a check run says comes from the store each time it is
posted: the report, the overrides of its commit and whether the assignment's grades
are released (grader.publish.checkrun_review), so posting again is always safe.
"""

from __future__ import annotations

from grader.core.report import Report
from grader.dashboard.grades import apply_overrides
from grader.dashboard.queries import commit_overrides
from grader.github.access import RepositoryAccess, open_access
from grader.github.app_auth import repository_installation
from grader.publish.checkrun_render import CheckRunContent
from grader.publish.checkrun_review import render_grade
from grader.settings import Settings
from grader.store import check_runs, runs
from grader.store.assignments import Assignment
from grader.store.db import Connection
from grader.store.repositories import Repository, save_repository


def access_for(conn: Connection, settings: Settings, repo: Repository) -> RepositoryAccess:
    """The App's access to the repository; its installation is looked up once and kept."""
    installation_id = repo.installation_id
    if installation_id is None:
        installation_id = repository_installation(settings.github, repo.full_name)
        save_repository(
            conn, repo.full_name, installation_id=installation_id, assignment_id=repo.assignment_id
        )
    return open_access(
        settings.github, repo.full_name, installation_id, settings.service.check_name
    )


def content_for(
    conn: Connection, run: runs.Run, report: Report, assignment: Assignment
) -> CheckRunContent:
    grade = apply_overrides(report, commit_overrides(conn, run.repository_id, run.commit_sha))
    return render_grade(grade, pass_mark=assignment.pass_mark, released=assignment.released)


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
    content = content_for(conn, runs.get_run(conn, run_id), report, assignment)
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


def repost(
    conn: Connection, run: runs.Run, assignment: Assignment, access: RepositoryAccess
) -> int | None:
    """Post what the store says now: the current check run updated in place when it was
    completed (its annotations kept), else completed with them, or a new one when the run
    has none. The check run's GitHub id; None when the run has no report to show."""
    report = run.parsed_report()
    if report is None:
        return None
    current = check_runs.current_check_run(conn, run.id)
    if current is None or current.status != "completed":
        check_id = in_progress(conn, run, access)
        complete(conn, run.id, check_id, report, assignment, access)
        return check_id
    content = content_for(conn, run, report, assignment)
    access.checks.update(current.github_id, content)
    check_runs.record_check_run(conn, run.id, current.github_id, "completed", content.conclusion)
    return current.github_id
