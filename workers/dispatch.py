"""Sending jobs to the workers' queues by task name (the web process imports no task code)."""

from __future__ import annotations

import logging

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

log = logging.getLogger(__name__)
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

    def broker_uptime(self) -> float | None:
        """Seconds since the Redis broker started, None when that cannot be told (the
        broker away, another transport). A task handed off before then was lost with it."""
        try:
            with self._app.connection_for_read() as connection:
                # Once, briefly: the app's own policy waits for the broker for ever.
                connection.ensure_connection(max_retries=1, timeout=2)
                client = getattr(connection.default_channel, "client", None)
                if client is None:
                    return None
                return float(client.info("server")["uptime_in_seconds"])
        except Exception as exc:  # the sweeper then waits the usual stale delay
            log.debug("broker uptime unknown: %s", exc)
            return None
