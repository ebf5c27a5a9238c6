"""The `docker` backend: the students' own image (citusdata/citus:12.1), one internal network and
four containers per cluster, isolated from the host, the network and the other clusters.

The grader reaches the nodes by joining its own container to the cluster's network
(`worker_container`), or, for a worker on the host, through ports published on 127.0.0.1 only
(`publish_loopback`). See docs/docker.md for the trade-offs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import docker
import docker.errors
import psycopg
from psycopg.conninfo import make_conninfo

from grader.cluster.base import MemoryWatch, Node, TemplateCluster
from grader.cluster.docker import bootstrap as docker_bootstrap
from grader.cluster.docker import firewall
from grader.cluster.docker.guard import assert_no_secrets
from grader.cluster.docker.health import wait_healthy
from grader.cluster.docker.heartbeat import owner_id
from grader.cluster.docker.spec import (
    CLUSTER_LABEL,
    COORDINATOR_HOST,
    GRADING_CONF,
    POSTGRES_PORT,
    POSTGRES_USER,
    ClusterIdentity,
    edge_network_kwargs,
    network_kwargs,
    node_kwargs,
    node_roles,
    parse_conf,
    process_memory_mb,
    worker_host,
)
from grader.cluster.lab_databases import LabDatabases
from grader.core.errors import InfrastructureError
from grader.core.trace import EngineInfo
from grader.settings import Settings

log = logging.getLogger(__name__)


def connect_engine() -> Any:
    """A docker SDK client from the usual DOCKER_HOST / TLS environment, checked with a ping."""
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        raise InfrastructureError(f"no Docker engine reachable: {exc}") from exc
    return client


class DockerCluster(TemplateCluster):
    def __init__(self, client: Any, identity: ClusterIdentity, settings: Settings) -> None:
        self._client = client
        self.identity = identity
        self._settings = settings
        self._containers: dict[str, Any] = {}  # role -> docker Container, coordinator first
        self._networks: list[Any] = []  # the internal network first
        self._attached = False  # the worker's own container joined the internal network
        self._nodes: list[Node] = []
        self._databases: LabDatabases | None = None
        self._engine: EngineInfo | None = None
        self._closed = False

    @classmethod
    def start(cls, settings: Settings, client: Any | None = None) -> DockerCluster:
        """Containers up and healthy, then Citus, the lab role and the workers made ready."""
        cluster = cls.launch(settings, client)
        try:
            cluster.assert_isolated()
            cluster.bootstrap()
        except BaseException:
            cluster.close()
            raise
        return cluster

    @classmethod
    def launch(cls, settings: Settings, client: Any | None = None) -> DockerCluster:
        """The engine's part: network, containers, health. No SQL yet."""
        docker_settings = settings.docker
        if not docker_settings.worker_container and not docker_settings.publish_loopback:
            raise InfrastructureError(
                "the docker backend needs a way to reach the nodes: set "
                "GRADER_DOCKER__WORKER_CONTAINER to the grading worker's own container, or "
                "GRADER_DOCKER__PUBLISH_LOOPBACK=true for a worker on the engine's host"
            )
        try:
            grading = parse_conf(GRADING_CONF.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InfrastructureError(
                f"cannot read the node settings {GRADING_CONF}: {exc}"
            ) from exc
        identity = ClusterIdentity.new(owner_id(), time.time())
        cluster = cls(client or connect_engine(), identity, settings)
        deadline = time.monotonic() + docker_settings.start_timeout_seconds
        try:
            cluster._create(grading)
            wait_healthy(cluster._containers, deadline, docker_settings.start_timeout_seconds)
            cluster._nodes = cluster._grader_addresses()
        except docker.errors.DockerException as exc:
            cluster.close()
            raise InfrastructureError(f"the Docker engine refused the cluster: {exc}") from exc
        except BaseException:
            cluster.close()
            raise
        return cluster

    def assert_isolated(self) -> None:
        """For a host worker: the host rule in place (installed here when this process may),
        and no node able to connect to the host, before any job runs. A worker in a container
        leaves the internal network, which has no host address, and needs neither."""
        if not self._settings.docker.publish_loopback:
            return
        unconfirmed = firewall.ensure_host_rules()
        coordinator = self._containers["coordinator"]
        coordinator.reload()
        firewall.assert_host_unreachable(
            coordinator, firewall.host_addresses(coordinator), unconfirmed
        )

    def bootstrap(self) -> None:
        try:
            self._bootstrap()
        except psycopg.Error as exc:
            raise InfrastructureError(f"preparing the docker cluster failed: {exc}") from exc

    def _bootstrap(self) -> None:
        deadline = time.monotonic() + self._settings.docker.start_timeout_seconds
        docker_bootstrap.wait_until_reachable(self._nodes, self._admin_dsn, deadline)
        citus = docker_bootstrap.has_citus(self._nodes[0], self._admin_dsn)
        if not citus:  # nothing would ever reach a worker: the coordinator alone serves
            for role in list(self._containers)[1:]:
                self._remove_container(self._containers.pop(role))
            self._nodes = self._nodes[:1]
        workers = [(worker_host(n), POSTGRES_PORT) for n in range(1, len(self._nodes))]
        self._databases = LabDatabases(
            self._nodes,
            self._admin_dsn,
            coordinator_address=(COORDINATOR_HOST, POSTGRES_PORT),
            worker_addresses=workers,
            has_citus=citus,
            limits=self._settings.limits,
        )
        docker_bootstrap.bootstrap(self._databases, self.identity.password, workers)
        self._engine = docker_bootstrap.read_engine_info(self._databases, "docker")

    @property
    def databases(self) -> LabDatabases:
        if self._databases is None:
            raise InfrastructureError("the docker cluster is not bootstrapped")
        return self._databases

    def memory_watch(self) -> MemoryWatch:
        docker_settings = self._settings.docker
        return MemoryWatch(
            statement_limit=(
                f"node memory limit ({process_memory_mb(docker_settings)} MB per server process)"
            ),
            node_limit=f"node memory limit ({docker_settings.memory} per node)",
            kills=self._oom_kills,
        )

    def _oom_kills(self) -> int:
        """The engine's out-of-memory events of this cluster's containers so far: one per
        process the kernel killed in a node. (State.OOMKilled says so only once the container
        has exited, and a node outlives the kill of one of its server processes.)"""
        try:
            events = self._client.events(
                since=self.identity.started_at,
                until=time.time(),
                decode=True,
                filters={
                    "type": "container",
                    "event": "oom",
                    "label": f"{CLUSTER_LABEL}={self.identity.cluster_id}",
                },
            )
            try:
                return sum(1 for _ in events)
            finally:
                events.close()
        except docker.errors.DockerException as exc:
            raise InfrastructureError(f"the Docker engine's events are unreadable: {exc}") from exc

    def close(self) -> None:
        """Remove every container, then let go of the networks. Failures are logged, not
        raised: whatever stays behind carries our labels and the reaper removes it."""
        if self._closed:
            return
        self._closed = True
        if self._databases is not None:
            self._databases.close()
        for container in self._containers.values():
            self._remove_container(container)
        self._containers = {}
        if self._attached:
            self._quietly(
                "disconnect the worker container",
                lambda: self._networks[0].disconnect(
                    self._settings.docker.worker_container, force=True
                ),
            )
        for network in self._networks:
            self._quietly(f"remove network {network.name}", network.remove)

    def _create(self, grading: dict[str, str]) -> None:
        docker_settings = self._settings.docker
        self._ensure_image(docker_settings.image)
        internal = self._client.networks.create(**network_kwargs(self.identity))
        self._networks.append(internal)
        if docker_settings.publish_loopback:
            self._networks.append(
                self._client.networks.create(**edge_network_kwargs(self.identity))
            )
        if docker_settings.worker_container:
            internal.connect(docker_settings.worker_container)
            self._attached = True
        for role, host in node_roles(docker_settings.workers):
            spec = node_kwargs(self.identity, role, host, docker_settings, grading)
            assert_no_secrets(spec, self._settings)
            container = self._client.containers.create(**spec)
            self._containers[role] = container
            if docker_settings.publish_loopback:  # started on the edge; join the cluster too
                internal.connect(container, aliases=[host])
        for container in self._containers.values():
            container.start()

    def _ensure_image(self, image: str) -> None:
        try:
            self._client.images.get(image)
        except docker.errors.ImageNotFound:
            log.info("pulling %s", image)
            self._client.images.pull(image)

    def _grader_addresses(self) -> list[Node]:
        """Nodes as the grader reaches them: by container name on the joined network, or by
        the loopback port the engine picked."""
        nodes = []
        for role, container in self._containers.items():
            if not self._settings.docker.publish_loopback:
                nodes.append(Node(role, self.identity.container_name(role), POSTGRES_PORT))
                continue
            ports = (container.attrs.get("NetworkSettings") or {}).get("Ports") or {}
            bindings = ports.get(f"{POSTGRES_PORT}/tcp") or []
            loopback = [b for b in bindings if b.get("HostIp") == "127.0.0.1"]
            if not loopback:
                raise InfrastructureError(f"{role} has no port published on 127.0.0.1: {ports}")
            nodes.append(Node(role, "127.0.0.1", int(loopback[0]["HostPort"])))
        return nodes

    def _admin_dsn(self, node: Node, database: str) -> str:
        return make_conninfo(
            host=node.host,
            port=node.port,
            user=POSTGRES_USER,
            password=self.identity.password,
            dbname=database,
        )

    def _remove_container(self, container: Any) -> None:
        self._quietly(
            f"remove container {container.name}", lambda: container.remove(force=True, v=True)
        )

    def _quietly(self, what: str, action: Callable[[], object]) -> None:
        try:
            action()
        except docker.errors.NotFound:
            pass
        except docker.errors.DockerException as exc:
            log.warning("could not %s of cluster %s: %s", what, self.identity.cluster_id, exc)
