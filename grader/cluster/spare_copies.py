"""The next job's copy of the lab, made in the background while the current job runs.

Copying the template on every node is most of the wait before a student's SQL can start
(about a second on a Citus cluster on two cores): with a spare ready, a job starts at once.
At most one spare exists per cluster; it is made from one template and only handed out
for that template.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from grader.cluster.base import JobDatabase

log = logging.getLogger(__name__)

MakeCopy = Callable[[str, str], JobDatabase]  # (template, job id) -> a fresh copy
DropCopy = Callable[[JobDatabase], None]


class SpareCopies:
    def __init__(self, make: MakeCopy, drop: DropCopy) -> None:
        self._make = make
        self._drop = drop
        self._lock = threading.Lock()
        self._spare: tuple[str, Future[JobDatabase]] | None = None  # (template, copy)
        self._names: set[str] = set()  # spares made and not yet handed out
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spare-copy")

    def take(self, template: str) -> JobDatabase | None:
        """The spare of `template`, waiting for it if it is still being made; None when
        there is none or making it failed (the caller then copies the template itself)."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is None:
            return None
        made_from, future = spare
        try:
            job = future.result()
        except Exception as exc:  # a failed spare is not worth failing the job over
            log.warning("a spare copy could not be made: %s", exc)
            return None
        with self._lock:
            self._names.discard(job.name)
        if made_from != template:  # the lab changed since: this copy holds the old state
            self._drop(job)
            return None
        return job

    def refill(self, template: str) -> None:
        """Start making the next spare, unless one is already on its way."""
        with self._lock:
            if self._spare is not None:
                return
            name = f"spare_{uuid.uuid4().hex[:12]}"
            self._spare = (template, self._worker.submit(self._made, template, name))

    def _made(self, template: str, job_id: str) -> JobDatabase:
        job = self._make(template, job_id)
        with self._lock:
            self._names.add(job.name)
        return job

    @property
    def names(self) -> frozenset[str]:
        """Databases that are spares, not left-overs of a job."""
        with self._lock:
            return frozenset(self._names)

    def close(self) -> None:
        """Wait for a spare in the making and drop it, while the nodes still run."""
        with self._lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            try:
                self._drop(spare[1].result())
            except Exception as exc:  # the nodes are about to stop anyway
                log.warning("a spare copy could not be dropped: %s", exc)
        self._worker.shutdown(wait=True)
