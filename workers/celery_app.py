"""The Celery app: `celery -A workers.celery_app worker --pool=threads` (docs/github-app.md).

Design, for a deadline burst on one grading machine:

* Tasks carry ids only (a push, a run); everything else is read from the store, so a
  task can be retried, redelivered or replayed safely.
* Per-repository routing: a repository always goes to the same queue among
  `grading.0 .. grading.N-1` (N = settings.service.shard_queues). The Redis transport
  polls the queues a worker consumes in rotation, so a student who pushes twenty times
  fills one queue that waits behind itself while the others keep being served.
* One queued task per branch: a push to a branch whose task is still queued sends none;
  it joins that task (grader/store/pushes.py), which grades the branch's newest push when
  it starts. A push task that starts while a newer push to the same branch exists marks
  itself superseded and stops at once. A burst costs one task and one grade, not twenty.
  A push after the deadline never joins nor supersedes one before it (that one may be
  the submission).
* Staff re-runs go to the `staff` queue at the top priority; on Redis a lower priority
  number is fetched first across all of a worker's queues, so they jump the backlog.
* Reliability: a task is acknowledged only when it ends (acks_late), requeued when its
  worker dies (reject_on_worker_lost), and each of a worker's threads takes one task at
  a time (prefetch 1). A run is graded under a PostgreSQL advisory lock held by the grading
  connection: if the worker dies the lock goes with it and the redelivered task takes
  over; a duplicate of a task still running finds the lock taken and stops. The
  grading_runs row is unique per (repository, commit, lab, version): one stored grade.
"""

from __future__ import annotations

from celery import Celery

from grader.settings import Settings, get_settings
from workers.routing import GRADING_PRIORITY, all_queues


def make_celery(settings: Settings | None = None) -> Celery:
    settings = settings or get_settings()
    app = Celery("grader", include=["workers.tasks", "workers.context", "workers.clone_folders"])
    queues = all_queues(settings.service.shard_queues)
    app.conf.update(
        broker_url=settings.redis_url,
        broker_connection_retry_on_startup=True,
        # A broker outage must only delay grading: the worker waits for Redis for ever
        # instead of exiting after a hundred attempts.
        broker_connection_max_retries=None,
        broker_channel_error_retry=True,
        broker_transport_options={
            "visibility_timeout": settings.service.visibility_timeout_seconds,
            "queue_order_strategy": "round_robin",
            # Look for tasks of dead workers every 10 s (the default scans every ~100 s).
            "unacked_restore_interval": 10,
            "unacked_restore_throttle": 1,
        },
        # name -> options: Celery builds each Queue with an exchange and key of that name
        task_queues={name: {} for name in queues},
        task_default_queue=queues[1],
        task_default_exchange="grader",
        task_default_priority=GRADING_PRIORITY,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
    )
    return app


app = make_celery()
