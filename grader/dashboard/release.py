"""What students see of people's decisions: the release switch and the pass mark of an
assignment, and posting the students' check runs again when either, or a grade, changes.

Each change and its audit entry are written in one transaction; the check runs are queued
for posting after it commits, through the job contract (a worker posts them, never the web
process), so a worker always reads the decision it is posting.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg_pool import ConnectionPool

from grader.core.errors import InfrastructureError
from grader.dashboard import audit
from grader.dashboard.actions import RerunTarget
from grader.dashboard.queries import class_rows, load_assignment
from grader.service.job import Dispatcher, Job
from grader.store import assignments, check_runs
from grader.store.assignments import Assignment
from grader.store.db import Connection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RepostProgress:
    """The class's check runs posted since every one of them was last asked for."""

    requested_at: datetime | None
    total: int
    posted: int

    @property
    def finished(self) -> bool:
        return self.posted >= self.total


def ask_reposts(conn: Connection, targets: Sequence[RerunTarget]) -> None:
    """Note the posts in the store, in the transaction of the change that needs them: a task
    lost on its way is sent again by the workers' sweeper."""
    check_runs.request_repost(conn, [t.run_id for t in targets])


def send_reposts(dispatcher: Dispatcher, targets: Sequence[RerunTarget], what: str) -> None:
    """Queue one check-run post per run, after the commit; raise once all were tried if any
    could not be (the sweeper sends those later)."""
    failed = []
    for target in targets:
        try:
            dispatcher.send(Job("repost", target.run_id, target.repository))
        except Exception as exc:
            log.exception("could not queue the check run of run %s", target.run_id)
            failed.append(f"run {target.run_id}: {exc}")
    if failed:
        raise InfrastructureError(
            f"{what} was saved, but {len(failed)} student check run(s) could not be queued for"
            " updating (" + "; ".join(failed) + "). The workers send them again by themselves"
            " once the queue is back."
        )


def graded_targets(conn: Connection, assignment: Assignment) -> list[RerunTarget]:
    """Every student's current run that has a report to show."""
    return [
        RerunTarget(r.run.id, r.repository.full_name)
        for r in class_rows(conn, assignment)
        if r.run is not None and r.run.report is not None
    ]


def set_released(
    pool: ConnectionPool[Connection],
    dispatcher: Dispatcher,
    assignment_id: int,
    *,
    released: bool,
    actor: str,
) -> int:
    """Release the reviewed grades or withhold them again; the number of check runs queued."""
    action = "release" if released else "withhold"
    with pool.connection() as conn, conn.transaction():
        assignment = load_assignment(conn, assignment_id)
        assignments.set_release(conn, assignment_id, actor if released else None)
        targets = _request_all(conn, assignment, actor, action, {"was": assignment.released})
    send_reposts(dispatcher, targets, "The release" if released else "Withholding")
    return len(targets)


def set_pass_mark(
    pool: ConnectionPool[Connection],
    dispatcher: Dispatcher,
    assignment_id: int,
    *,
    pass_mark: float,
    actor: str,
) -> int:
    """Change the pass mark the check runs' conclusions use; the number of check runs queued."""
    with pool.connection() as conn, conn.transaction():
        assignment = load_assignment(conn, assignment_id)
        assignments.set_pass_mark(conn, assignment_id, pass_mark)
        detail = {"pass_mark": pass_mark, "before": assignment.pass_mark}
        targets = _request_all(conn, assignment, actor, "pass-mark", detail)
    send_reposts(dispatcher, targets, "The pass mark")
    return len(targets)


def repost_all(
    pool: ConnectionPool[Connection], dispatcher: Dispatcher, assignment_id: int, *, actor: str
) -> int:
    """Post every current check run again as the store says now (after a queue outage)."""
    with pool.connection() as conn, conn.transaction():
        assignment = load_assignment(conn, assignment_id)
        targets = _request_all(conn, assignment, actor, "repost", {})
    send_reposts(dispatcher, targets, "The request")
    return len(targets)


def progress(conn: Connection, assignment: Assignment) -> RepostProgress:
    targets = graded_targets(conn, assignment)
    since = assignment.reposts_requested_at
    if since is None:
        return RepostProgress(None, len(targets), len(targets))
    posted = check_runs.posted_since(conn, [t.run_id for t in targets], since)
    return RepostProgress(since, len(targets), posted)


def _request_all(
    conn: Connection, assignment: Assignment, actor: str, action: str, detail: dict[str, Any]
) -> list[RerunTarget]:
    assert assignment.id is not None
    targets = graded_targets(conn, assignment)
    assignments.request_reposts(conn, assignment.id)
    ask_reposts(conn, targets)
    audit.record(
        conn,
        actor,
        action,
        assignment_id=assignment.id,
        detail={**detail, "runs": [t.run_id for t in targets]},
    )
    return targets
