"""Several jobs at once on one cluster: each grades as it would alone, and the one thing they
cannot share, a prepared transaction's name, takes turns (grader/run/prepared_lock.py)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from local_cluster_support import VARIANTS, needs_postgres
from test_examples_golden import EXAMPLES, LAB, projection

from grader.cluster.base import Cluster, JobDatabase
from grader.cluster.source import OwnCluster
from grader.core.errors import InfrastructureError
from grader.core.lab import Lab
from grader.pipeline.session import GradingSession
from grader.run.prepared_lock import PreparedTransactionLock, finishes_prepared, prepares
from grader.run.session import Session
from grader.settings import Settings

pytestmark = [needs_postgres, pytest.mark.postgres]
GID = "mediAI_emergency_yuki_001"  # Exercise 4.2's fixed name


def test_statements_that_open_and_close_a_two_phase_section_are_recognised() -> None:
    assert prepares(f"PREPARE TRANSACTION '{GID}'")
    assert prepares(f"-- Exercise 4.2\n/* phase one */\n  prepare   transaction '{GID}';")
    assert not prepares("PREPARE plan AS SELECT 1")  # a prepared statement, not 2PC
    assert not prepares(f"SELECT 'PREPARE TRANSACTION {GID}'")
    assert finishes_prepared(f"COMMIT PREPARED '{GID}'")
    assert finishes_prepared(f"-- undo\nrollback prepared '{GID}'")
    assert not finishes_prepared("COMMIT")
    assert not finishes_prepared("SELECT gid FROM pg_prepared_xacts")


@pytest.fixture(scope="module", params=VARIANTS)
def session(request: pytest.FixtureRequest) -> Iterator[GradingSession]:
    settings = Settings()
    settings.backend = "local"
    settings.local.citus = request.param
    with GradingSession.open(settings, LAB) as opened:
        yield opened


def _cluster(session: GradingSession) -> Cluster:
    assert isinstance(session.source, OwnCluster)
    return session.source.cluster


@pytest.fixture
def two_jobs(session: GradingSession) -> Iterator[tuple[JobDatabase, JobDatabase]]:
    cluster = _cluster(session)
    with session.source.lease() as leased, session.source.lease() as again:
        assert leased is again is cluster  # both leases at once, on the one cluster
        first = cluster.new_job(LAB, "parallel_first")
        second = cluster.new_job(LAB, "parallel_second")
        try:
            yield first, second
        finally:
            cluster.end_job(first)
            cluster.end_job(second)


def _session(job: JobDatabase) -> Session:
    return Session(job.student_dsn, job.admin_dsn, rows_kept=10, server_timeout_ms=30_000)


def _run(session: Session, sql: str) -> Any:
    return session.run(sql, deadline=time.monotonic() + 30, label="test")


def _prepared(job: JobDatabase) -> list[str]:
    with psycopg.connect(job.admin_dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT gid FROM pg_prepared_xacts WHERE database = current_database()"
        ).fetchall()
    return [str(r[0]) for r in rows]


def _prepare_local(session: Session) -> None:
    """A two-phase transaction on a table of the coordinator's own, which Citus accepts."""
    _run(session, "CREATE TABLE IF NOT EXISTS emergency (note text)")
    _run(session, "BEGIN")
    _run(session, "INSERT INTO emergency VALUES ('yuki')")
    outcome = _run(session, f"PREPARE TRANSACTION '{GID}'")
    assert outcome.error is None


def test_a_second_job_prepares_the_same_name_only_after_the_first_committed(
    two_jobs: tuple[JobDatabase, JobDatabase],
) -> None:
    first_job, second_job = two_jobs
    first, second = _session(first_job), _session(second_job)
    try:
        _prepare_local(first)
        assert _prepared(first_job) == [GID]
        waiting = PreparedTransactionLock(second_job.admin_dsn)
        with pytest.raises(InfrastructureError, match="prepared transaction"):
            waiting.before(f"PREPARE TRANSACTION '{GID}'", deadline=time.monotonic())
        assert not waiting.held

        assert _run(first, f"COMMIT PREPARED '{GID}'").error is None
        _prepare_local(second)  # the name is free again on this cluster
        assert _prepared(second_job) == [GID]
        assert _run(second, f"ROLLBACK PREPARED '{GID}'").error is None
        assert _run(first, "SELECT count(*) FROM emergency").rows == [("1",)]
    finally:
        first.close()
        second.close()


def test_a_name_left_prepared_is_rolled_back_when_its_session_ends(
    two_jobs: tuple[JobDatabase, JobDatabase],
) -> None:
    first_job, second_job = two_jobs
    leaving = _session(first_job)
    _prepare_local(leaving)
    leaving.close()
    assert _prepared(first_job) == []
    following = _session(second_job)
    try:
        _prepare_local(following)  # would be refused if the first job still held the name
        assert _run(following, f"COMMIT PREPARED '{GID}'").error is None
    finally:
        following.close()


def test_two_submissions_graded_at_once_on_one_cluster_grade_as_alone(
    session: GradingSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both hold Exercise 4.2's PREPARE TRANSACTION with the same fixed name.
    examples = ["complete", "partial-mistakes"]
    alone = {name: projection(session.grade_checkout(EXAMPLES / name)) for name in examples}

    cluster = _cluster(session)
    original = cluster.new_job
    both_running = threading.Barrier(len(examples), timeout=300)
    live: set[str] = set()

    def new_job(lab: Lab, job_id: str, variant: str | None = None) -> JobDatabase:
        job = original(lab, job_id, variant)
        if job_id.startswith("job_"):  # a student's run on the seed, not a variant's
            live.add(job.name)
            both_running.wait()  # neither starts its statements before the other has a copy
        return job

    monkeypatch.setattr(cluster, "new_job", new_job)
    with ThreadPoolExecutor(max_workers=len(examples)) as pool:
        graded = pool.map(lambda n: session.grade_checkout(EXAMPLES / n), examples)
        reports = dict(zip(examples, graded, strict=True))
    assert len(live) == len(examples)
    for name in examples:
        assert projection(reports[name]) == alone[name], name
