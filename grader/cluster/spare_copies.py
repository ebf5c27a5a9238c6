"""The next job's copy of the lab, made in the background while the current job runs.

Copying the template on every node is most of the wait before a student's SQL can start
(about a second on a Citus cluster on two cores): with a spare ready, a job starts at once.
At most one spare exists per template (the lab's seed, and each variant data set a job
also runs on); a spare is only handed out for the template it was made from, and spares
are made one after the other, so a burst of copies never competes with the running job.
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
        self._spares: dict[str, Future[JobDatabase]] = {}  # template -> its next copy
        self._names: set[str] = set()  # spares made and not yet handed out
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spare-copy")

    def take(self, template: str) -> JobDatabase | None:
        """The spare of `template`, waiting for it if it is still being made; None when
        there is none or making it failed (the caller then copies the template itself)."""
        with self._lock:
            future = self._spares.pop(template, None)
        if future is None:
            return None
        try:
            job = future.result()
        except Exception as exc:  # a failed spare is not worth failing the job over
            log.warning("a spare copy could not be made: %s", exc)
            return None
        with self._lock:
            self._names.discard(job.name)
        return job

    def refill(self, template: str) -> None:
        """Start making the next spare of `template`, unless one is already on its way."""
        with self._lock:
            if template in self._spares:
                return
            name = f"spare_{uuid.uuid4().hex[:12]}"
            self._spares[template] = self._worker.submit(self._made, template, name)

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
        """Wait for the spares in the making and drop them, while the nodes still run."""
        with self._lock:
            spares, self._spares = list(self._spares.values()), {}
        for future in spares:
            try:
                self._drop(future.result())
            except Exception as exc:  # the nodes are about to stop anyway
                log.warning("a spare copy could not be dropped: %s", exc)
        self._worker.shutdown(wait=True)
