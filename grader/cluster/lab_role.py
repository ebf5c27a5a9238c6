"""The lab's own role: a plain LOGIN role that owns the lab's tables and runs students' SQL.

It exists on every node, because Citus opens its connections to workers as the same
role. Its session defaults are the grader's second line of defence behind the runner's
own clock; `temp_file_limit` is the one a non-superuser cannot change, so it is the real
guard of the nodes' disks.
"""

from __future__ import annotations

import math

import psycopg
from psycopg import sql

from grader.settings import Limits

LAB_ROLE = "lab_student"
# The statement_timeout default sits above the runner's own limit, so the runner's watchdog
# normally fires first and names the limit.
_SERVER_TIMEOUT_MARGIN_SECONDS = 5
_ROLE_DEFAULTS_LOCK = 7_316_221  # advisory lock key, per node


def ensure_role(conn: psycopg.Connection[tuple[object, ...]], role: str) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone()
    if exists is None:
        conn.execute(
            sql.SQL(
                "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION"
            ).format(sql.Identifier(role))
        )


def reset_defaults(conn: psycopg.Connection[tuple[object, ...]], role: str, limits: Limits) -> None:
    """Put back the grader's session defaults for the role on this node.

    A role may `ALTER ROLE itself SET ...` (search_path, work_mem, ...), which would carry
    into the next job's sessions: every setting it gave itself, anywhere, is wiped first.
    Jobs start and end side by side, so the check and the rewrite hold a lock.
    """
    timeout_ms = math.ceil((limits.statement_seconds + _SERVER_TIMEOUT_MARGIN_SECONDS) * 1000)
    wanted = {
        "work_mem": limits.work_mem,
        # Hash tables may otherwise take twice work_mem per node of a plan.
        "hash_mem_multiplier": "1",
        "temp_file_limit": limits.temp_file_limit,
        "statement_timeout": str(timeout_ms),
    }
    ident = sql.Identifier(role)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", [_ROLE_DEFAULTS_LOCK])
        rows = conn.execute(
            "SELECT d.datname, s.setconfig"
            " FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole"
            " LEFT JOIN pg_database d ON d.oid = s.setdatabase WHERE r.rolname = %s",
            [role],
        ).fetchall()
        current = [(database, config) for database, config in rows]
        if current == [(None, [f"{k}={v}" for k, v in wanted.items()])]:
            return
        for database, _ in current:
            if database is not None:
                conn.execute(
                    sql.SQL("ALTER ROLE {} IN DATABASE {} RESET ALL").format(
                        ident, sql.Identifier(str(database))
                    )
                )
        conn.execute(sql.SQL("ALTER ROLE {} RESET ALL").format(ident))
        for name, value in wanted.items():
            conn.execute(
                sql.SQL("ALTER ROLE {} SET {} = {}").format(
                    ident, sql.Identifier(name), sql.Literal(value)
                )
            )
