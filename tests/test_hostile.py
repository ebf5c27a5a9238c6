"""Students' SQL that tries to outlast, escape or damage the grading cluster."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest
from local_cluster_support import (
    VARIANTS,
    admin_rows,
    exercise,
    needs_postgres,
    started,
    student_rows,
    write_tiny_lab,
)

from grader.cluster.base import JobDatabase
from grader.cluster.local.cluster import LocalCluster
from grader.core.lab import Lab
from grader.core.trace import ExerciseRun, Outcome
from grader.run.execute import execute
from grader.run.watchdog import GRACE_SECONDS
from grader.settings import Limits

pytestmark = [pytest.mark.postgres, needs_postgres]

LIMITS = Limits(statement_seconds=1, exercise_seconds=8, job_seconds=30)
STATEMENT_LIMIT = "statement time limit (1 s)"
ENDLESS = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return write_tiny_lab(tmp_path_factory.mktemp("tiny-lab"))


@pytest.fixture(scope="module", params=VARIANTS)
def cluster(request: pytest.FixtureRequest, lab: Lab) -> Iterator[LocalCluster]:
    with started(request.param) as running:
        running.prepare_lab(lab)
        yield running


@pytest.fixture
def job(cluster: LocalCluster, lab: Lab, request: pytest.FixtureRequest) -> Iterator[JobDatabase]:
    created = cluster.new_job(lab, request.node.name)
    yield created
    cluster.end_job(created)


def run_one(job: JobDatabase, *sqls: str, limits: Limits = LIMITS) -> ExerciseRun:
    runs, _ = execute(job, [exercise("x", *sqls)], limits)
    return runs["x"]


def test_an_endless_query_is_cancelled_at_the_statement_limit(job: JobDatabase) -> None:
    endless, after = run_one(job, ENDLESS, "SELECT 1").statements
    assert (endless.outcome, endless.limit) == (Outcome.TIMEOUT, STATEMENT_LIMIT)
    assert 1000 <= endless.elapsed_ms < 1000 + GRACE_SECONDS * 1000
    assert (after.outcome, after.rows) == (Outcome.OK, [("1",)])


def test_statement_timeout_zero_does_not_escape_the_limit(job: JobDatabase) -> None:
    started_at = time.monotonic()
    _, sleep = run_one(job, "SET statement_timeout = 0", "SELECT pg_sleep(60)").statements
    assert (sleep.outcome, sleep.limit) == (Outcome.TIMEOUT, STATEMENT_LIMIT)
    assert time.monotonic() - started_at < 1 + GRACE_SECONDS


def test_server_programs_and_files_are_refused(job: JobDatabase) -> None:
    copy, read = run_one(
        job, "COPY (SELECT 1) TO PROGRAM 'id'", "SELECT pg_read_file('/etc/passwd')"
    ).statements
    assert copy.outcome == Outcome.ERROR and copy.sqlstate == "42501"
    assert copy.error is not None and copy.error.startswith(
        "must be superuser or have privileges of the pg_execute_server_program role"
    )
    assert (read.sqlstate, read.error) == ("42501", "permission denied for function pg_read_file")


def test_a_dropped_table_is_only_gone_from_its_own_job(cluster: LocalCluster, lab: Lab) -> None:
    vandal = cluster.new_job(lab, "vandal")
    try:
        (drop,) = run_one(vandal, "DROP TABLE visits").statements
        assert drop.command_tag == "DROP TABLE"
    finally:
        cluster.end_job(vandal)
    following = cluster.new_job(lab, "after-vandal")
    try:
        assert student_rows(following, "SELECT count(*) FROM visits") == [(4,)]
    finally:
        cluster.end_job(following)


def test_a_ten_million_row_insert_ends_within_its_limits(job: JobDatabase) -> None:
    (insert,) = run_one(
        job,
        "INSERT INTO patients (name, country) SELECT 'bulk', 'France'"
        " FROM generate_series(1, 10000000)",
    ).statements
    # Stopped by the clock, or by temp_file_limit first: either way, quickly and with nothing kept.
    assert insert.outcome in (Outcome.TIMEOUT, Outcome.LIMIT)
    assert insert.limit is not None
    assert "time limit" in insert.limit or "temp file" in insert.limit
    assert insert.elapsed_ms < 1000 + GRACE_SECONDS * 1000
    assert student_rows(job, "SELECT count(*) FROM patients") == [(3,)]


def test_a_statement_cannot_build_a_gigabyte_on_a_node(job: JobDatabase) -> None:
    """A 900 MB string would take the machine's memory; the node's bound refuses it, and
    the report names that limit rather than the student's SQL."""
    patient = Limits(statement_seconds=60, exercise_seconds=90, job_seconds=120)
    (huge,) = run_one(job, "SELECT length(repeat('x', 900000000))", limits=patient).statements
    assert huge.outcome is Outcome.LIMIT, huge.error
    assert huge.limit is not None and huge.limit.startswith("node memory limit (1024 MB")
    # The session and the node are fine afterwards.
    (after,) = run_one(job, "SELECT 1").statements
    assert after.outcome is Outcome.OK


def test_a_leaked_prepared_transaction_is_cleared_by_end_job(
    cluster: LocalCluster, lab: Lab
) -> None:
    leak = ("CREATE TABLE notes (x int)", "BEGIN", "INSERT INTO notes VALUES (1)")
    first = cluster.new_job(lab, "leak-1")
    try:
        prepare = run_one(first, *leak, "PREPARE TRANSACTION 'leak'").statements[-1]
        assert prepare.command_tag == "PREPARE TRANSACTION"
    finally:
        cluster.end_job(first)
    for node in cluster.nodes():
        dsn = f"host={node.host} port={node.port} user=postgres dbname=postgres"
        assert admin_rows(dsn, "SELECT gid FROM pg_prepared_xacts") == []
    second = cluster.new_job(lab, "leak-2")
    try:
        again = run_one(second, *leak, "PREPARE TRANSACTION 'leak'", "ROLLBACK PREPARED 'leak'")
        assert [s.command_tag for s in again.statements[-2:]] == [
            "PREPARE TRANSACTION",
            "ROLLBACK PREPARED",
        ]
    finally:
        cluster.end_job(second)


