"""Loading a lab's starting state into a fresh template database, from the bundle only.

The setup scripts run as the lab role, so the lab's tables (and, with Citus, their shards
on the workers) belong to the role students' SQL runs as, exactly as in the lab where
students own what they create.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Protocol

import psycopg
from psycopg import sql

from grader.cluster import connection_functions
from grader.cluster.base import Node
from grader.core.errors import InfrastructureError, LabError
from grader.core.lab import Lab, Variant

Conn = psycopg.Connection[tuple[object, ...]]


class TemplateNodes(Protocol):
    """What loading a template needs of the nodes that will hold it (LabDatabases)."""

    nodes: list[Node]  # the coordinator first
    has_citus: bool
    role: str

    @property
    def coordinator(self) -> Node: ...

    def admin(self, node: Node, database: str) -> AbstractContextManager[Conn]: ...

    def register_workers(self, conn: Conn) -> None: ...

    def role_dsn(self, database: str) -> str: ...


# A table name as a lab.toml may write it: a plain (possibly schema-qualified) identifier.
_TABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")

# Sessions of the lab role may signal any session of the same role, so one job could cancel
# or end another job's session. Only the grader's superuser may.
_REVOKE_SIGNALS = """
DO $$
DECLARE f regprocedure;
BEGIN
  FOR f IN SELECT oid::regprocedure FROM pg_proc
           WHERE proname IN ('pg_cancel_backend', 'pg_terminate_backend') LOOP
    EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
  END LOOP;
END $$
"""


def load_template(
    dbs: TemplateNodes, lab: Lab, template: str, variant: Variant | None = None
) -> None:
    """Create, load and check the template on every node, with the lab's seed or a
    variant's data set (same schema, same distribution); locking it is the caller's."""
    # Side by side: CREATE EXTENSION citus takes a good part of a second on each node.
    with ThreadPoolExecutor(max_workers=len(dbs.nodes)) as pool:
        list(pool.map(lambda node: _create_empty(dbs, node, template), dbs.nodes))
    if dbs.has_citus:
        with dbs.admin(dbs.coordinator, template) as conn:
            dbs.register_workers(conn)
    scripts = [lab.setup.schema_sql]
    if dbs.has_citus:
        scripts.append(lab.setup.distribute_sql)
    scripts.append(variant.seed_sql if variant else lab.setup.seed_sql)
    try:
        conn = psycopg.connect(
            dbs.role_dsn(template),
            autocommit=True,
            connect_timeout=10,
            options="-c statement_timeout=0",  # the role's default is meant for students
        )
    except psycopg.OperationalError as exc:
        raise InfrastructureError(f"cannot reach the coordinator as {dbs.role}: {exc}") from exc
    with conn:
        for path in scripts:
            _run_script(conn, lab, path)
        _check_counts(conn, lab, variant.expected_counts if variant else lab.setup.expected_counts)


def _create_empty(dbs: TemplateNodes, node: Node, template: str) -> None:
    with dbs.admin(node, "postgres") as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)))
    with dbs.admin(node, template) as conn:
        if dbs.has_citus:
            conn.execute("CREATE EXTENSION citus")
        conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(dbs.role)))
        conn.execute(_REVOKE_SIGNALS)
        if dbs.has_citus:
            connection_functions.refuse(conn)


def _run_script(conn: psycopg.Connection[tuple[object, ...]], lab: Lab, path: str) -> None:
    try:
        # No parameters: sent as one simple query, so a file may hold many statements.
        conn.execute(lab.read(path).encode())
    except psycopg.OperationalError as exc:
        raise InfrastructureError(f"lost the coordinator while running {path}: {exc}") from exc
    except psycopg.Error as exc:
        raise LabError(
            f"{path} of lab {lab.id} fails on the grading cluster: {exc.diag.message_primary}"
        ) from exc


def _check_counts(
    conn: psycopg.Connection[tuple[object, ...]], lab: Lab, counts: dict[str, int]
) -> None:
    wrong = []
    for table, expected in counts.items():
        if not _TABLE_NAME.fullmatch(table):
            raise LabError(f"expected_counts names {table!r}, which is not a table name")
        try:
            row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.SQL(table))).fetchone()
        except psycopg.Error as exc:
            raise LabError(f"counting {table} after setup failed: {exc}") from exc
        actual = row[0] if row else None
        if actual != expected:
            wrong.append(f"{table}: {actual} rows, expected {expected}")
    if wrong:
        raise LabError(f"lab {lab.id} setup did not load as expected: " + "; ".join(wrong))
