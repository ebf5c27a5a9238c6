"""The api's dispatcher: push tasks leave the request, and a thread of their own publishes
them once deliveries pause.

Publishing a Celery task costs the api about as much CPU as storing the delivery (kombu
builds the message and a Redis client for each one), and the api's threads share one
interpreter lock: during a deadline burst, a publish made inside a request delays every
other request's answer. The push is stored before its task is noted here, so publishing it
a few milliseconds after the burst loses nothing. If Redis is away, the pushes not
published have their hand-off cleared, and the sweeper sends them on its next pass
(workers/sweeper.py); if the process dies first, the sweeper sends them once their
hand-off is stale. Re-runs and reposts, which staff wait for, are sent at once.
"""

from __future__ import annotations

import atexit
import logging
import threading
import time

from grader.service.job import Dispatcher, Job
from grader.settings import Settings
from grader.store import pushes
from grader.store.db import connect
from workers.dispatch import CeleryDispatcher

log = logging.getLogger(__name__)


class PushPublisher:
    def __init__(
        self,
        inner: Dispatcher,
        database_url: str,
        *,
        quiet_seconds: float = 0.02,
        max_wait_seconds: float = 0.5,
    ) -> None:
        """Pushes are published `quiet_seconds` after the last one noted, and never more
        than `max_wait_seconds` after the first one waiting."""
        self._inner = inner
        self._database_url = database_url
        self._quiet = quiet_seconds
        self._max_wait = max_wait_seconds
        self._pending: list[Job] = []
        self._first = self._last = 0.0
        self._changed = threading.Condition()
        threading.Thread(target=self._run, name="grader-push-publisher", daemon=True).start()
        atexit.register(self.flush)  # a stopping api publishes what it noted

    @classmethod
    def from_settings(cls, settings: Settings) -> PushPublisher:
        return cls(CeleryDispatcher.from_settings(settings), settings.database_url)

    def send(self, job: Job, *, staff: bool = False) -> None:
        if job.kind != "push" or staff:
            self._inner.send(job, staff=staff)
            return
        with self._changed:
            self._last = time.monotonic()
            if not self._pending:
                self._first = self._last
            self._pending.append(job)
            self._changed.notify()

    def flush(self) -> None:
        """Publish every push noted, now."""
        with self._changed:
            jobs, self._pending = self._pending, []
        self._publish(jobs)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._pending:
                    self._changed.wait()
                while (due := self._due()) > time.monotonic():
                    self._changed.wait(due - time.monotonic())
                jobs, self._pending = self._pending, []
            self._publish(jobs)

    def _due(self) -> float:
        return min(self._last + self._quiet, self._first + self._max_wait)

    def _publish(self, jobs: list[Job]) -> None:
        for sent, job in enumerate(jobs):
            try:
                self._inner.send(job)
            except Exception:
                log.exception("could not queue %d pushes: the sweeper will send them", len(jobs))
                self._hand_back(jobs[sent:])
                return

    def _hand_back(self, jobs: list[Job]) -> None:
        try:
            with connect(self._database_url, autocommit=True) as conn:
                pushes.clear_hand_off(conn, [job.id for job in jobs])
        except Exception:
            log.exception("the store is away too: the sweeper sends them once they are stale")
