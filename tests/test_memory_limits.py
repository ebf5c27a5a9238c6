"""A node's server process killed for memory, on the `local` backend: the kernel's own
out-of-memory killer, in a memory cgroup the test puts the student's backend into.

Expected: the exercise ends at the node memory limit, named; the job is not an engine failure
(nothing raised, nothing to retry) and the statement ran once; the next exercise is graded on
a fresh copy of the lab. The Docker backend's version, where the container's limit fires, is
in tests/test_docker_engine.py.
"""

from __future__ import annotations

import os
import secrets
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from local_cluster_support import admin_rows, exercise, needs_postgres, started, write_tiny_lab

from grader.cluster.base import JobDatabase
from grader.cluster.local.cluster import LocalCluster
from grader.core.errors import InfrastructureError
from grader.core.lab import Lab
from grader.core.trace import Outcome
from grader.run.execute import NodeRecovery, execute
from grader.settings import Limits

pytestmark = [pytest.mark.postgres, needs_postgres, pytest.mark.slow]

LIMITS = Limits(statement_seconds=30, exercise_seconds=60, job_seconds=180)
CAGE_BYTES = 200 * 1024 * 1024
# A second to be put in the cage, then 400 MB: under the node's 1024 MB per server process,
# over the cage.
HUNGRY = "SELECT pg_sleep(1), length(repeat('x', 400000000))"
CGROUP_V1 = Path("/sys/fs/cgroup/memory")
CGROUP_V2 = Path("/sys/fs/cgroup")


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return write_tiny_lab(tmp_path_factory.mktemp("tiny-lab"))


@pytest.fixture(scope="module")
def cluster(lab: Lab) -> Iterator[LocalCluster]:
    with started("off") as running:
        running.prepare_lab(lab)
        yield running


@contextmanager
def memory_cage() -> Iterator[Path]:
    """A memory cgroup of CAGE_BYTES, no swap; its file taking pids."""
    name = f"sql-lab-grader-test-{secrets.token_hex(4)}"
    if (CGROUP_V1 / "memory.limit_in_bytes").exists():
        folder, limits = CGROUP_V1 / name, ["memory.limit_in_bytes", "memory.memsw.limit_in_bytes"]
    elif "memory" in (CGROUP_V2 / "cgroup.subtree_control").read_text(errors="replace"):
        folder, limits = CGROUP_V2 / name, ["memory.max", "memory.swap.max"]
    else:
        pytest.skip("no memory cgroup controller here to stand for a node's memory limit")
    try:
        folder.mkdir()
    except OSError as exc:
        pytest.skip(f"cannot make a memory cgroup here: {exc}")
    try:
        for limit in limits:
            if (folder / limit).exists():
                (folder / limit).write_text(str(CAGE_BYTES if "swap" not in limit else 0))
        yield folder / "cgroup.procs"
    finally:
        for _ in range(50):  # the killed process leaves the cgroup a moment later
            try:
                folder.rmdir()
                break
            except OSError:
                time.sleep(0.1)


@contextmanager
def acting_on(
    cluster: LocalCluster, query: str, act: Callable[[int], object]
) -> Iterator[list[int]]:
    """While the body runs: once the student's backend runs `query`, call `act(pid)`."""
    coordinator = cluster.nodes()[0]
    admin = f"host={coordinator.host} port={coordinator.port} user=postgres dbname=postgres"
    done: list[int] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            rows = admin_rows(
                admin,
                "SELECT pid FROM pg_stat_activity WHERE usename = 'lab_student'"
                " AND query = %s AND state = 'active'",
                [query],
            )
            if rows:
                act(rows[0][0])
                done.append(rows[0][0])
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        yield done
    finally:
        stop.set()
        watcher.join()


