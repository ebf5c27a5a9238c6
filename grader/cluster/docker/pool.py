"""Warm grading clusters, each leased to one job at a time. Engine-agnostic: any `Cluster`.

Starting a cluster takes seconds (Docker: tens of seconds); a job takes less. So a worker keeps
a few started and lends one per job. A cluster is checked when it comes back and again before it
is lent: one that fails is closed and its place refilled, so a job never gets a broken cluster.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from grader.cluster.base import Cluster
from grader.core.errors import GraderError, InfrastructureError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClusterHealth:
    """What a health probe found; no problems means the cluster may serve another job."""

    problems: tuple[str, ...] = ()

    @property
    def healthy(self) -> bool:
        return not self.problems


HealthProbe = Callable[[Cluster], ClusterHealth]


class NoClusterAvailable(InfrastructureError):
    code = "cluster.unavailable"


class ClusterPool:
    """Up to `size` clusters from `factory`; `lease()` lends one to one job at a time."""

    def __init__(
        self,
        factory: Callable[[], Cluster],
        probe: HealthProbe,
        size: int,
        wait_seconds: float,
    ) -> None:
        if size < 1:
            raise ValueError(f"a cluster pool needs a size of at least 1, not {size}")
        self._factory = factory
        self._probe = probe
        self._size = size
        self._wait_seconds = wait_seconds
        self._idle: list[Cluster] = []
        self._leased = 0
        self._starting = 0
        self._closed = False
        self._replacers: list[threading.Thread] = []
        self._cond = threading.Condition()

    def fill(self) -> None:
        """Start clusters until the pool is full: at worker start, so the first jobs need not
        wait. A cluster that fails to start raises, after freeing its place."""
        while self._reserve_place():
            self._add_started(self._start())

    @contextmanager
    def lease(self, wait_seconds: float | None = None) -> Iterator[Cluster]:
        deadline = time.monotonic() + (self._wait_seconds if wait_seconds is None else wait_seconds)
        cluster = self._acquire(deadline)
        try:
            yield cluster
        finally:
            self._release(cluster)

    def close(self) -> None:
        """Close idle clusters now and leased ones when they come back."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            replacers = list(self._replacers)
            self._cond.notify_all()
        for cluster in idle:
            _close_quietly(cluster)
        for thread in replacers:
            thread.join()

    def __enter__(self) -> ClusterPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _acquire(self, deadline: float) -> Cluster:
        while True:
            cluster = self._take_or_reserve(deadline)
            if cluster is None:
                started = self._start()
                with self._cond:
                    self._starting -= 1
                    self._leased += 1
                return started
            health = self._check(cluster)
            if health.healthy:
                return cluster
            self._discard(cluster, health, replace=False)

    def _take_or_reserve(self, deadline: float) -> Cluster | None:
        """An idle cluster (now leased), or None with a place reserved for a new one."""
        with self._cond:
            while True:
                if self._closed:
                    raise NoClusterAvailable("the cluster pool is closed")
                if self._idle:
                    self._leased += 1
                    return self._idle.pop()
                if self._in_use() < self._size:
                    self._starting += 1
                    return None
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise NoClusterAvailable(
                        f"no grading cluster free after waiting {self._wait_seconds:g} s: "
                        f"all {self._size} are busy ({self._leased} leased, "
                        f"{self._starting} starting)"
                    )
                self._cond.wait(remaining)

    def _release(self, cluster: Cluster) -> None:
        health = self._check(cluster)
        with self._cond:
            if health.healthy and not self._closed:
                self._leased -= 1
                self._idle.append(cluster)
                self._cond.notify()
                return
        self._discard(cluster, health, replace=True)

    def _discard(self, cluster: Cluster, health: ClusterHealth, replace: bool) -> None:
        if health.problems:
            log.warning("discarding a grading cluster: %s", "; ".join(health.problems))
        _close_quietly(cluster)
        with self._cond:
            self._leased -= 1
            self._cond.notify()
            if replace and not self._closed:
                thread = threading.Thread(target=self._replace, name="cluster-pool-replace")
                self._replacers.append(thread)
                thread.start()

    def _replace(self) -> None:
        """Refill a place in the background; on failure the place stays free and a later
        lease starts the cluster itself."""
        try:
            if self._reserve_place():
                try:
                    cluster = self._start()
                except GraderError as exc:
                    log.warning("could not replace a grading cluster: %s", exc.message)
                    return
                self._add_started(cluster)
        finally:
            with self._cond:
                self._replacers.remove(threading.current_thread())

    def _reserve_place(self) -> bool:
        with self._cond:
            if self._closed or self._in_use() >= self._size:
                return False
            self._starting += 1
            return True

    def _start(self) -> Cluster:
        """Run the factory for a reserved place; the place is freed if it fails."""
        try:
            return self._factory()
        except BaseException as exc:
            with self._cond:
                self._starting -= 1
                self._cond.notify()
            if isinstance(exc, GraderError) or not isinstance(exc, Exception):
                raise
            raise InfrastructureError(f"could not start a grading cluster: {exc}") from exc

    def _add_started(self, cluster: Cluster) -> None:
        with self._cond:
            self._starting -= 1
            closed = self._closed
            if not closed:
                self._idle.append(cluster)
                self._cond.notify()
        if closed:
            _close_quietly(cluster)

    def _in_use(self) -> int:
        return len(self._idle) + self._leased + self._starting

    def _check(self, cluster: Cluster) -> ClusterHealth:
        try:
            return self._probe(cluster)
        except Exception as exc:  # a probe that cannot even run has found a broken cluster
            return ClusterHealth((f"health probe failed: {exc}",))


def _close_quietly(cluster: Cluster) -> None:
    try:
        cluster.close()
    except Exception:
        log.exception("closing a discarded grading cluster failed")
