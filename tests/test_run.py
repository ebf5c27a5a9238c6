"""The statement runner on a real job database: psql's behaviour, text values, limits."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from local_cluster_support import (
    HAS_CITUS,
    VARIANTS,
    exercise,
    needs_postgres,
    started,
    student_rows,
    write_tiny_lab,
)

from grader.cluster.base import JobDatabase
from grader.cluster.local.binaries import OsUser, find_binaries
from grader.cluster.local.cluster import LocalCluster
from grader.core.errors import InfrastructureError
from grader.core.lab import Lab
from grader.core.trace import ExerciseRun, Outcome, StatementOutcome
from grader.run.execute import execute
from grader.run.session import ROW_CAP_LABEL
from grader.settings import Limits

pytestmark = [pytest.mark.postgres, needs_postgres]

LIMITS = Limits(statement_seconds=2, exercise_seconds=10, job_seconds=30, max_rows_kept=3)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return write_tiny_lab(tmp_path_factory.mktemp("tiny-lab"))


@pytest.fixture(scope="module", params=VARIANTS)
def cluster(request: pytest.FixtureRequest, lab: Lab) -> Iterator[LocalCluster]:
    with started(request.param) as running:
        running.prepare_lab(lab)
        yield running


@pytest.fixture(scope="module")
def job(cluster: LocalCluster, lab: Lab) -> Iterator[JobDatabase]:
    """One job for the module: each test writes only rows and objects of its own."""
    created = cluster.new_job(lab, "runner-tests")
    yield created
    cluster.end_job(created)


def run_one(job: JobDatabase, *sqls: str, limits: Limits = LIMITS) -> ExerciseRun:
    runs, job_limit = execute(job, [exercise("1.1", *sqls)], limits)
    assert job_limit is None
    return runs["1.1"]


def outcomes(run: ExerciseRun) -> list[tuple[Outcome, str | None]]:
    return [(s.outcome, s.command_tag or s.sqlstate) for s in run.statements]


def test_autocommit_makes_each_statement_visible_at_once(job: JobDatabase) -> None:
    run_one(job, "INSERT INTO patients (name, country) VALUES ('Ana Souza', 'Brazil')")
    assert student_rows(job, "SELECT count(*) FROM patients WHERE country = 'Brazil'") == [(1,)]


def test_explicit_transactions_are_honoured(job: JobDatabase) -> None:
    run = run_one(
        job,
        "BEGIN",
        "INSERT INTO patients (name, country) VALUES ('Gone', 'Peru')",
        "ROLLBACK",
        "BEGIN",
        "INSERT INTO patients (name, country) VALUES ('Kept', 'Peru')",
        "COMMIT",
    )
    assert [s.command_tag for s in run.statements] == [
        "BEGIN",
        "INSERT 0 1",
        "ROLLBACK",
        "BEGIN",
        "INSERT 0 1",
        "COMMIT",
    ]
    assert student_rows(job, "SELECT name FROM patients WHERE country = 'Peru'") == [("Kept",)]
    assert run.rolled_back_open_transaction is False


def test_an_error_does_not_stop_the_script(job: JobDatabase) -> None:
    run = run_one(job, "SELECT * FROM no_such_table", "SELECT 42 AS answer")
    first, second = run.statements
    assert first.outcome == Outcome.ERROR and first.sqlstate == "42P01"
    assert first.error == 'relation "no_such_table" does not exist'
    assert (second.outcome, second.columns, second.rows) == (Outcome.OK, ["answer"], [("42",)])


def test_a_failed_block_refuses_statements_until_its_end(job: JobDatabase) -> None:
    run = run_one(job, "BEGIN", "SELECT 1/0", "SELECT 1", "COMMIT", "SELECT 2")
    assert outcomes(run) == [
        (Outcome.OK, "BEGIN"),
        (Outcome.ERROR, "22012"),
        (Outcome.ERROR, "25P02"),
        (Outcome.OK, "ROLLBACK"),  # COMMIT of a failed block, as psql shows it
        (Outcome.OK, "SELECT 1"),
    ]
    assert run.statements[2].error == (
        "current transaction is aborted, commands ignored until end of transaction block"
    )


def test_an_open_block_is_rolled_back_at_the_end_of_its_exercise(job: JobDatabase) -> None:
    runs, _ = execute(
        job,
        [
            exercise("4.2", "BEGIN", "DELETE FROM visits", probes={"during": _COUNT_VISITS}),
            exercise("4.3", _COUNT_VISITS),
        ],
        LIMITS,
    )
    assert runs["4.2"].rolled_back_open_transaction is True
    assert runs["4.2"].probes["during"].rows == [("4",)]  # probes start from a clean state
    assert runs["4.3"].statements[0].rows == [("4",)]
    assert runs["4.3"].rolled_back_open_transaction is False


def test_values_are_postgresql_text_output(job: JobDatabase) -> None:
    run = run_one(
        job,
        "SELECT score, day, urgent, NULL::text AS nothing, 1.5::float8 AS f,"
        " ARRAY[1,2] AS arr, '1 day'::interval AS span, '{\"a\": 1}'::jsonb AS doc"
        " FROM visits WHERE idvisit = 1",
    )
    (statement,) = run.statements
    assert statement.columns == ["score", "day", "urgent", "nothing", "f", "arr", "span", "doc"]
    assert statement.rows == [
        ("0.9812", "2024-03-01", "t", None, "1.5", "{1,2}", "1 day", '{"a": 1}')
    ]


def test_command_tags_are_the_engines(job: JobDatabase) -> None:
    run = run_one(
        job,
        "INSERT INTO patients (name, country) VALUES ('A', 'Chile'), ('B', 'Chile')",
        "UPDATE patients SET name = upper(name) WHERE country = 'Chile'",
        "CREATE VIEW chile AS SELECT * FROM patients WHERE country = 'Chile'",
        "SELECT name FROM chile ORDER BY name",
        "DELETE FROM patients WHERE country = 'Chile'",
    )
    assert [s.command_tag for s in run.statements] == [
        "INSERT 0 2",
        "UPDATE 2",
        "CREATE VIEW",
        "SELECT 2",
        "DELETE 2",
    ]


def test_errors_carry_detail_and_hint(job: JobDatabase) -> None:
    run = run_one(job, "INSERT INTO patients (idpatient, name, country) VALUES (1, 'X', 'Japan')")
    (statement,) = run.statements
    assert statement.sqlstate == "23505"
    assert statement.error is not None
    primary, detail = statement.error.split("\n")
    assert primary.startswith("duplicate key value violates unique constraint")
    assert detail == "DETAIL:  Key (idpatient, country)=(1, Japan) already exists."


def test_notices_are_kept_per_statement_without_engine_noise(job: JobDatabase) -> None:
    run = run_one(
        job,
        "DO $$BEGIN RAISE NOTICE 'first'; RAISE WARNING 'careful' USING HINT = 'look'; END$$",
        "DO $$BEGIN RAISE WARNING 'could not start maintenance background worker'; END$$",
        "SELECT 1",
    )
    assert [s.notices for s in run.statements] == [
        ["NOTICE:  first", "WARNING:  careful\nHINT:  look"],
        [],
        [],
    ]


def test_meta_commands_are_skipped(job: JobDatabase) -> None:
    run = run_one(job, "\\d patients", "SELECT 1")
    assert run.statements[0].outcome == Outcome.SKIPPED and run.statements[0].limit is None
    assert run.statements[0].kind == "meta" and run.statements[0].line == 1
    assert run.statements[1].outcome == Outcome.OK and run.statements[1].line == 2


def test_rows_are_capped_but_all_counted(job: JobDatabase) -> None:
    run = run_one(job, "SELECT g FROM generate_series(1, 5000) AS g")
    (statement,) = run.statements
    assert statement.rows == [("1",), ("2",), ("3",)]
    assert (statement.row_count, statement.truncated) == (5000, True)
    assert statement.command_tag == "SELECT 5000"


def test_a_huge_result_is_cancelled_at_the_hard_cap(job: JobDatabase) -> None:
    roomy = LIMITS.model_copy(update={"statement_seconds": 60, "exercise_seconds": 60})
    (statement,) = run_one(job, "SELECT generate_series(1, 50000000)", limits=roomy).statements
    assert (statement.outcome, statement.limit) == (Outcome.LIMIT, ROW_CAP_LABEL)
    assert statement.row_count is not None and 1_000_000 <= statement.row_count < 1_001_000


def test_probes_run_as_the_lab_role_after_the_statements(job: JobDatabase) -> None:
    runs, _ = execute(
        job,
        [
            exercise(
                "1.2",
                "CREATE VIEW japan AS SELECT * FROM patients WHERE country = 'Japan'",
                probes={"who": "SELECT current_user", "view": "SELECT count(*) FROM japan"},
            )
        ],
        LIMITS,
    )
    probes: dict[str, StatementOutcome] = runs["1.2"].probes
    assert probes["who"].rows == [("lab_student",)]
    assert probes["view"].rows == [("1",)]
    assert probes["view"].kind == "probe"


def test_statements_past_the_count_limit_are_skipped(job: JobDatabase) -> None:
    limits = LIMITS.model_copy(update={"max_statements": 2})
    run = run_one(job, "SELECT 1", "\\x", "SELECT 2", "SELECT 3", limits=limits)
    assert [s.outcome for s in run.statements] == [
        Outcome.OK,
        Outcome.SKIPPED,
        Outcome.OK,
        Outcome.SKIPPED,
    ]
    assert run.limit == "statement count limit (2 per exercise)"
    assert run.statements[3].limit == run.limit


def test_progress_is_reported_per_exercise(job: JobDatabase) -> None:
    seen: list[str] = []
    execute(job, [exercise("1.1", "SELECT 1"), exercise("1.2")], LIMITS, on_progress=seen.append)
    assert seen == ["running exercise 1.1", "running exercise 1.2"]


@pytest.mark.citus
@pytest.mark.skipif(not HAS_CITUS, reason="the Citus extension is not installed")
def test_citus_refuses_2pc_on_distributed_tables(cluster: LocalCluster, job: JobDatabase) -> None:
    if not cluster.databases.has_citus:
        pytest.skip("plain PostgreSQL variant")
    run = run_one(
        job,
        "BEGIN",
        "INSERT INTO visits (idpatient, country, day) VALUES (1, 'Japan', '2024-04-01')",
        "INSERT INTO patients (name, country) VALUES ('Ken', 'Japan')",
        "PREPARE TRANSACTION 'mediAI_emergency_yuki_001'",
        "SELECT gid FROM pg_prepared_xacts",
        "COMMIT PREPARED 'mediAI_emergency_yuki_001'",
    )
    prepare, listed, commit = run.statements[3:]
    assert prepare.outcome == Outcome.ERROR
    assert prepare.error == "cannot use 2PC in transactions involving multiple servers"
    assert listed.row_count == 0
    assert commit.error == (
        'prepared transaction with identifier "mediAI_emergency_yuki_001" does not exist'
    )
    assert student_rows(job, "SELECT count(*) FROM patients WHERE name = 'Ken'") == [(0,)]


_COUNT_VISITS = "SELECT count(*) FROM visits"


def test_losing_the_engine_is_an_infrastructure_error(lab: Lab) -> None:
    with started("off") as doomed:
        doomed.prepare_lab(lab)
        job = doomed.new_job(lab, "doomed")
        coordinator = doomed.folder / "coordinator"
        stopper = threading.Timer(0.5, _stop_immediately, [doomed, coordinator])
        stopper.start()
        try:
            with pytest.raises(InfrastructureError, match="lost the coordinator"):
                execute(job, [exercise("1.1", "SELECT pg_sleep(20)")], LIMITS)
        finally:
            stopper.join()


def _stop_immediately(cluster: LocalCluster, data_dir: Path) -> None:
    binaries = find_binaries(None)
    user = OsUser.for_servers("postgres")
    subprocess.run(
        user.command([binaries.tool("pg_ctl"), "-D", str(data_dir), "-m", "immediate", "stop"]),
        capture_output=True,
        check=True,
        cwd=data_dir.parent,
    )
