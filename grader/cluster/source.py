"""Where a grading session gets a cluster for each job.

The `local` backend owns one cluster and runs one job on it at a time (prepared
transaction names are per node, so two jobs on one cluster could collide). The `docker`
backend leases warm clusters from a pool, with heartbeats and a reaper for what a dead
worker left behind.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from grader.cluster.base import Cluster
from grader.core.errors import GraderError
from grader.settings import Settings


class ClusterSource(ABC):
    @abstractmethod
    def lease(self) -> AbstractContextManager[Cluster]:
        """A cluster for one job, given back when the block ends."""

    @abstractmethod
    def close(self) -> None: ...


class OwnCluster(ClusterSource):
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._one_job_at_a_time = threading.Lock()

    @contextmanager
    def lease(self) -> Iterator[Cluster]:
        with self._one_job_at_a_time:
            yield self.cluster

    def close(self) -> None:
        self.cluster.close()


class PooledClusters(ClusterSource):
    def __init__(self, settings: Settings) -> None:
        from grader.cluster.docker.runtime import DockerGrading

        self._grading = DockerGrading(settings).__enter__()

    def lease(self) -> AbstractContextManager[Cluster]:
        return self._grading.pool.lease()

    def close(self) -> None:
        self._grading.__exit__()


def open_source(settings: Settings) -> ClusterSource:
    if settings.backend == "local":
        from grader.cluster.local.cluster import LocalCluster

        return OwnCluster(LocalCluster.start(settings.local, settings.limits))
    if settings.backend == "docker":
        return PooledClusters(settings)
    raise GraderError(f"unknown backend {settings.backend!r}: choose 'local' or 'docker'")
