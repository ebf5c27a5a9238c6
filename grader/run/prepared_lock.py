"""Jobs side by side on one cluster, and the one thing they cannot share: two-phase commit.

A prepared transaction's name (its gid) is unique per node, not per database, and the lab's
Exercise 4.2 prepares the fixed 'mediAI_emergency_yuki_001': two jobs preparing it at once
on one cluster would see the second PREPARE refused. `pg_prepared_xacts` also lists every
database's prepared transactions, so a job looking at it would see its neighbour's.

So a job's two-phase section runs alone on the cluster: an advisory lock in the
coordinator's maintenance database (the one database every job's copy shares) is taken
before a PREPARE TRANSACTION is sent, and given back once a COMMIT PREPARED or ROLLBACK
PREPARED leaves the job's database with no prepared transaction, or when the job's session
ends, after rolling back what the student left prepared. Every other statement of every
job runs in parallel.
"""

from __future__ import annotations

import re
import time

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from grader.core.errors import InfrastructureError

_LOCK = (3, 4_200)  # advisory lock key, apart from the store's and the cluster's own
_MAINTENANCE_DB = "postgres"
_POLL_SECONDS = 0.05
# Comments and blanks before a statement's first word, as psql would send them.
_LEADING = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*", re.DOTALL)
_PREPARE = re.compile(r"PREPARE\s+TRANSACTION\b", re.IGNORECASE)
_FINISH = re.compile(r"(?:COMMIT|ROLLBACK)\s+PREPARED\b", re.IGNORECASE)

Conn = psycopg.Connection[tuple[object, ...]]


def _body(statement: str) -> str:
    match = _LEADING.match(statement)
    return statement[match.end() if match else 0 :]


def prepares(statement: str) -> bool:
    return _PREPARE.match(_body(statement)) is not None


def finishes_prepared(statement: str) -> bool:
    return _FINISH.match(_body(statement)) is not None


class PreparedTransactionLock:
    """The cluster-wide two-phase section of one job's session (see the module docstring)."""

    def __init__(self, admin_dsn: str) -> None:
        self._job_dsn = admin_dsn  # the job's database, as a superuser
        self._database = str(conninfo_to_dict(admin_dsn).get("dbname", ""))
        self._lock_dsn = make_conninfo(admin_dsn, dbname=_MAINTENANCE_DB)
        self._conn: Conn | None = None  # holds the lock while open

    @property
    def held(self) -> bool:
        return self._conn is not None

    def before(self, statement: str, deadline: float) -> None:
        """Wait for the section before a PREPARE TRANSACTION; raise when `deadline` passes
        first (the job is retried rather than graded on a refused PREPARE)."""
        if self._conn is not None or not prepares(statement):
            return
        conn = self._connect()
        try:
            while not _try_lock(conn):
                if time.monotonic() >= deadline:
                    raise InfrastructureError(
                        "another job on this cluster kept its prepared transaction until "
                        "this statement's time ran out"
                    )
                time.sleep(_POLL_SECONDS)
        except BaseException:
            conn.close()
            raise
        self._conn = conn

    def after(self, statement: str) -> None:
        """End the section once COMMIT/ROLLBACK PREPARED left nothing prepared here."""
        if self._conn is None or not finishes_prepared(statement):
            return
        if not self._left_prepared(self._conn):
            self._release()

    def close(self) -> None:
        """At the end of the job's session: roll back what it left prepared (no later job
        could prepare the same name while it stays), then end the section."""
        if self._conn is None:
            return
        try:
            gids = self._left_prepared(self._conn)
            if gids:
                # ROLLBACK PREPARED only works from the transaction's own database.
                with psycopg.connect(self._job_dsn, autocommit=True, connect_timeout=10) as db:
                    for gid in gids:
                        db.execute(sql.SQL("ROLLBACK PREPARED {}").format(sql.Literal(gid)))
        except psycopg.Error as exc:
            # The coordinator is failing: this job is retried, and dropping its copy rolls
            # back what is left before that copy goes.
            raise InfrastructureError(f"could not roll back a prepared transaction: {exc}") from exc
        finally:
            self._release()

    def _left_prepared(self, conn: Conn) -> list[str]:
        rows = conn.execute(
            "SELECT gid FROM pg_prepared_xacts WHERE database = %s", [self._database]
        ).fetchall()
        return [str(row[0]) for row in rows]

    def _connect(self) -> Conn:
        try:
            conn: Conn = psycopg.connect(
                self._lock_dsn,
                autocommit=True,
                connect_timeout=10,
                application_name="sql-lab-grader-2pc",
            )
        except psycopg.OperationalError as exc:
            raise InfrastructureError(f"cannot reach the coordinator: {exc}") from exc
        return conn

    def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()  # a session-level advisory lock ends with its session


def _try_lock(conn: Conn) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s, %s)", _LOCK).fetchone()
    return bool(row and row[0])
