"""Thin Celery tasks: ids in, the job does the work (workers/job.py), retries decided here."""

from __future__ import annotations

import psycopg
import requests
from celery import Task
from github import GithubException

from grader.core.errors import InfrastructureError
from grader.settings import get_settings
from workers.celery_app import app
from workers.context import grading_job
from workers.job import JobResult, Outcome
from workers.repost import RepostJob

_service = get_settings().service
# Worth retrying with backoff: GitHub's errors and outages, the store or the cluster away.
_TRANSIENT = (GithubException, requests.RequestException, psycopg.OperationalError)
_OPTIONS = {
    "bind": True,
    "autoretry_for": (*_TRANSIENT, InfrastructureError),
    "max_retries": _service.github_retries,
    "retry_backoff": int(_service.retry_backoff_seconds),
    "retry_backoff_max": 3600,
    "retry_jitter": True,
}


def _grade_push(task: Task, push_id: int) -> str:
    result = grading_job().grade_push(push_id, final_attempt=_final(task))
    if result.outcome is Outcome.RETRY:
        # The sweeper re-sends a push left waiting; a retry on its way is not left waiting.
        grading_job().hold_push(push_id, _delay(task))
    return _settle(task, result)


def _regrade_run(task: Task, run_id: int) -> str:
    result = grading_job().regrade_run(run_id, final_attempt=_final(task))
    return _settle(task, result)


def _repost_check_run(task: Task, run_id: int) -> str:
    return _settle(task, RepostJob(get_settings()).repost(run_id))


# Registered by call rather than decorator: Celery ships no type information, and a
# decorator would make the functions untyped.
grade_push = app.task(name="workers.tasks.grade_push", **_OPTIONS)(_grade_push)
regrade_run = app.task(name="workers.tasks.regrade_run", **_OPTIONS)(_regrade_run)
repost_check_run = app.task(name="workers.tasks.repost_check_run", **_OPTIONS)(
    _repost_check_run
)


def _delay(task: Task) -> float:
    return float(_service.retry_backoff_seconds * 2 ** int(task.request.retries))


def _final(task: Task) -> bool:
    return int(task.request.retries) >= _service.error_retries


def _settle(task: Task, result: JobResult) -> str:
    if result.outcome is Outcome.RETRY:
        raise task.retry(countdown=_delay(task), exc=InfrastructureError(result.detail))
    return f"{result.outcome.value} {result.detail}".strip()
