"""Citus functions that would make a node open connections on a student's behalf are refused
to the lab role on every node, while the joins that move data between workers keep working."""

from __future__ import annotations

import re
from collections.abc import Iterator

import psycopg
import pytest
from local_cluster_support import (
    HAS_CITUS,
    admin_rows,
    exercise,
    needs_postgres,
    started,
    student_rows,
    write_tiny_lab,
)
from psycopg.conninfo import make_conninfo

from grader.checks import executes
from grader.checks.base import CheckContext
from grader.cluster.base import JobDatabase
from grader.cluster.connection_functions import REFUSED
from grader.cluster.lab_role import LAB_ROLE
from grader.cluster.local.cluster import LocalCluster
from grader.core.lab import CheckSpec, Exercise, Lab
from grader.run.execute import execute
from grader.settings import Limits

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.citus,
    needs_postgres,
    pytest.mark.skipif(
        not HAS_CITUS, reason="the Citus extension is not installed beside PostgreSQL"
    ),
]

# Citus functions that take a node's name, host or port, or a command string, and stay
# executable by the lab role, with why.
KEPT = {
    "fetch_intermediate_results": "repartition joins run it between workers as the lab role",
    "worker_apply_inter_shard_ddl_command": "runs DDL on the node it is called on; Citus sends "
    "it to the workers as the lab role when a student adds a foreign key between shards",
    "worker_apply_sequence_command": "creates a sequence on the node it is called on; Citus "
    "sends it to the workers as the lab role when a table with a serial column is distributed",
    "citus_run_local_command": "runs the command in the caller's own session, on its own node",
}
# An input argument naming a node, a host, a port or a command to run.
_NODE_OR_COMMAND = re.compile(
    r"(^|_)(node_?name|worker_?name|host(name)?|node_?port|port|command)s?$"
)

_CITUS_FUNCTIONS = """
SELECT p.proname, p.oid::regprocedure::text, coalesce(p.proargnames, '{}'),
       coalesce(p.proargmodes::text[], '{}'),
       has_function_privilege(%s, p.oid, 'EXECUTE'),
       format('SELECT %%I.%%I(%%s)', n.nspname, p.proname,
              (SELECT coalesce(string_agg(
                  '(SELECT NULL::' || format_type(t, NULL) || ')', ', ' ORDER BY i), '')
               FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a(t, i)
               WHERE i <= p.pronargs - p.pronargdefaults))
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'citus'
ORDER BY 2
"""


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    # Few shards: a repartition join runs a task per shard and per bucket.
    distribute = """
SELECT create_distributed_table('patients', 'country', shard_count => 4);
SELECT create_distributed_table('visits', 'country', colocate_with => 'patients');
"""
    return write_tiny_lab(
        tmp_path_factory.mktemp("tiny-lab"), **{"setup/distribute.sql": distribute}
    )


@pytest.fixture(scope="module")
def cluster(lab: Lab) -> Iterator[LocalCluster]:
    with started("on") as running:
        running.prepare_lab(lab)
        yield running


@pytest.fixture(scope="module")
def job(cluster: LocalCluster, lab: Lab) -> Iterator[JobDatabase]:
    created = cluster.new_job(lab, "connections")
    yield created
    cluster.end_job(created)


def _functions(dsn: str) -> list[tuple[str, str, list[str], list[str], bool, str]]:
    """(name, signature, argument names, argument modes, executable by the lab role, a call)
    for every function of the Citus extension. The call leaves out the arguments that have
    defaults (some are of types in the schema `citus`, which the lab role may not name) and
    passes NULL for the others, each from a subquery: a plain NULL would let the planner fold
    a strict function's call away before anyone checks the privilege to make it."""
    return [
        (str(n), str(s), list(a), list(m), bool(x), str(c))
        for n, s, a, m, x, c in admin_rows(dsn, _CITUS_FUNCTIONS, [LAB_ROLE])
    ]


def _takes_a_node_or_command(names: list[str], modes: list[str]) -> bool:
    inputs = [n for i, n in enumerate(names) if not modes or modes[i] in ("i", "b", "v")]
    return any(_NODE_OR_COMMAND.search(name) for name in inputs)


