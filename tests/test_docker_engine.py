"""A real DockerCluster on a real engine: run with `pytest -m docker_engine` where one is
reachable (DOCKER_HOST and friends as for the docker CLI). Skipped elsewhere, saying why."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from local_cluster_support import exercise, write_tiny_lab

from grader.cluster.base import JobDatabase
from grader.cluster.docker import backend as docker_backend
from grader.cluster.docker import spec
from grader.cluster.docker.backend import DockerCluster
from grader.cluster.docker.cluster_health import probe
from grader.cluster.docker.pool import ClusterPool
from grader.cluster.docker.reaper import reap
from grader.cluster.docker.spec import CLUSTER_LABEL, OWNER_LABEL
from grader.core.lab import Lab, default_lab_path, load_lab
from grader.core.report import RunStatus, Status
from grader.core.trace import Outcome
from grader.pipeline.session import GradingSession
from grader.run.execute import NodeRecovery, execute
from grader.settings import Limits, Settings

pytestmark = [pytest.mark.docker_engine, pytest.mark.slow]
pytest_plugins = ["docker_engine_fixtures"]


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


PATIENT = Limits(statement_seconds=60, exercise_seconds=90, job_seconds=240)


def copies(cluster: DockerCluster, lab: Lab, made: list[JobDatabase]) -> Callable[[], JobDatabase]:
    def fresh_copy() -> JobDatabase:
        made.append(cluster.new_job(lab, f"memory-{len(made)}"))
        return made[-1]

    return fresh_copy


def test_a_statement_cannot_build_a_gigabyte_on_a_node(
    cluster: DockerCluster, settings: Settings, tmp_path: Path
) -> None:
    """Each server process of a node may take half the node: the statement fails with the
    engine's out of memory, named, and the node is unharmed."""
    lab = write_tiny_lab(tmp_path)
    cluster.prepare_lab(lab)
    made: list[JobDatabase] = []
    recovery = NodeRecovery.of(cluster, copies(cluster, lab, made))
    assert recovery is not None
    kills = recovery.watch.kills()
    plan = [exercise("x", "SELECT length(repeat('x', 900000000))", "SELECT 1")]
    try:
        runs, _ = execute(recovery.fresh_copy(), plan, PATIENT, recovery=recovery)
    finally:
        for job in made:
            cluster.end_job(job)
    huge, after = runs["x"].statements
    half = spec.process_memory_mb(settings.docker)
    assert recovery.watch.statement_limit == f"node memory limit ({half} MB per server process)"
    assert (huge.outcome, huge.limit, huge.sqlstate) == (
        Outcome.LIMIT,
        recovery.watch.statement_limit,
        "53200",
    )
    assert after.rows == [("1",)]
    assert len(made) == 1 and recovery.watch.kills() == kills, "no node was killed"


def test_a_node_killed_for_memory_ends_the_exercise_and_the_rest_runs_on_a_fresh_copy(
    client: Any, settings: Settings, image: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no bound per server process, a statement outgrows its container: the kernel kills
    it, the engine reports the container's out-of-memory, and the grader names that limit."""
    monkeypatch.setattr(spec, "process_memory_mb", lambda _settings: 4096)
    small = settings.model_copy(
        update={"docker": settings.docker.model_copy(update={"memory": "320m", "workers": 1})}
    )
    cluster = DockerCluster.start(small, client)
    made: list[JobDatabase] = []
    try:
        lab = write_tiny_lab(tmp_path)
        cluster.prepare_lab(lab)
        recovery = NodeRecovery.of(cluster, copies(cluster, lab, made))
        assert recovery is not None
        kills = recovery.watch.kills()
        plan = [
            exercise("1", "SELECT length(repeat('x', 400000000))", "SELECT 2"),
            exercise("2", "SELECT count(*) FROM patients", "SELECT current_database()"),
        ]
        try:
            runs, job_limit = execute(recovery.fresh_copy(), plan, PATIENT, recovery=recovery)
        finally:
            for job in made:
                cluster.end_job(job)
        # One kill can raise many oom events (the cgroup reports each failed reclaim): the
        # statement ran once is shown by its one outcome before the skipped one, and two copies.
        assert recovery.watch.kills() > kills, "the engine reported the container's oom"
    finally:
        cluster.close()
    assert recovery.watch.node_limit == "node memory limit (320m per node)"
    hungry, skipped = runs["1"].statements
    assert (hungry.outcome, hungry.limit) == (Outcome.LIMIT, recovery.watch.node_limit)
    assert (skipped.outcome, skipped.limit) == (Outcome.SKIPPED, recovery.watch.node_limit)
    assert job_limit is None
    count, database = runs["2"].statements
    assert count.rows == [("3",)]
    assert len(made) == 2 and database.rows == [(made[1].name,)], "graded on a fresh copy"


NAMED_LIMIT = re.compile(
    r"Stopped by the (grader: )?("
    r"(statement|exercise|job) time limit \(\d+(\.\d+)? s\)"
    r"|temp file limit \(\w+\)"
    r"|node memory limit \(.+\)"
    r"|result row limit \([\d,]+ rows\)"
    r"|statement count limit \(\d+ per exercise\)"
    r")\.$"
)


def test_the_hostile_example_is_graded_on_docker_with_every_limit_named(
    settings: Settings, image: str
) -> None:
    docker_settings = settings.docker.model_copy(update={"pool_size": 1})
    graded = settings.model_copy(update={"backend": "docker", "docker": docker_settings})
    lab = load_lab(default_lab_path())
    with GradingSession.open(graded, lab) as session:
        has_citus = session.engine_info().has_citus
        report = session.grade_checkout(lab.root / "examples" / "hostile")
    assert report.status is RunStatus.COMPLETED, report.error
    assert report.engine is not None and report.engine.backend == "docker"
    stopped = [f.message for f in report.all_findings if f.message.startswith("Stopped by")]
    assert stopped, "the runaway statements were stopped"
    assert [m for m in stopped if not NAMED_LIMIT.match(m)] == []
    runaway = {"1.1a", "1.1b", "1.3"}  # generate_series to 10^10, a recursive CTE, 10^7 rows
    limited = {
        e.id for e in report.exercises if any(f.code.startswith("limit.") for f in e.findings)
    }
    assert runaway <= limited
    messages = " ".join(f.message for f in report.all_findings)
    assert "pg_execute_server_program" in messages  # COPY ... TO PROGRAM refused
    ungraded = {e.id for e in report.exercises if e.status is Status.UNGRADED}
    if has_citus:
        assert ungraded == set()
    else:  # the plain image: what the example answers of the Citus exercises is not graded
        assert ungraded and ungraded <= {e.id for e in lab.exercises if e.requires_citus}
