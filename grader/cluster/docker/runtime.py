"""What one grading worker process runs on the docker backend, wired together: heartbeats, a
sweep of orphaned clusters at start, and the warm pool its jobs lease from.

Clusters belong to the process that started them (the owner label holds host name and pid), so
build this in every worker process (with Celery's prefork pool: in `worker_process_init`).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis

from grader.cluster.docker import cluster_health
from grader.cluster.docker.backend import DockerCluster, connect_engine
from grader.cluster.docker.heartbeat import Heartbeats, HeartbeatThread, owner_id
from grader.cluster.docker.pool import ClusterPool
from grader.cluster.docker.reaper import Reap, reap
from grader.core.errors import InfrastructureError
from grader.settings import Settings

log = logging.getLogger(__name__)


class DockerGrading:
    """A context manager: on enter, beat, sweep, start the pool (warm if `fill`) and sweep
    again every `reap_after_seconds`; on exit, close the pool's clusters, then stop beating."""

    def __init__(
        self,
        settings: Settings,
        client: Any | None = None,
        redis_client: Any | None = None,
        *,
        fill: bool = True,
    ) -> None:
        if settings.docker.heartbeat_seconds * 2 > settings.docker.reap_after_seconds:
            raise ValueError(
                f"GRADER_DOCKER__REAP_AFTER_SECONDS ({settings.docker.reap_after_seconds:g}) must "
                "be at least twice GRADER_DOCKER__HEARTBEAT_SECONDS "
                f"({settings.docker.heartbeat_seconds:g}), or live workers' clusters get reaped"
            )
        self._settings = settings
        self._client = client
        self._redis = redis_client
        self._fill = fill
        self._beats: HeartbeatThread | None = None
        self._heartbeats: Heartbeats | None = None
        self._pool: ClusterPool | None = None
        self._stop_sweeping = threading.Event()
        self._sweeper = threading.Thread(target=self._sweep, name="cluster-sweeper", daemon=True)

    @property
    def pool(self) -> ClusterPool:
        if self._pool is None:
            raise RuntimeError("DockerGrading is used outside its `with` block")
        return self._pool

    def reap_orphans(self) -> list[Reap]:
        """Remove the clusters of workers that stopped beating."""
        if self._heartbeats is None or self._client is None:
            raise RuntimeError("DockerGrading is used outside its `with` block")
        removed = reap(
            self._client,
            now=time.time(),
            live_owners=self._heartbeats.live_owners(),
            grace_seconds=self._settings.docker.reap_after_seconds,
        )
        for decision in removed:
            log.warning("removed orphaned cluster %s: %s", decision.cluster_id, decision.reason)
        return removed

    def __enter__(self) -> DockerGrading:
        docker_settings = self._settings.docker
        self._client = self._client or connect_engine()
        redis_client = self._redis or redis.Redis.from_url(self._settings.redis_url)
        try:
            redis_client.ping()
        except redis.RedisError as exc:
            raise InfrastructureError(
                "the docker backend keeps its workers' heartbeats in Redis and cannot reach "
                f"the one GRADER_REDIS_URL names ({exc}): start that Redis, or set "
                "GRADER_REDIS_URL to one that runs"
            ) from exc
        self._heartbeats = Heartbeats(redis_client, ttl_seconds=docker_settings.reap_after_seconds)
        self._beats = HeartbeatThread(
            self._heartbeats, owner_id(), docker_settings.heartbeat_seconds
        )
        self._beats.start()
        try:
            self.reap_orphans()
            client = self._client
            self._pool = ClusterPool(
                lambda: DockerCluster.start(self._settings, client),
                cluster_health.probe,
                size=docker_settings.pool_size,
                wait_seconds=docker_settings.lease_timeout_seconds,
            )
            self._sweeper.start()
            if self._fill:
                self._pool.fill()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop_sweeping.set()
        if self._sweeper.is_alive():
            self._sweeper.join()
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self._beats is not None:
            self._beats.stop()
            self._beats = None

    def _sweep(self) -> None:
        """A predecessor's clusters stay "live" until its last beat expires: a sweep at start
        cannot take them, a later one does."""
        while not self._stop_sweeping.wait(self._settings.docker.reap_after_seconds):
            try:
                self.reap_orphans()
            except Exception as exc:  # the engine or Redis blinked: the next sweep retries
                log.warning("sweeping orphaned clusters failed: %s", exc)
