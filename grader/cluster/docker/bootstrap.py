"""The first SQL on a freshly started cluster of containers, once every node reports healthy.

Workers are registered by the grader itself (`LabDatabases`, in each lab template) once this
has checked that the coordinator reaches them, rather than by the stock compose file's
membership-manager container: that one needs the Docker socket and races with the coordinator.
Written against `LabDatabases`, so it needs nothing of Docker.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import psycopg
from psycopg import sql

from grader.cluster.base import Node
from grader.cluster.lab_databases import LabDatabases
from grader.cluster.lab_role import ensure_role
from grader.core.errors import InfrastructureError
from grader.core.trace import EngineInfo

MAINTENANCE_DB = "postgres"
_CHECK_SECONDS = 5.0


def wait_until_reachable(
    nodes: list[Node], admin_dsn: Callable[[Node, str], str], deadline: float
) -> None:
    """Healthy inside its container is not yet reachable from the grader: a network attachment
    or a published port can lag by a moment."""
    for node in nodes:
        while True:
            try:
                with psycopg.connect(admin_dsn(node, MAINTENANCE_DB), connect_timeout=5):
                    break
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise InfrastructureError(
                        f"{node.role} is healthy but the grader cannot reach it at "
                        f"{node.host}:{node.port}: {exc}"
                    ) from exc
                time.sleep(0.2)


def has_citus(coordinator: Node, admin_dsn: Callable[[Node, str], str]) -> bool:
    """Whether the image ships Citus: detected, never assumed, so any PostgreSQL image serves
    (Citus-only exercises are then ungraded, with their reason)."""
    with psycopg.connect(admin_dsn(coordinator, MAINTENANCE_DB), connect_timeout=10) as conn:
        row = conn.execute(
            "SELECT EXISTS (SELECT FROM pg_available_extensions WHERE name = 'citus')"
            " AND current_setting('shared_preload_libraries') ~ '\\mcitus\\M'"
        ).fetchone()
    return bool(row and row[0])


def bootstrap(
    dbs: LabDatabases, role_password: str, worker_addresses: Sequence[tuple[str, int]]
) -> None:
    """Citus where it is missing, the lab role with the cluster's password on every node, and
    proof that the coordinator reaches every worker by its network name.

    Nodes accept only password logins from the network, and Citus opens its connections to
    the workers as the session's role with the server's PGPASSWORD: the lab role therefore
    gets the cluster's generated password. Workers are registered per lab template, by
    `LabDatabases`: registered in this maintenance database, they would refuse the role
    changes it makes there ("operation is not allowed on this node")."""
    for node in [*dbs.nodes[1:], dbs.coordinator]:
        with dbs.admin(node, MAINTENANCE_DB) as conn:
            if dbs.has_citus:  # the image's init script normally did it
                conn.execute("CREATE EXTENSION IF NOT EXISTS citus")
            ensure_role(conn, dbs.role)
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(dbs.role), sql.Literal(role_password)
                )
            )
    if dbs.has_citus:
        with dbs.admin(dbs.coordinator, MAINTENANCE_DB) as conn:
            unreachable = [
                problem
                for host, port in worker_addresses
                if (problem := _check_connection(conn, host, port))
            ]
        if unreachable:
            raise InfrastructureError(
                "the coordinator cannot reach workers " + "; ".join(unreachable)
            )


def _check_connection(conn: psycopg.Connection[tuple[object, ...]], host: str, port: int) -> str:
    """ "" when the coordinator reaches the worker, else what stopped it. Retried briefly:
    creating the extension turns SSL on, which a worker applies on its next reload."""
    warnings: list[str] = []

    def keep(notice: psycopg.errors.Diagnostic) -> None:
        warnings.append(notice.message_primary or "")

    conn.add_notice_handler(keep)
    try:
        deadline = time.monotonic() + _CHECK_SECONDS
        while True:
            warnings.clear()
            row = conn.execute(
                "SELECT citus_check_connection_to_node(%s, %s)", [host, port]
            ).fetchone()
            if row and row[0]:
                return ""
            if time.monotonic() > deadline:
                return f"{host}:{port} ({'; '.join(warnings) or 'no reason given'})"
            time.sleep(0.2)
    finally:
        conn.remove_notice_handler(keep)


def read_engine_info(dbs: LabDatabases, backend: str) -> EngineInfo:
    with dbs.admin(dbs.coordinator, MAINTENANCE_DB) as conn:
        row = conn.execute("SHOW server_version").fetchone()
        version = str(row[0]).split()[0] if row else "unknown"
        citus_version = None
        if dbs.has_citus:
            row = conn.execute("SHOW citus.version").fetchone()
            citus_version = str(row[0]) if row else "unknown"
    return EngineInfo(
        backend=backend,
        postgres_version=version,
        citus_version=citus_version,
        workers=len(dbs.nodes) - 1,
    )
