"""The docker backend's first SQL and the pool's health probe, on real local Citus nodes: the
same statements a fresh container cluster gets, minus the containers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from local_cluster_support import write_tiny_lab

from grader.cluster.docker import bootstrap as docker_bootstrap
from grader.cluster.docker.cluster_health import probe, probe_databases
from grader.cluster.local.cluster import LocalCluster
from grader.core.errors import InfrastructureError
from grader.settings import LocalCluster as LocalSettings
from grader.settings import Settings

pytestmark = [pytest.mark.postgres, pytest.mark.citus, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    settings = Settings(local=LocalSettings(citus="on"))
    try:
        started = LocalCluster.start(settings.local, settings.limits)
    except InfrastructureError as exc:
        pytest.skip(f"no local Citus cluster: {exc.message}")
    with started:
        yield started


def admin(cluster: LocalCluster, node: int = 0) -> psycopg.Connection[tuple[object, ...]]:
    dbs = cluster.databases
    return psycopg.connect(dbs._admin_dsn(dbs.nodes[node], "postgres"), autocommit=True)


def worker_addresses(cluster: LocalCluster) -> list[tuple[str, int]]:
    return [(n.host, n.port) for n in cluster.nodes()[1:]]


def test_bootstrap_gives_the_lab_role_its_password_on_every_node(cluster: LocalCluster) -> None:
    dbs = cluster.databases
    assert docker_bootstrap.has_citus(dbs.coordinator, dbs._admin_dsn)
    docker_bootstrap.bootstrap(dbs, "generated-pw", worker_addresses(cluster))
    docker_bootstrap.bootstrap(dbs, "generated-pw", worker_addresses(cluster))  # idempotent
    for index in range(len(dbs.nodes)):
        with admin(cluster, index) as conn:
            row = conn.execute(
                "SELECT rolpassword LIKE 'SCRAM-SHA-256$%%', rolsuper FROM pg_authid"
                " WHERE rolname = %s",
                [dbs.role],
            ).fetchone()
        assert row == (True, False)
    with admin(cluster) as conn:
        registered = conn.execute("SELECT count(*) FROM pg_dist_node").fetchone()
    assert registered == (0,), "workers are registered per template, not in postgres"


def test_bootstrap_names_a_worker_the_coordinator_cannot_reach(cluster: LocalCluster) -> None:
    addresses = [*worker_addresses(cluster), ("127.0.0.1", 1)]
    with pytest.raises(
        InfrastructureError,
        match=r"cannot reach workers 127.0.0.1:1 \(connection to the remote node",
    ):
        docker_bootstrap.bootstrap(cluster.databases, "generated-pw", addresses)


def test_the_lab_still_loads_and_copies_after_bootstrap(
    cluster: LocalCluster, tmp_path: Path
) -> None:
    dbs = cluster.databases
    docker_bootstrap.bootstrap(dbs, "generated-pw", worker_addresses(cluster))
    lab = write_tiny_lab(tmp_path)
    cluster.prepare_lab(lab)
    job = cluster.new_job(lab, "bootstrap-check")
    try:
        with psycopg.connect(job.student_dsn) as conn:
            assert conn.execute("SELECT count(*) FROM patients").fetchone() == (3,)
    finally:
        cluster.end_job(job)
    assert probe(cluster).healthy


def test_engine_info_names_both_versions(cluster: LocalCluster) -> None:
    info = docker_bootstrap.read_engine_info(cluster.databases, "docker")
    assert info.backend == "docker"
    assert info.postgres_version.split(".")[0].isdigit()
    assert info.citus_version is not None and info.citus_version.startswith("12.")
    assert info.workers == 3


def test_a_clean_cluster_is_healthy_and_leftovers_are_named(cluster: LocalCluster) -> None:
    assert probe(cluster).problems == ()
    with admin(cluster, 1) as conn:
        conn.execute("CREATE ROLE intruder")
        conn.execute("CREATE DATABASE job_left_behind")
        conn.execute("CREATE TABLE t_probe (x int)")
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t_probe VALUES (1)")
        conn.execute("PREPARE TRANSACTION 'left_behind'")
    try:
        problems = probe_databases(cluster.databases).problems
        assert problems == (
            "worker1 holds prepared transactions ['left_behind']",
            "worker1 still holds job databases ['job_left_behind']",
            "worker1 has unexpected roles ['intruder']",
        )
    finally:
        with admin(cluster, 1) as conn:
            conn.execute("ROLLBACK PREPARED 'left_behind'")
            conn.execute("DROP TABLE t_probe")
            conn.execute("DROP DATABASE job_left_behind")
            conn.execute("DROP ROLE intruder")
    assert probe(cluster).healthy


def test_a_node_that_does_not_answer_is_a_problem(cluster: LocalCluster) -> None:
    dbs = cluster.databases
    real = dbs._admin_dsn
    dbs._admin_dsn = lambda node, db: real(node, db).replace(f"port={node.port}", "port=1")
    try:
        problems = probe_databases(dbs).problems
    finally:
        dbs._admin_dsn = real
    assert len(problems) == 4
    assert problems[0].startswith("coordinator does not answer")
