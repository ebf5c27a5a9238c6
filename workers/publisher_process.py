"""Push tasks published from a process of the api's own, off the interpreter that answers.

Publishing a Celery task costs the api more CPU than taking the delivery (kombu builds the
message and its headers, then a Redis round trip): in the api's one interpreter, the
publishing thread held the lock that the next deliveries waited for, a third of the api's
CPU in a burst. Here the api only writes the batch's ids to a pipe; a child process
publishes them, on the other core when there is one.

Nothing is lost when the child is: the pushes were stored, and marked handed off, before
they reach the pipe. A push the child cannot publish (Redis away) has its hand-off cleared
so the sweeper sends it on its next pass; if the child dies with pushes in the pipe, the
sweeper sends them once their hand-off is stale, and the api starts another child.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from grader.service import logs
from grader.service.job import Dispatcher, Job
from grader.settings import Settings
from grader.store import pushes
from grader.store.db import connect

log = logging.getLogger(__name__)
_JOIN_SECONDS = 30.0  # a stopping api waits this long for what it handed over


def publish_or_hand_back(dispatcher: Dispatcher, database_url: str, jobs: list[Job]) -> None:
    """Each job to the queue; from the first the queue refuses on, back to the sweeper."""
    for sent, job in enumerate(jobs):
        try:
            dispatcher.send(job)
        except Exception:
            log.exception("could not queue %d pushes: the sweeper will send them", len(jobs))
            _hand_back(database_url, jobs[sent:])
            return


def _hand_back(database_url: str, jobs: list[Job]) -> None:
    try:
        with connect(database_url, autocommit=True) as conn:
            pushes.clear_hand_off(conn, [job.id for job in jobs])
    except Exception:
        log.exception("the store is away too: the sweeper sends them once they are stale")


class PublisherProcess:
    """publish() hands a batch to the child and returns; close() waits for the child to
    publish what it was given. The child starts with the first batch: an api that never
    takes a push (a dashboard's tests) starts none."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._context = multiprocessing.get_context("spawn")  # the api runs threads: no fork
        self._process: BaseProcess | None = None
        self._writer: Connection | None = None

    def _start(self) -> Connection:
        # Only the reading end goes to the child: when the api dies, the child reads EOF
        # and ends, instead of waiting on a pipe it would hold open itself.
        reader, writer = self._context.Pipe(duplex=False)
        self._process = self._context.Process(
            target=_serve, args=(self._settings, reader), name="grader-publisher", daemon=True
        )
        self._process.start()
        reader.close()
        self._writer = writer
        return writer

    def publish(self, jobs: list[Job]) -> None:
        with self._lock:
            writer = self._writer
            if writer is None or self._process is None or not self._process.is_alive():
                if writer is not None and self._process is not None:
                    log.error(
                        "the publishing process ended (exit code %s): starting another; the "
                        "pushes it held are sent by the sweeper",
                        self._process.exitcode,
                    )
                    writer.close()
                writer = self._start()
            writer.send([(job.kind, job.id, job.repository) for job in jobs])

    @property
    def pid(self) -> int | None:
        """The child's, while one runs."""
        alive = self._process is not None and self._process.is_alive()
        return self._process.pid if alive and self._process else None

    def close(self) -> None:
        with self._lock:
            if self._writer is None or self._process is None:
                return
            self._writer.close()  # the child publishes what it read, then reads EOF
            self._writer = None
            self._process.join(_JOIN_SECONDS)
            if self._process.is_alive():
                log.error("the publishing process did not end: the sweeper sends the rest")
                self._process.kill()


def _serve(settings: Settings, reader: Connection) -> None:
    from workers.dispatch import CeleryDispatcher  # in the child only

    logs.configure(settings)
    dispatcher = CeleryDispatcher.from_settings(settings)
    while True:
        try:
            batch = reader.recv()
        except EOFError:  # the api closed the pipe, or died
            return
        jobs = [Job(kind, job_id, repository) for kind, job_id, repository in batch]
        publish_or_hand_back(dispatcher, settings.database_url, jobs)
