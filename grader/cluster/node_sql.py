"""Superuser statements on one node about one database: its sessions, its prepared
transactions, whether it exists. Plain SQL over a connection, for any backend."""

from __future__ import annotations

import contextlib
import time

import psycopg
from psycopg import sql

from grader.core.errors import InfrastructureError

Conn = psycopg.Connection[tuple[object, ...]]

SETTLE_SECONDS = 10.0


def exists(conn: Conn, database: str) -> bool:
    row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
    return row is not None


def terminate_sessions(conn: Conn, database: str) -> None:
    conn.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = %s AND pid <> pg_backend_pid()",
        [database],
    )


def settle(conn: Conn, database: str) -> None:
    """Terminate the database's sessions until none is left. Background workers (Citus's
    maintenance daemon) may take a moment to notice, and may open new sessions meanwhile
    unless the database already refuses connections."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        terminate_sessions(conn, database)
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [database],
        ).fetchone()
        if row is None or row[0] == 0:
            return
        if time.monotonic() > deadline:
            raise InfrastructureError(f"sessions on {database} would not end: {row[0]} left")
        time.sleep(0.05)


def prepared_transactions(conn: Conn, database: str) -> list[str]:
    """Gids of the transactions prepared in `database`. Only that database's: the next
    job's spare copy is made while a job runs, so ending one job must never touch what
    another has prepared (a gid is per node, but each transaction has its database)."""
    rows = conn.execute(
        "SELECT gid FROM pg_prepared_xacts WHERE database = %s ORDER BY gid", [database]
    ).fetchall()
    return [str(gid) for (gid,) in rows]


def rollback_prepared(conn: Conn, gids: list[str]) -> None:
    """On a connection to the transactions' own database, as ROLLBACK PREPARED requires."""
    for gid in gids:
        # UndefinedObject: finished by its own session meanwhile
        with contextlib.suppress(psycopg.errors.UndefinedObject):
            conn.execute(sql.SQL("ROLLBACK PREPARED {}").format(sql.Literal(gid)))