def test_the_job_limit_skips_the_rest(job: JobDatabase) -> None:
    limits = Limits(statement_seconds=1, exercise_seconds=10, job_seconds=2)
    runs, job_limit = execute(
        job,
        [
            exercise("1", "SELECT pg_sleep(0.8)", "SELECT pg_sleep(0.8)", "SELECT pg_sleep(0.8)"),
            exercise("2", "SELECT 1", probes={"p": "SELECT 1"}),
        ],
        limits,
    )
    assert job_limit == "job time limit (2 s)"
    assert [s.outcome for s in runs["1"].statements] == [Outcome.OK, Outcome.OK, Outcome.TIMEOUT]
    assert runs["1"].statements[2].limit == job_limit
    assert runs["2"].limit == job_limit
    assert runs["2"].statements[0].outcome == Outcome.SKIPPED
    assert runs["2"].probes["p"].outcome == Outcome.SKIPPED


def test_the_exercise_limit_skips_the_rest_of_the_exercise_only(job: JobDatabase) -> None:
    limits = Limits(statement_seconds=1, exercise_seconds=1.5, job_seconds=30)
    runs, job_limit = execute(
        job,
        [
            exercise("1", "SELECT pg_sleep(0.9)", "SELECT pg_sleep(0.9)", "SELECT 1"),
            exercise("2", "SELECT 2"),
        ],
        limits,
    )
    assert job_limit is None
    first = runs["1"]
    assert first.limit == "exercise time limit (1.5 s)"
    assert [s.outcome for s in first.statements] == [
        Outcome.OK,
        Outcome.TIMEOUT,
        Outcome.SKIPPED,
    ]
    assert runs["2"].statements[0].rows == [("2",)]


@pytest.mark.slow
def test_a_statement_that_swallows_cancels_loses_its_session(job: JobDatabase) -> None:
    stubborn = (
        "DO $$BEGIN LOOP BEGIN PERFORM pg_sleep(10);"
        " EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END$$"
    )
    _, loop, after = run_one(job, "SET work_mem = '1MB'", stubborn, "SHOW work_mem").statements
    assert (loop.outcome, loop.limit) == (Outcome.TIMEOUT, STATEMENT_LIMIT)
    assert loop.error is not None and "the grader ended its session" in loop.error
    assert loop.elapsed_ms < 1000 + 2 * GRACE_SECONDS * 1000 + 500
    assert after.rows == [("16MB",)]  # a new session: the SET went with the old one


@pytest.mark.slow
def test_a_frozen_backend_cannot_hold_the_runner(cluster: LocalCluster, job: JobDatabase) -> None:
    """A backend that answers neither cancel nor terminate (here: stopped by a signal)."""
    coordinator = cluster.nodes()[0]
    admin = f"host={coordinator.host} port={coordinator.port} user=postgres dbname=postgres"
    frozen: list[int] = []

    def freeze() -> None:
        for _ in range(50):
            rows = admin_rows(
                admin,
                "SELECT pid FROM pg_stat_activity WHERE usename = 'lab_student'"
                " AND query = 'SELECT pg_sleep(30)' AND state = 'active'",
            )
            if rows:
                try:
                    os.kill(rows[0][0], signal.SIGSTOP)
                except PermissionError:
                    return
                frozen.append(rows[0][0])
                return
            time.sleep(0.05)

    freezer = threading.Thread(target=freeze)
    freezer.start()
    try:
        sleep, after = run_one(job, "SELECT pg_sleep(30)", "SELECT 1").statements
    finally:
        freezer.join()
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    if not frozen:
        pytest.skip("the grader may not signal the server's processes here")
    assert (sleep.outcome, sleep.limit) == (Outcome.TIMEOUT, STATEMENT_LIMIT)
    assert sleep.elapsed_ms < 1000 + 3 * GRACE_SECONDS * 1000 + 1000
    assert after.rows == [("1",)]


def test_one_job_cannot_cancel_another(cluster: LocalCluster, lab: Lab) -> None:
    victim, attacker = cluster.new_job(lab, "victim"), cluster.new_job(lab, "attacker")
    try:
        with psycopg.connect(victim.student_dsn, autocommit=True) as victim_session:
            pid = victim_session.info.backend_pid
            outcomes = run_one(
                attacker, f"SELECT pg_cancel_backend({pid})", f"SELECT pg_terminate_backend({pid})"
            ).statements
            assert [s.sqlstate for s in outcomes] == ["42501", "42501"]
            assert victim_session.execute("SELECT 1").fetchone() == (1,)
    finally:
        cluster.end_job(victim)
        cluster.end_job(attacker)


def test_student_sql_cannot_make_a_node_connect_anywhere(cluster: LocalCluster, lab: Lab) -> None:
    if not cluster.engine_info().has_citus:
        pytest.skip("citus_check_connection_to_node exists only with Citus")
    job = cluster.new_job(lab, "prober")
    try:
        (probe,) = run_one(
            job, "SELECT citus_check_connection_to_node('127.0.0.1', 5432)"
        ).statements
        assert (probe.outcome, probe.sqlstate) == (Outcome.ERROR, "42501")
    finally:
        cluster.end_job(job)
