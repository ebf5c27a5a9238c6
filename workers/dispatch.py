"""Sending jobs to the workers' queues by task name (the web process imports no task code)."""

from __future__ import annotations

from celery import Celery

from grader.service.job import Job
from grader.settings import Settings
from workers.celery_app import make_celery
from workers.routing import (
    GRADING_PRIORITY,
    REPOST_PRIORITY,
    STAFF_PRIORITY,
    STAFF_QUEUE,
    shard_queue,
)

GRADE_PUSH = "workers.tasks.grade_push"
REGRADE_RUN = "workers.tasks.regrade_run"
REPOST_CHECK_RUN = "workers.tasks.repost_check_run"


class CeleryDispatcher:
    def __init__(self, app: Celery, shards: int) -> None:
        self._app = app
        self._shards = shards

    @classmethod
    def from_settings(cls, settings: Settings) -> CeleryDispatcher:
        return cls(make_celery(settings), settings.service.shard_queues)

    def send(self, job: Job, *, staff: bool = False) -> None:
        if job.kind == "repost":
            self._app.send_task(
                REPOST_CHECK_RUN, args=[job.id], queue=STAFF_QUEUE, priority=REPOST_PRIORITY
            )
            return
        name = GRADE_PUSH if job.kind == "push" else REGRADE_RUN
        queue = STAFF_QUEUE if staff else shard_queue(job.repository, self._shards)
        priority = STAFF_PRIORITY if staff else GRADING_PRIORITY
        self._app.send_task(name, args=[job.id], queue=queue, priority=priority)