def test_a_node_killed_for_memory_ends_the_exercise_and_the_next_runs_on_a_fresh_copy(
    cluster: LocalCluster, lab: Lab
) -> None:
    copies: list[JobDatabase] = []

    def fresh_copy() -> JobDatabase:
        copies.append(cluster.new_job(lab, f"memory-{len(copies)}"))
        return copies[-1]

    recovery = NodeRecovery.of(cluster, fresh_copy)
    assert recovery is not None
    kills_before = recovery.watch.kills()
    plan = [
        exercise(
            "1",
            "CREATE TABLE notes (x int)",
            "INSERT INTO notes VALUES (1)",
            probes={"notes": "SELECT count(*) FROM notes"},
        ),
        exercise("2", HUNGRY, "SELECT 2", probes={"p": "SELECT 1"}),
        exercise(
            "3",
            "SELECT count(*) FROM patients",
            "SELECT to_regclass('notes') IS NULL",
            "SELECT current_database()",
        ),
    ]
    try:
        with (
            memory_cage() as procs,
            acting_on(cluster, HUNGRY, lambda pid: procs.write_text(str(pid))) as caged,
        ):
            runs, job_limit = execute(fresh_copy(), plan, LIMITS, recovery=recovery)
    finally:
        for copy in copies:
            cluster.end_job(copy)
    assert caged, "the student's backend was put in the cage"
    assert job_limit is None
    assert runs["1"].probes["notes"].rows == [("1",)]
    hungry, after = runs["2"].statements
    assert recovery.watch.node_limit.startswith("node memory limit (")
    assert (hungry.outcome, hungry.limit) == (Outcome.LIMIT, recovery.watch.node_limit)
    assert hungry.error is not None and "killed for memory" in hungry.error
    assert (after.outcome, after.limit) == (Outcome.SKIPPED, recovery.watch.node_limit)
    assert runs["2"].limit == recovery.watch.node_limit
    assert runs["2"].probes["p"].outcome is Outcome.SKIPPED
    count, gone, database = runs["3"].statements
    assert [s.outcome for s in runs["3"].statements] == [Outcome.OK] * 3
    assert count.rows == [("3",)]
    assert gone.rows == [("t",)], "a fresh copy: exercise 1's table is not in it"
    assert len(copies) == 2 and database.rows == [(copies[1].name,)]
    assert recovery.watch.kills() == kills_before + 1, "the statement ran once: no retry"


def test_a_session_lost_without_a_kill_is_still_the_engine_s_failure(
    cluster: LocalCluster, lab: Lab
) -> None:
    """Ended by someone else (here the superuser), not killed for memory: an infrastructure
    error, to be retried, and no limit is claimed."""
    job = cluster.new_job(lab, "terminated")
    coordinator = cluster.nodes()[0]
    admin = f"host={coordinator.host} port={coordinator.port} user=postgres dbname=postgres"
    recovery = NodeRecovery.of(cluster, lambda: job)
    terminate = "SELECT pg_sleep(20)"
    try:
        with (
            acting_on(
                cluster,
                terminate,
                lambda pid: admin_rows(admin, f"SELECT pg_terminate_backend({pid})"),
            ) as ended,
            pytest.raises(InfrastructureError, match="lost the coordinator"),
        ):
            execute(job, [exercise("x", terminate)], LIMITS, recovery=recovery)
    finally:
        cluster.end_job(job)
    assert ended


def test_the_postmaster_s_kill_report_is_counted_once(cluster: LocalCluster, lab: Lab) -> None:
    """The count behind the watch: the postmaster's log line for a SIGKILLed server process,
    read as the log grows."""
    watch = cluster.memory_watch()
    before = watch.kills()
    job = cluster.new_job(lab, "sigkill")
    try:
        with acting_on(cluster, "SELECT pg_sleep(20)", lambda pid: os.kill(pid, signal.SIGKILL)):
            recovery = NodeRecovery(watch, lambda: job)
            runs, _ = execute(
                job, [exercise("x", "SELECT pg_sleep(20)")], LIMITS, recovery=recovery
            )
    finally:
        cluster.end_job(job)
    assert runs["x"].limit == watch.node_limit
    assert watch.kills() == before + 1
    assert watch.kills() == before + 1, "a second read counts nothing new"
