"""One grading job, free of Celery: the tasks in tasks.py are thin wrappers around it.

A job takes an id, reads everything else from the store, and is safe to run twice:
the run row is unique per (repository, commit, lab, version), it is graded under an
advisory lock, and a run already graded is only posted again if its check run never
completed. A grading crash still yields a report; an infrastructure failure asks the
task to retry and, on the last attempt, is posted as "neutral" with its cause.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from grader.core.errors import ConfigurationError, InfrastructureError
from grader.core.lab import Lab
from grader.core.report import Report, RunStatus
from grader.github.access import RepositoryAccess
from grader.github.clone import RepositoryRejected, clone_commit
from grader.history.deadline import DeadlinePolicy, PushRecord
from grader.pipeline.answers import store_answers
from grader.service import logs
from grader.settings import Settings
from grader.store import pushes, runs
from grader.store.assignments import Assignment, get_assignment
from grader.store.db import Connection, connect
from grader.store.repositories import Repository, get_repository
from workers import posting
from workers.clone_folders import own_folder

log = logging.getLogger(__name__)


class Grader(Protocol):
    """What the job needs of grader.pipeline.session.GradingSession."""

    lab: Lab

    def grade_checkout(
        self,
        checkout: Path,
        *,
        pushes: Sequence[PushRecord] = (),
        policy: DeadlinePolicy | None = None,
    ) -> Report: ...


class Outcome(StrEnum):
    GRADED = "graded"  # graded now and posted
    POSTED = "posted"  # graded before: its check run was completed if it was not
    SUPERSEDED = "superseded"  # a newer push to the branch will be graded instead
    SKIPPED = "skipped"  # nothing to do
    BUSY = "busy"  # another worker is grading this run right now
    RETRY = "retry"  # infrastructure failure: the task should try again later
    FAILED = "failed"  # given up: posted as neutral with the cause


@dataclass(frozen=True)
class JobResult:
    outcome: Outcome
    run_id: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class _Target:
    repo: Repository
    assignment: Assignment
    push: pushes.Push | None


class GradingJob:
    def __init__(self, settings: Settings, grader: Grader) -> None:
        self.settings = settings
        self.grader = grader

    def grade_push(self, push_id: int, *, final_attempt: bool) -> JobResult:
        """Grade the push the task stands for: the newest of its branch task (workers that
        started late grade what the branch holds now, not each push of a burst)."""
        with connect(self.settings.database_url, autocommit=True) as conn:
            with conn.transaction():
                push_id = pushes.take_branch_task(conn, push_id)
            push = pushes.get_push(conn, push_id)
            if push.status in (pushes.SUPERSEDED, pushes.IGNORED):
                return JobResult(Outcome.SKIPPED, detail=f"push {push_id} is {push.status}")
            repo = get_repository(conn, push.repository_id)
            if repo.assignment_id is None:
                return JobResult(Outcome.SKIPPED, detail=f"{repo.full_name} has no assignment")
            assignment = get_assignment(conn, repo.assignment_id)
            if push.status == pushes.QUEUED:
                newer = pushes.newer_push(conn, push, _due(assignment))
                if newer is not None:
                    reason = f"superseded by the push of {newer.after_sha[:12]}"
                    pushes.set_push_status(conn, push.id, pushes.SUPERSEDED, reason)
                    return JobResult(Outcome.SUPERSEDED, detail=reason)
            run = self._current_run(conn, repo, push.after_sha, push.id)
            started = time.monotonic()
            result = self._grade(conn, run.id, _Target(repo, assignment, push), final_attempt)
            _log_job(conn, result, repo.full_name, push.id, push.after_sha, started)
            if result.outcome in (Outcome.GRADED, Outcome.POSTED, Outcome.FAILED):
                settled = runs.get_run(conn, run.id)
                if settled.status == runs.COMPLETED:
                    pushes.set_push_status(conn, push.id, pushes.GRADED)
                else:
                    pushes.set_push_status(conn, push.id, pushes.ERROR, settled.error or "")
            return result

    def hold_push(self, push_id: int, seconds: float) -> None:
        """Tell the sweeper that this push's task comes back by itself in `seconds`."""
        with connect(self.settings.database_url, autocommit=True) as conn:
            pushes.hold_hand_off(conn, push_id, seconds)

    def regrade_run(self, run_id: int, *, final_attempt: bool) -> JobResult:
        with connect(self.settings.database_url, autocommit=True) as conn:
            run = runs.get_run(conn, run_id)
            repo = get_repository(conn, run.repository_id)
            if repo.assignment_id is None:
                return JobResult(Outcome.SKIPPED, run_id, f"{repo.full_name} has no assignment")
            push = (
                pushes.get_push(conn, run.push_id)
                if run.push_id is not None
                else pushes.latest_push_for_commit(conn, repo.id, run.commit_sha)
            )
            current = self._current_run(conn, repo, run.commit_sha, run.push_id)
            if current.id != run.id:
                # The lab changed since: grade with today's version; the old row (and any
                # override on it) stays as it was.
                runs.request_rerun(conn, current.id)
            target = _Target(repo, get_assignment(conn, repo.assignment_id), push)
            return self._grade(conn, current.id, target, final_attempt)

    def _current_run(
        self, conn: Connection, repo: Repository, sha: str, push_id: int | None
    ) -> runs.Run:
        lab = self.grader.lab
        return runs.ensure_run(
            conn,
            repository_id=repo.id,
            commit_sha=sha,
            lab_id=lab.id,
            lab_version=lab.version,
            push_id=push_id,
        )

    def _grade(
        self, conn: Connection, run_id: int, target: _Target, final_attempt: bool
    ) -> JobResult:
        if not runs.try_lock_run(conn, run_id):
            return JobResult(Outcome.BUSY, run_id, "another worker holds this run")
        try:
            run = runs.get_run(conn, run_id)
            try:
                access = self._access(conn, target.repo)
            except ConfigurationError as exc:
                # Nowhere to post: the cause is stored for the dashboard, and not retried.
                runs.finish_run(conn, run_id, self._error_report(run, exc.message))
                return JobResult(Outcome.FAILED, run_id, exc.message)
            if not run.needs_grading:
                posting.ensure_posted(conn, run, target.assignment, access)
                return JobResult(Outcome.POSTED, run_id)
            check_id = posting.in_progress(conn, run, access)
            runs.start_attempt(conn, run_id)
            report, retryable = self._grade_commit(conn, run, target, access)
            if report.status is RunStatus.ERROR and retryable and not final_attempt:
                runs.release_attempt(conn, run_id, report.error or "")
                return JobResult(Outcome.RETRY, run_id, report.error or "")
            runs.finish_run(conn, run_id, report)
            posting.complete(conn, run_id, check_id, report, target.assignment, access)
            if report.status is RunStatus.ERROR:
                return JobResult(Outcome.FAILED, run_id, report.error or "")
            return JobResult(Outcome.GRADED, run_id)
        finally:
            runs.unlock_run(conn, run_id)

    def _access(self, conn: Connection, repo: Repository) -> RepositoryAccess:
        return posting.access_for(conn, self.settings, repo)

    def _grade_commit(
        self, conn: Connection, run: runs.Run, target: _Target, access: RepositoryAccess
    ) -> tuple[Report, bool]:
        """The report, and whether an error in it is worth retrying."""
        history: list[PushRecord] = []
        if target.push is not None:
            history = [_record(p) for p in pushes.branch_pushes(conn, target.push)]
        service = self.settings.service
        clones = own_folder(service.work_dir)
        with tempfile.TemporaryDirectory(prefix=f"grade-{run.id}-", dir=clones) as tmp:
            try:
                checkout = clone_commit(
                    access.clone_url,
                    branch=target.push.branch if target.push else None,
                    sha=run.commit_sha,
                    dest=Path(tmp) / "checkout",
                    token=access.token,
                    max_bytes=self.settings.limits.max_repository_bytes,
                    timeout=service.clone_seconds,
                )
            except RepositoryRejected as exc:
                return self._error_report(run, exc.message), False
            except InfrastructureError as exc:
                return self._error_report(run, exc.message), True
            try:
                # The grader reads the clone's history and may grade an earlier commit:
                # the last one pushed before the deadline.
                report = self.grader.grade_checkout(
                    checkout, pushes=history, policy=target.assignment.policy()
                )
            except Exception as exc:  # otter's rule: a grading crash still yields a report
                log.exception("grading run %s crashed", run.id)
                return self._error_report(run, f"the grader crashed: {exc!r}"), True
            if report.status is RunStatus.COMPLETED:
                self._store_answers(conn, run, checkout, report)
        return report, True

    def _store_answers(
        self, conn: Connection, run: runs.Run, checkout: Path, report: Report
    ) -> None:
        """For the dashboard's grade-by-question page; the grade stands without them."""
        try:
            store_answers(
                conn,
                run.repository_id,
                run.commit_sha,
                checkout,
                self.grader.lab,
                graded_commit=report.commit,
                max_bytes=self.settings.limits.max_exercise_file_bytes,
            )
        except Exception:
            log.exception("could not store the answers of run %s", run.id)

    def _error_report(self, run: runs.Run, cause: str) -> Report:
        lab = self.grader.lab
        return Report(
            lab_id=lab.id,
            lab_version=lab.version,
            status=RunStatus.ERROR,
            error=cause,
            max_score=lab.max_score,
            commit=run.commit_sha,
        )


def _due(assignment: Assignment) -> datetime | None:
    policy = assignment.policy()
    return None if policy is None else policy.due


def _record(push: pushes.Push) -> PushRecord:
    return PushRecord(
        sha=push.after_sha,
        pushed_at=push.pushed_at,
        forced=push.forced,
        before_sha=push.before_sha,
    )


def _log_job(
    conn: Connection,
    result: JobResult,
    repository: str,
    push_id: int | None,
    sha: str,
    started: float,
) -> None:
    score = None
    if result.run_id is not None and result.outcome is Outcome.GRADED:
        score = runs.get_run(conn, result.run_id).score
    seconds = round(time.monotonic() - started, 3)
    log.info(
        "job %s: %s %s@%s score=%s in %.1f s",
        result.outcome.value,
        result.detail,
        repository,
        sha[:12],
        score,
        seconds,
        extra=logs.fields(
            repository=repository,
            push=push_id,
            run=result.run_id,
            commit=sha,
            outcome=result.outcome.value,
            score=score,
            seconds=seconds,
        ),
    )