@pytest.mark.parametrize("name", REFUSED)
def test_the_lab_role_may_not_call(job: JobDatabase, name: str) -> None:
    calls = [call for n, _, _, _, _, call in _functions(job.admin_dsn) if n == name]
    assert calls, f"Citus has no function {name} any more: update the refused list"
    for call in calls:
        with pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
            student_rows(job, call)
        assert refused.value.diag.message_primary == f"permission denied for function {name}"


def test_every_node_refuses_them(cluster: LocalCluster, job: JobDatabase) -> None:
    """A distributed function or a pushed-down expression runs on a worker as the lab role."""
    for node in cluster.nodes():
        dsn = make_conninfo(job.admin_dsn, host=node.host, port=node.port)
        allowed = {s for n, s, _, _, x, _ in _functions(dsn) if n in REFUSED and x}
        assert allowed == set(), f"{node.role} lets the lab role run {sorted(allowed)}"


def test_the_list_covers_every_function_taking_a_node_or_a_command(job: JobDatabase) -> None:
    executable = {
        n
        for n, _, names, modes, x, _ in _functions(job.admin_dsn)
        if x and _takes_a_node_or_command(names, modes)
    }
    assert executable == set(KEPT), (
        f"the lab role may run {sorted(executable - set(KEPT))}, which take a node or a command;"
        f" kept but no longer found: {sorted(set(KEPT) - executable)}"
    )


def test_repartition_joins_still_work(job: JobDatabase) -> None:
    join = (
        "SELECT p.name, v.day::text FROM Patients p JOIN Visits v ON v.idPatient = p.idPatient"
        " ORDER BY v.day"
    )
    with psycopg.connect(job.student_dsn, autocommit=True) as conn:
        conn.execute("SET statement_timeout = 0")  # a busy machine is no failure here
        conn.execute("SET citus.enable_repartition_joins = off")
        # neither side is joined on its distribution column
        with pytest.raises(psycopg.Error, match="requires repartitioning"):
            conn.execute(join)
        conn.execute("SET citus.enable_repartition_joins = on")
        plan = "\n".join(str(r[0]) for r in conn.execute("EXPLAIN " + join).fetchall())
        assert "MapMergeJob" in plan
        assert conn.execute(join).fetchall() == [
            ("Mohamed Benali", "2024-01-15"),
            ("Claire Martin", "2024-02-10"),
            ("Yuki Tanaka", "2024-03-01"),
            ("Yuki Tanaka", "2024-03-02"),
        ]


def test_subplans_sent_to_the_workers_still_work(job: JobDatabase) -> None:
    rows = student_rows(
        job,
        "WITH best AS MATERIALIZED (SELECT idPatient FROM Visits"
        " ORDER BY score DESC NULLS LAST LIMIT 1)"
        " SELECT name FROM Patients WHERE idPatient IN (SELECT idPatient FROM best)",
    )
    assert rows == [("Yuki Tanaka",)]


@pytest.mark.parametrize("extension", ["dblink", "postgres_fdw"])
def test_extensions_that_connect_cannot_be_created(job: JobDatabase, extension: str) -> None:
    available = admin_rows(
        job.admin_dsn, "SELECT 1 FROM pg_available_extensions WHERE name = %s", [extension]
    )
    if not available:
        pytest.skip(f"{extension} is not installed beside PostgreSQL")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        student_rows(job, f"CREATE EXTENSION {extension}")


def test_the_student_is_told_which_function_was_refused(lab: Lab, job: JobDatabase) -> None:
    runs, _ = execute(
        job,
        [exercise("x", "SELECT 1", "SELECT * FROM run_command_on_workers('SELECT 1')")],
        Limits(statement_seconds=5, exercise_seconds=20, job_seconds=60),
    )
    ctx = CheckContext(
        lab=lab,
        exercise=Exercise(id="x", part="1", title="Anything", points=1),
        answer=None,
        template=None,
        student=runs["x"],
        reference=None,
        engine=None,
        exercise_file=lab.exercise_file,
    )
    result = executes.check(ctx, CheckSpec(type="executes"))
    assert [(f.line, f.message) for f in result.findings] == [
        (
            2,
            "The engine returned an error: permission denied for function run_command_on_workers",
        )
    ]
    assert result.score == 0.5
