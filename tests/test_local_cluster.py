"""The `local` cluster and its lab databases, on real PostgreSQL node processes."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest
from local_cluster_support import (
    HAS_CITUS,
    VARIANTS,
    admin_rows,
    needs_postgres,
    started,
    student_rows,
    write_tiny_lab,
)

from grader.cluster.docker.cluster_health import probe_databases
from grader.cluster.lab_databases import job_database_name
from grader.cluster.local.binaries import OsUser, find_binaries
from grader.cluster.local.cluster import LocalCluster, default_base_folder, reap_stale
from grader.core.errors import InfrastructureError, LabError
from grader.core.lab import Lab, default_lab_path, load_lab
from grader.settings import Limits
from grader.settings import LocalCluster as LocalSettings

pytestmark = [pytest.mark.postgres, needs_postgres]


@pytest.fixture(scope="module", params=VARIANTS)
def cluster(request: pytest.FixtureRequest) -> Iterator[LocalCluster]:
    with started(request.param) as running:
        yield running


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return write_tiny_lab(tmp_path_factory.mktemp("tiny-lab"))


@pytest.fixture(scope="module")
def prepared(cluster: LocalCluster, lab: Lab) -> LocalCluster:
    cluster.prepare_lab(lab)
    return cluster


def node_dsn(cluster: LocalCluster, index: int, database: str = "postgres") -> str:
    node = cluster.nodes()[index]
    return f"host={node.host} port={node.port} user=postgres dbname={database}"


def on_every_node(
    cluster: LocalCluster, query: str, params: list[object]
) -> list[list[tuple[Any, ...]]]:
    return [admin_rows(node_dsn(cluster, i), query, params) for i in range(len(cluster.nodes()))]


def test_engine_matches_the_variant(cluster: LocalCluster) -> None:
    info = cluster.engine_info()
    assert info.backend == "local"
    assert info.postgres_version[0].isdigit()
    if cluster.databases.has_citus:
        assert info.citus_version and info.citus_version.startswith("12.")
        assert info.workers == 3 and len(cluster.nodes()) == 4
        assert [n.role for n in cluster.nodes()] == ["coordinator", "worker1", "worker2", "worker3"]
    else:
        assert info.citus_version is None and info.workers == 0
        assert [n.role for n in cluster.nodes()] == ["coordinator"]


def test_nodes_talk_without_tls(cluster: LocalCluster) -> None:
    """Citus turns ssl on when its extension is created, unless told node connections go
    without it: every handshake costs the job CPU, on loopback, for nothing."""
    assert on_every_node(cluster, "SELECT current_setting('ssl')", []) == [
        [("off",)]
    ] * len(cluster.nodes())
    if cluster.databases.has_citus:
        assert admin_rows(node_dsn(cluster, 0), "SHOW citus.node_conninfo", []) == [
            ("sslmode=disable",)
        ]


def test_nodes_live_in_memory_where_a_tmpfs_has_room(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    room = tmp_path / "shm"  # the test's disk stands in: it has the free space
    room.mkdir()
    mounts.write_text(f"tmpfs {room} tmpfs rw,nosuid,nodev 0 0\n", encoding="utf-8")
    assert default_base_folder(room, mounts) == room / "sql-lab-grader" / "clusters"
    mounts.write_text(f"/dev/vda {room} ext4 rw 0 0\n", encoding="utf-8")
    on_disk = Path(tempfile.gettempdir()) / "sql-lab-grader" / "clusters"
    assert default_base_folder(room, mounts) == on_disk
    assert default_base_folder(tmp_path / "absent", tmp_path / "no-mounts") == on_disk


def test_template_is_prepared_once_and_locked(prepared: LocalCluster, lab: Lab) -> None:
    template = prepared.databases.template_name(lab)
    query = "SELECT oid, datallowconn FROM pg_database WHERE datname = %s"
    before = on_every_node(prepared, query, [template])
    prepared.prepare_lab(lab)
    after = on_every_node(prepared, query, [template])
    assert before == after  # not rebuilt
    assert all(rows and rows[0][1] is False for rows in after)


def test_jobs_do_not_see_each_others_writes(prepared: LocalCluster, lab: Lab) -> None:
    first, second = prepared.new_job(lab, "iso-1"), prepared.new_job(lab, "iso-2")
    try:
        with psycopg.connect(first.student_dsn, autocommit=True) as conn:
            conn.execute("INSERT INTO patients (name, country) VALUES ('Only Here', 'Japan')")
            conn.execute("DELETE FROM visits WHERE country = 'France'")
        assert student_rows(first, "SELECT count(*) FROM patients") == [(4,)]
        assert student_rows(second, "SELECT count(*) FROM patients") == [(3,)]
        assert student_rows(second, "SELECT count(*) FROM visits") == [(4,)]
        assert student_rows(second, "SELECT current_user") == [("lab_student",)]
    finally:
        prepared.end_job(first)
        prepared.end_job(second)


def test_jobs_start_and_end_side_by_side(prepared: LocalCluster, lab: Lab) -> None:
    def one(index: int) -> list[tuple[Any, ...]]:
        job = prepared.new_job(lab, f"side-{index}")
        try:
            student_rows(job, f"UPDATE patients SET name = 'job {index}' RETURNING 1")
            return student_rows(job, "SELECT DISTINCT name FROM patients")
        finally:
            prepared.end_job(job)

    with ThreadPoolExecutor(max_workers=3) as pool:
        seen = list(pool.map(one, range(3)))
    assert seen == [[("job 0",)], [("job 1",)], [("job 2",)]]


def test_end_job_drops_every_copy_and_clears_prepared_transactions(
    prepared: LocalCluster, lab: Lab
) -> None:
    job = prepared.new_job(lab, "leaky")
    assert all(rows for rows in on_every_node(prepared, _DB, [job.name]))
    with psycopg.connect(job.student_dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE scratch (x int)")  # coordinator-local, even with Citus
        conn.execute("BEGIN")
        conn.execute("INSERT INTO scratch VALUES (1)")
        conn.execute("PREPARE TRANSACTION 'leak'")
    assert admin_rows(node_dsn(prepared, 0), "SELECT gid FROM pg_prepared_xacts") == [("leak",)]
    prepared.end_job(job)
    prepared.end_job(job)  # idempotent
    assert on_every_node(prepared, _DB, [job.name]) == [[]] * len(prepared.nodes())
    assert on_every_node(prepared, "SELECT gid FROM pg_prepared_xacts", []) == [[]] * len(
        prepared.nodes()
    )


def test_a_retried_job_id_starts_from_a_clean_copy(prepared: LocalCluster, lab: Lab) -> None:
    job = prepared.new_job(lab, "retry")
    student_rows(job, "DELETE FROM patients RETURNING 1")
    again = prepared.new_job(lab, "retry")  # the first attempt was never ended
    try:
        assert again.name == job.name == job_database_name("retry")
        assert student_rows(again, "SELECT count(*) FROM patients") == [(3,)]
    finally:
        prepared.end_job(again)


def test_a_role_default_set_by_one_job_does_not_reach_the_next(
    prepared: LocalCluster, lab: Lab
) -> None:
    job = prepared.new_job(lab, "sets-role")
    with psycopg.connect(job.student_dsn, autocommit=True) as conn:
        conn.execute("ALTER ROLE lab_student SET search_path = nowhere")
        conn.execute("ALTER ROLE lab_student SET work_mem = '1GB'")
    prepared.end_job(job)
    following = prepared.new_job(lab, "after-sets-role")
    try:
        rows = student_rows(
            following,
            "SELECT current_setting('search_path'), "
            "current_setting('work_mem'), "
            "current_setting('temp_file_limit')",
        )
        assert rows == [('"$user", public', "16MB", "100MB")]
    finally:
        prepared.end_job(following)


def test_signal_functions_are_refused_to_the_lab_role(prepared: LocalCluster, lab: Lab) -> None:
    job = prepared.new_job(lab, "signals")
    try:
        for call in ("pg_cancel_backend(pg_backend_pid())", "pg_terminate_backend(1)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                student_rows(job, f"SELECT {call}")
    finally:
        prepared.end_job(job)


def test_wrong_expected_counts_are_the_labs_error(cluster: LocalCluster, tmp_path: Path) -> None:
    broken = write_tiny_lab(
        tmp_path,
        **{"lab.toml": _TOML_WITH_COUNTS.format(version="broken-counts")},
    )
    with pytest.raises(LabError, match="Patients: 3 rows, expected 30"):
        cluster.prepare_lab(broken)


@pytest.mark.citus
@pytest.mark.skipif(not HAS_CITUS, reason="the Citus extension is not installed")
def test_citus_job_copy_holds_distributed_tables(cluster: LocalCluster, lab: Lab) -> None:
    if not cluster.databases.has_citus:
        pytest.skip("plain PostgreSQL variant")
    cluster.prepare_lab(lab)
    job = cluster.new_job(lab, "citus-tables")
    try:
        rows = student_rows(
            job,
            "SELECT table_name::text, citus_table_type, shard_count FROM citus_tables ORDER BY 1",
        )
        assert rows == [("patients", "distributed", 32), ("visits", "distributed", 32)]
        assert student_rows(
            job,
            "SELECT count(*) FROM pg_dist_node WHERE noderole = 'primary'"
            " AND isactive AND groupid > 0",
        ) == [(3,)]
    finally:
        cluster.end_job(job)


def test_the_mediai_bundle_loads_with_its_expected_counts() -> None:
    folder = default_lab_path()
    if not (folder / "lab.toml").is_file():
        pytest.skip("rubrics/mediai is not in this checkout")
    mediai = load_lab(folder)
    with started("off") as plain:
        plain.prepare_lab(mediai)
        job = plain.new_job(mediai, "mediai-counts")
        try:
            rows = student_rows(
                job,
                "SELECT (SELECT count(*) FROM Patients), (SELECT count(*) FROM MedicalRecords),"
                " (SELECT count(*) FROM TrainingData), (SELECT count(*) FROM Transactions)",
            )
            assert rows == [(20, 14, 13, 18)]
        finally:
            plain.end_job(job)


def test_a_taken_port_fails_with_the_nodes_log() -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        with pytest.raises(InfrastructureError, match=r"(?s)start of coordinator.*could not"):
            LocalCluster.start(LocalSettings(citus="off", first_port=port), Limits())


def test_citus_on_fails_clearly_where_it_is_not_installed(tmp_path: Path) -> None:
    real = find_binaries(None).bin_dir
    bare = tmp_path / "bin"  # the same server, but no pg_config to find extensions with
    bare.mkdir()
    for tool in ("postgres", "initdb", "pg_ctl"):
        (bare / tool).symlink_to(real / tool)
    with pytest.raises(InfrastructureError, match="Citus is required"):
        LocalCluster.start(LocalSettings(citus="on", pg_bin_dir=bare), Limits())


@pytest.mark.slow
def test_clusters_of_a_dead_owner_are_reaped() -> None:
    base = Path(tempfile.mkdtemp(prefix="grader-reap-"))
    base.chmod(0o755)  # the server user must reach the nodes' folders
    try:
        orphan = subprocess.run(
            [sys.executable, "-c", _ORPHAN.format(base=str(base))],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        port = int(orphan.stdout.strip())
        assert _accepts(port)
        binaries = find_binaries(None)
        reaped = reap_stale(base, binaries, OsUser.for_servers("postgres"))
        assert len(reaped) == 1 and not reaped[0].exists()
        assert not _accepts(port)
    finally:
        subprocess.run(["rm", "-rf", str(base)], check=False)


_DB = "SELECT datname FROM pg_database WHERE datname = %s"

_TOML_WITH_COUNTS = """
id = "tiny"
title = "Tiny lab"
version = "{version}"
database = "tiny"
exercise_file = "exercises/tiny.md"
exercises = []

