"""The api's dispatcher: push tasks leave the request, and are published once deliveries
pause, from a process of their own (workers/publisher_process.py).

Publishing a Celery task costs the api more CPU than storing the delivery, and the api's
threads share one interpreter lock: during a deadline burst, a publish made inside a
request delays every other request's answer. The push is stored before its task is noted
here, so publishing it a few milliseconds after the burst loses nothing. If Redis is away,
the pushes not published have their hand-off cleared, and the sweeper sends them on its
next pass (workers/sweeper.py); if the process dies first, the sweeper sends them once their
hand-off is stale. Re-runs and reposts, which staff wait for, are sent at once, from here.
"""

from __future__ import annotations

import atexit
import threading
import time

from grader.service.job import Dispatcher, Job
from grader.settings import Settings
from workers.dispatch import CeleryDispatcher
from workers.publisher_process import PublisherProcess, publish_or_hand_back


class PushPublisher:
    def __init__(
        self,
        inner: Dispatcher,
        database_url: str,
        *,
        quiet_seconds: float = 0.02,
        max_wait_seconds: float = 0.5,
        courier: PublisherProcess | None = None,
    ) -> None:
        """Pushes are published `quiet_seconds` after the last one noted, and never more
        than `max_wait_seconds` after the first one waiting: by `courier`'s process, or
        without one by `inner` from this process's own thread."""
        self._inner = inner
        self._courier = courier
        self._database_url = database_url
        self._quiet = quiet_seconds
        self._max_wait = max_wait_seconds
        self._pending: list[Job] = []
        self._first = self._last = 0.0
        self._changed = threading.Condition()
        threading.Thread(target=self._run, name="grader-push-publisher", daemon=True).start()
        atexit.register(self.close)  # a stopping api publishes what it noted

    @classmethod
    def from_settings(cls, settings: Settings) -> PushPublisher:
        return cls(
            CeleryDispatcher.from_settings(settings),
            settings.database_url,
            courier=PublisherProcess(settings),
        )

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
        """Publish every push noted, now (handed to the courier: it may still be at it)."""
        with self._changed:
            jobs, self._pending = self._pending, []
        self._publish(jobs)

    def close(self) -> None:
        """Publish every push noted and wait until the courier has."""
        self.flush()
        if self._courier is not None:
            self._courier.close()

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
        if not jobs:
            return
        if self._courier is not None:
            self._courier.publish(jobs)
        else:
            publish_or_hand_back(self._inner, self._database_url, jobs)
