"""Where a grading session gets a cluster for each job.

`open_source` picks the backend (grader/cluster/choose.py), and every cluster it hands out
says why in its engine info. The `local` backend owns one cluster and lends it to every job at
once: each job has its own copy of the lab, and the only statements two jobs could collide
on, prepared transactions (their names are per node), take turns
(grader/run/prepared_lock.py).
The `docker` backend leases warm clusters from a pool, with heartbeats and a reaper for what
a dead worker left behind.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from grader.cluster.base import Cluster
from grader.cluster.choose import Choice, choose
from grader.settings import Settings

log = logging.getLogger(__name__)


class ClusterSource(ABC):
    choice: Choice

    @abstractmethod
    def lease(self) -> AbstractContextManager[Cluster]:
        """A cluster for one job, given back when the block ends."""

    @abstractmethod
    def close(self) -> None: ...


class OwnCluster(ClusterSource):
    def __init__(self, cluster: Cluster, choice: Choice) -> None:
        self.cluster = cluster
        self.choice = choice
        cluster.chosen_because = choice.reason

    @contextmanager
    def lease(self) -> Iterator[Cluster]:
        yield self.cluster

    def close(self) -> None:
        self.cluster.close()


class PooledClusters(ClusterSource):
    def __init__(self, settings: Settings, choice: Choice) -> None:
        from grader.cluster.docker.runtime import DockerGrading

        self.choice = choice
        self._grading = DockerGrading(settings).__enter__()

    @contextmanager
    def lease(self) -> Iterator[Cluster]:
        with self._grading.pool.lease() as cluster:  # the pool replaces clusters: tell each
            cluster.chosen_because = self.choice.reason
            yield cluster

    def close(self) -> None:
        self._grading.__exit__()


def open_source(settings: Settings) -> ClusterSource:
    choice = choose(settings)
    log.info("grading on the %s backend (%s)", choice.backend, choice.reason)
    if choice.backend == "docker":
        return PooledClusters(settings, choice)
    from grader.cluster.local.cluster import LocalCluster

    return OwnCluster(LocalCluster.start(settings.local, settings.limits), choice)
