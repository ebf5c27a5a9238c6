"""The one GradingSession of a worker process, opened when the process starts.

Starting a cluster and preparing the lab take seconds, so a process does it once
(worker_process_init, which Celery sends for prefork children and for the solo
pool; worker_init for the threads pool, whose threads all share the one session and
its cluster) and closes it when it stops. If opening fails the worker stays up: the
next task tries again, and its failure is retried like any infrastructure error.
"""

from __future__ import annotations

import logging
import threading

from celery.concurrency import get_implementation
from celery.concurrency.thread import TaskPool as ThreadsPool
from celery.signals import (
    worker_init,
    worker_process_init,
    worker_process_shutdown,
    worker_shutdown,
)

from grader.core.errors import InfrastructureError
from grader.pipeline.session import GradingSession
from grader.service import logs
from grader.settings import get_settings
from grader.store.assignments import sync_file
from grader.store.db import connect
from grader.store.migrate import apply_migrations
from workers.dispatch import CeleryDispatcher
from workers.job import Grader, GradingJob
from workers.niceness import lower_priority
from workers.sweeper import SweeperThread

log = logging.getLogger(__name__)
_lock = threading.Lock()
_session: GradingSession | None = None
_sweeper: SweeperThread | None = None


def prepare_store() -> None:
    settings = get_settings()
    with connect(settings.database_url) as conn:
        apply_migrations(conn)
        if settings.service.assignments_file is not None:
            sync_file(conn, settings.service.assignments_file)


def session() -> Grader:
    global _session
    with _lock:
        if _session is None:
            try:
                _session = GradingSession.open(get_settings())
            except InfrastructureError:
                raise
            except Exception as exc:  # the task retries infrastructure errors
                raise InfrastructureError(f"the grading session did not open: {exc}") from exc
        return _session


def grading_job() -> GradingJob:
    return GradingJob(get_settings(), session())


def close_session() -> None:
    global _session
    with _lock:
        if _session is not None:
            _session.close()
            _session = None


def _on_process_start(**_: object) -> None:
    global _sweeper
    if _sweeper is not None:
        return
    logs.configure(get_settings())
    lower_priority(get_settings().service.grading_niceness)
    try:
        prepare_store()
        session()
    except Exception:
        log.exception("the grading session did not open; the first task will try again")
    settings = get_settings()
    dispatcher = CeleryDispatcher.from_settings(settings)
    _sweeper = SweeperThread(settings, dispatcher, broker_uptime=dispatcher.broker_uptime)
    _sweeper.start()


def _on_worker_start(sender: object = None, **_: object) -> None:
    """The threads pool sends no worker_process_init: its process is the worker's own. A
    prefork parent must not open a session its children would inherit."""
    pool = getattr(sender, "pool_cls", None)  # at this point maybe still its name
    if pool is not None and get_implementation(pool) is ThreadsPool:
        _on_process_start()


def _on_stop(**_: object) -> None:
    if _sweeper is not None:
        _sweeper.stop()
    close_session()


# Connected by call, not decorator: Celery ships no type information. Strong references:
# the handlers must live as long as the process.
worker_process_init.connect(_on_process_start, weak=False)
worker_init.connect(_on_worker_start, weak=False)
worker_process_shutdown.connect(_on_stop, weak=False)
worker_shutdown.connect(_on_stop, weak=False)
