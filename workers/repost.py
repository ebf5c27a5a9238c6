"""Posting a graded run's check run again, from the store: after an override, a review
decision, a release or a change of pass mark. Free of Celery, like workers/job.py.

Safe to run any number of times: it reads the report, the overrides and the assignment
each time and posts what they say now, updating the same check run. It takes the run's
grading lock so it never races a grade being posted; a run being graded asks the task to
try again, since that grade may have read the overrides before the latest one. The request
noted in the store is cleared once posted (unless a newer one came meanwhile); until then
the sweeper sends the task again if it was lost.
"""

from __future__ import annotations

from datetime import datetime

from grader.core.errors import ConfigurationError
from grader.settings import Settings
from grader.store import check_runs, runs
from grader.store.assignments import get_assignment
from grader.store.db import Connection, connect
from grader.store.repositories import get_repository
from workers import posting
from workers.job import JobResult, Outcome


class RepostJob:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def repost(self, run_id: int) -> JobResult:
        with connect(self.settings.database_url, autocommit=True) as conn:
            try:
                run = runs.get_run(conn, run_id)
            except KeyError:
                return JobResult(Outcome.SKIPPED, run_id, f"no run {run_id}")
            repo = get_repository(conn, run.repository_id)
            if repo.assignment_id is None:
                _settled(conn, run_id, check_runs.repost_requested(conn, run_id))
                return JobResult(Outcome.SKIPPED, run_id, f"{repo.full_name} has no assignment")
            if not runs.try_lock_run(conn, run_id):
                return JobResult(Outcome.RETRY, run_id, "the run is being graded right now")
            try:
                asked = check_runs.repost_requested(conn, run_id)  # before reading what to post
                run = runs.get_run(conn, run_id)  # as the lock's holder left it
                if run.parsed_report() is None:
                    _settled(conn, run_id, asked)
                    return JobResult(Outcome.SKIPPED, run_id, "not graded yet: its grade posts")
                assignment = get_assignment(conn, repo.assignment_id)
                try:
                    access = posting.access_for(conn, self.settings, repo)
                except ConfigurationError as exc:  # no retry can post it
                    _settled(conn, run_id, asked)
                    return JobResult(Outcome.SKIPPED, run_id, exc.message)
                github_id = posting.repost(conn, run, assignment, access)
                _settled(conn, run_id, asked)
                return JobResult(Outcome.POSTED, run_id, f"check run {github_id}")
            finally:
                runs.unlock_run(conn, run_id)


def _settled(conn: Connection, run_id: int, asked: datetime | None) -> None:
    """Clear the request read before posting; one made since stays for the next task."""
    if asked is not None:
        check_runs.repost_done(conn, run_id, asked)
