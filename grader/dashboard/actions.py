"""What staff can change: a score, overridden with a reason, and re-runs at staff priority.
Each action and its audit entry are written in one transaction."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from psycopg_pool import ConnectionPool

from grader.core.errors import GraderError, InfrastructureError, InvalidInput
from grader.dashboard import audit, batches
from grader.dashboard.queries import commit_overrides, grade_of
from grader.render.summary import fmt_points
from grader.service.job import Dispatcher, Job
from grader.settings import GitHubApp
from grader.store import runs
from grader.store.db import Connection
from grader.store.overrides import add_override
from grader.store.repositories import Repository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RerunTarget:
    run_id: int
    repository: str  # full name: the dispatcher routes by it


class RerunUnavailable(GraderError):
    """A re-run that cannot run: refused with its cause before anything is queued, since a
    worker would only retry it until it gave up."""

    status_code = 409
    code = "rerun.unavailable"


def graded_locally(repo: Repository, run: runs.Run) -> bool:
    return repo.installation_id is None and run.push_id is None


def why_no_rerun(github: GitHubApp, local_repositories: int) -> str | None:
    """Why a re-run cannot run, or None. A worker clones the commit from GitHub as the App,
    so it needs the App and an installation on the repositories; `local_repositories` counts
    those graded from folders on disk (no installation, no push)."""
    if github.app_id is None or (github.private_key is None and github.private_key_path is None):
        return (
            "Re-runs are unavailable: the GitHub App is not configured, and a re-run clones the"
            " commit from GitHub. Configure the App (docs/github-app.md), or grade the folders"
            " again with `grader grade-class`."
        )
    if local_repositories:
        some = (
            "This repository was"
            if local_repositories == 1
            else (f"{local_repositories} repositories were")
        )
        return (
            f"Re-runs are unavailable: {some} graded from local folders, where the GitHub App"
            " has no installation to clone from. Grade the folders again with"
            " `grader grade-class`."
        )
    return None


def override_score(
    conn: Connection,
    run: runs.Run,
    *,
    assignment_id: int,
    exercise_id: str | None,
    score: float,
    reason: str,
    actor: str,
) -> int:
    """Record an override of one exercise (or of the total, `exercise_id` None)."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput("an override needs a reason")
    grade = grade_of(run, commit_overrides(conn, run.repository_id, run.commit_sha))
    if grade is None:
        raise InvalidInput(f"run {run.id} has no report to override")
    if exercise_id is None:
        maximum, before = grade.max_score, grade.total
    else:
        ex = grade.exercise(exercise_id)
        if ex is None:
            raise InvalidInput(f"run {run.id} has no exercise {exercise_id}")
        maximum, before = ex.max_score, ex.score
    if not 0 <= score <= maximum:
        raise InvalidInput(f"the score must be between 0 and {fmt_points(maximum)}")
    with conn.transaction():
        override_id = add_override(
            conn, run.id, exercise_id=exercise_id, score=score, reason=reason, by_whom=actor
        )
        audit.record(
            conn,
            actor,
            "override",
            assignment_id=assignment_id,
            run_id=run.id,
            exercise_id=exercise_id,
            detail={"override": override_id, "score": score, "before": before, "reason": reason},
        )
    return override_id


def start_rerun(
    pool: ConnectionPool[Connection],
    dispatcher: Dispatcher,
    targets: Sequence[RerunTarget],
    *,
    assignment_id: int,
    scope: str,
    actor: str,
    reason: str = "",
    repository_id: int | None = None,
    exercise_id: str | None = None,
) -> int:
    """Mark the runs for grading, record the batch, then queue one staff task per run.

    Queued after the commit, so a worker never meets a run not yet marked. A task that
    cannot be queued leaves its run unqueued in the batch (the page shows it) and the error
    is raised once every other task was tried.
    """
    if scope not in batches.SCOPES:
        raise InvalidInput(f"unknown re-run scope {scope!r}")
    if not targets:
        raise InvalidInput("there is no graded run to re-run")
    with pool.connection() as conn:
        with conn.transaction():
            batch_id = batches.create_batch(
                conn,
                assignment_id=assignment_id,
                scope=scope,
                run_ids=[t.run_id for t in targets],
                requested_by=actor,
                reason=reason,
                repository_id=repository_id,
                exercise_id=exercise_id,
            )
            for target in targets:
                runs.request_rerun(conn, target.run_id)
            audit.record(
                conn,
                actor,
                "rerun",
                assignment_id=assignment_id,
                exercise_id=exercise_id,
                detail={
                    "batch": batch_id,
                    "scope": scope,
                    "runs": [t.run_id for t in targets],
                    "repository_id": repository_id,
                    "reason": reason,
                },
            )
        failed: list[str] = []
        for target in targets:
            try:
                dispatcher.send(Job("rerun", target.run_id, target.repository), staff=True)
            except Exception as exc:
                log.exception("could not queue the re-run of run %s", target.run_id)
                failed.append(f"run {target.run_id}: {exc}")
                continue
            with conn.transaction():
                batches.mark_queued(conn, batch_id, target.run_id)
    if failed:
        raise InfrastructureError("the grading queue is unavailable: " + "; ".join(failed))
    return batch_id