[setup]
schema_sql = "setup/schema.sql"
distribute_sql = "setup/distribute.sql"
seed_sql = "setup/seed.sql"
expected_counts = {{ Patients = 30, Visits = 4 }}
"""

# Starts a cluster and dies without closing it (os._exit skips atexit), printing its port.
_ORPHAN = """
import os
from pathlib import Path
from typing import Any
from grader.cluster.local.cluster import LocalCluster
from grader.settings import LocalCluster as S, Limits
c = LocalCluster.start(S(citus="off", base_dir=Path({base!r})), Limits())
print(c.nodes()[0].port, flush=True)
os._exit(0)
"""


def _accepts(port: int) -> bool:
    try:
        with psycopg.connect(
            f"host=127.0.0.1 port={port} user=postgres dbname=postgres", connect_timeout=3
        ):
            return True
    except psycopg.OperationalError:
        return False


def test_the_next_jobs_copy_is_made_while_a_job_runs(prepared: LocalCluster, lab: Lab) -> None:
    first = prepared.new_job(lab, "first")
    student_rows(first, "DELETE FROM patients RETURNING 1")  # the spare must not see this
    spare = prepared.databases.spares
    deadline = time.monotonic() + 30
    while not spare.names and time.monotonic() < deadline:
        time.sleep(0.05)
    (spare_name,) = spare.names
    prepared.end_job(first)
    assert probe_databases(prepared.databases).healthy  # a spare is not a left-over job
    second = prepared.new_job(lab, "second")
    try:
        assert second.name == job_database_name("second")
        assert on_every_node(prepared, _DB, [spare_name]) == [[]] * len(prepared.nodes())
        assert student_rows(second, "SELECT count(*) FROM patients") == [(3,)]
    finally:
        prepared.end_job(second)
