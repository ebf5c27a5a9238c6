"""A real DockerCluster on a real engine: run with `pytest -m docker_engine` where one is
reachable (DOCKER_HOST and friends as for the docker CLI). Skipped elsewhere, saying why."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docker
import psycopg
import pytest
from local_cluster_support import write_tiny_lab

from grader.cluster.docker import backend as docker_backend
from grader.cluster.docker.backend import DockerCluster
from grader.cluster.docker.cluster_health import probe
from grader.cluster.docker.pool import ClusterPool
from grader.cluster.docker.reaper import reap
from grader.cluster.docker.spec import CLUSTER_LABEL, OWNER_LABEL
from grader.settings import Settings

pytestmark = [pytest.mark.docker_engine, pytest.mark.slow]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    try:
        engine = docker.from_env()
        engine.ping()
    except Exception as exc:  # any failure to reach an engine means: not here
        pytest.skip(f"no Docker engine reachable: {exc}")
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def image(client: Any, settings: Settings) -> str:
    """The configured node image, present on the engine: an engine without it (and no registry
    to pull from) is not a place to run these tests."""
    name = settings.docker.image
    try:
        client.images.get(name)
    except docker.errors.ImageNotFound:
        pytest.skip(f"the Docker image {name} is not on the engine (scripts/docker-image)")
    return name


@pytest.fixture(scope="module")
def settings() -> Settings:
    """As configured (GRADER_DOCKER__*); a test run on the engine's host publishes on loopback
    unless it runs in a container named by GRADER_DOCKER__WORKER_CONTAINER."""
    configured = Settings()
    if configured.docker.worker_container:
        return configured
    docker_settings = configured.docker.model_copy(update={"publish_loopback": True})
    return configured.model_copy(update={"docker": docker_settings})


@pytest.fixture(scope="module")
def cluster(client: Any, settings: Settings, image: str) -> Iterator[DockerCluster]:
    started = DockerCluster.start(settings, client)
    try:
        yield started
    finally:
        started.close()
    leftovers = client.containers.list(
        all=True, filters={"label": f"{CLUSTER_LABEL}={started.identity.cluster_id}"}
    )
    assert leftovers == [], "close() removes every container"


def needs_citus(cluster: DockerCluster, image: str) -> None:
    if not cluster.engine_info().has_citus:
        pytest.skip(f"the Docker image {image} has no Citus")


def test_the_engine_is_the_students_one(cluster: DockerCluster, image: str) -> None:
    needs_citus(cluster, image)
    info = cluster.engine_info()
    assert info.backend == "docker"
    assert info.postgres_version.startswith("16.")
    assert info.citus_version is not None and info.citus_version.startswith("12.1")
    assert info.workers == 3


def test_a_job_gets_a_private_copy(cluster: DockerCluster, tmp_path: Path) -> None:
    lab = write_tiny_lab(tmp_path)
    cluster.prepare_lab(lab)
    job = cluster.new_job(lab, "engine-test")
    try:
        with psycopg.connect(job.student_dsn, autocommit=True) as conn:
            assert conn.execute("SELECT count(*) FROM patients").fetchone() == (3,)
            conn.execute("INSERT INTO patients VALUES (4, 'Lea', 'France')")
    finally:
        cluster.end_job(job)
    assert probe(cluster).healthy
    again = cluster.new_job(lab, "engine-test-2")
    try:
        with psycopg.connect(again.student_dsn) as conn:
            assert conn.execute("SELECT count(*) FROM patients").fetchone() == (3,)
    finally:
        cluster.end_job(again)


def test_plans_name_the_students_hosts(cluster: DockerCluster, image: str, tmp_path: Path) -> None:
    needs_citus(cluster, image)
    lab = write_tiny_lab(tmp_path)
    cluster.prepare_lab(lab)
    job = cluster.new_job(lab, "engine-test-plan")
    try:
        with psycopg.connect(job.student_dsn, autocommit=True) as conn:
            plan = "\n".join(
                str(r[0])
                for r in conn.execute("EXPLAIN SELECT * FROM patients WHERE country = 'Japan'")
            )
            assert "host=citus_worker" in plan
    finally:
        cluster.end_job(job)


def test_nodes_cannot_reach_beyond_their_network(client: Any, cluster: DockerCluster) -> None:
    coordinator = client.containers.get(cluster.identity.container_name("coordinator"))
    # Without a route (internal network) this fails at once; on the edge network of
    # publish_loopback nothing is masqueraded, so no answer ever comes back.
    code, _ = coordinator.exec_run(
        ["timeout", "5", "bash", "-c", "exec 3<>/dev/tcp/1.1.1.1/53"], user="postgres"
    )
    assert code != 0
    attrs = coordinator.attrs["HostConfig"]
    assert attrs["CapDrop"] == ["ALL"] and attrs["Privileged"] is False


def test_a_pool_leases_a_healthy_docker_cluster(
    client: Any, settings: Settings, image: str
) -> None:
    with ClusterPool(lambda: DockerCluster.start(settings, client), probe, 1, 300) as pool:
        with pool.lease() as leased:
            assert isinstance(leased, DockerCluster)
            assert probe(leased).healthy
        with pool.lease() as again:
            assert again is leased


def test_the_reaper_removes_an_orphan_and_nothing_else(
    client: Any, settings: Settings, cluster: DockerCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(docker_backend, "owner_id", lambda: "engine-test-orphan:1")
    orphan = DockerCluster.launch(settings, client)
    ours = client.containers.list(all=True, filters={"label": CLUSTER_LABEL})
    others = {c.labels[OWNER_LABEL] for c in ours} - {"engine-test-orphan:1"}
    decisions = reap(client, now=time.time(), live_owners=others, grace_seconds=0)
    assert [d.cluster_id for d in decisions] == [orphan.identity.cluster_id]
    label = f"{CLUSTER_LABEL}={orphan.identity.cluster_id}"
    assert client.containers.list(all=True, filters={"label": label}) == []
    assert client.networks.list(filters={"label": label}) == []
    assert probe(cluster).healthy, "a live owner's cluster is untouched"
    orphan.close()  # finds nothing left, and says nothing


def gateways(client: Any, cluster: DockerCluster, *, internal_only: bool) -> set[str]:
    label = f"{CLUSTER_LABEL}={cluster.identity.cluster_id}"
    found: set[str] = set()
    for network in client.networks.list(filters={"label": label}):
        if internal_only and network.name != cluster.identity.network_name:
            continue
        for config in network.attrs.get("IPAM", {}).get("Config") or []:
            if config.get("Gateway"):
                found.add(config["Gateway"])
    return found


def host_addresses(client: Any, cluster: DockerCluster) -> set[str]:
    """Every address of the host a node could try: the gateways of the cluster's networks and
    of the engine's default bridge, and the host's own addresses."""
    addresses = gateways(client, cluster, internal_only=False)
    for family, _, _, _, sockaddr in socket.getaddrinfo(socket.gethostname(), None):
        address = str(sockaddr[0])
        if family == socket.AF_INET and not address.startswith("127."):
            addresses.add(address)
    bridge = client.networks.get("bridge").attrs["IPAM"]["Config"]
    addresses.update(c["Gateway"] for c in bridge if c.get("Gateway"))
    return addresses


def reached_from_node(client: Any, cluster: DockerCluster, addresses: set[str]) -> list[str]:
    """What a node reaches of a listener the host opens on all its addresses (0.0.0.0), as a
    careless service of the host would."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("0.0.0.0", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    coordinator = client.containers.get(cluster.identity.container_name("coordinator"))
    reached = []
    try:
        for address in sorted(addresses):
            code, _ = coordinator.exec_run(
                ["timeout", "3", "bash", "-c", f"exec 3<>/dev/tcp/{address}/{port}"],
                user="postgres",
            )
            if code == 0:
                reached.append(address)
        try:
            accepted, _ = listener.accept()
            accepted.close()
            reached.append("the listener accepted a connection")
        except BlockingIOError:
            pass
    finally:
        listener.close()
    return reached


def test_the_cluster_network_has_no_gateway_to_the_host(
    client: Any, cluster: DockerCluster
) -> None:
    addresses = gateways(client, cluster, internal_only=True)
    assert addresses, "the engine names a gateway for the cluster's network"
    assert reached_from_node(client, cluster, addresses) == []


def test_a_node_has_no_route_to_the_host(client: Any, cluster: DockerCluster) -> None:
    """In both modes: a host worker's cluster started only once the host rule held
    (tests/test_no_route.py tries both modes and more ports)."""
    addresses = host_addresses(client, cluster)
    assert addresses, "the host has addresses to try"
    assert reached_from_node(client, cluster, addresses) == []
