"""A lab's template database on every node, and per-job copies of it.

Written against DSNs only, so any backend that can reach its nodes (local processes,
containers) reuses it. The template is loaded once per lab version, then locked: a
database can only be copied while nobody is connected to it, and Citus keeps sessions
open (its maintenance daemon, cached worker connections) unless connections are refused.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from grader.cluster import node_sql
from grader.cluster.base import JobDatabase, Node
from grader.cluster.lab_role import LAB_ROLE, ensure_role, reset_defaults
from grader.cluster.lab_setup import load_template
from grader.cluster.spare_copies import SpareCopies
from grader.core.errors import InfrastructureError, LabError
from grader.core.lab import Lab, Variant
from grader.settings import Limits

AdminDsn = Callable[[Node, str], str]  # (node, database) -> a superuser DSN
Conn = psycopg.Connection[tuple[object, ...]]

_MAINTENANCE_DB = "postgres"
_READY = "ready"  # the coordinator template's comment once it is loaded and locked
_FILE_COPY_SINCE = 150_000  # CREATE DATABASE ... STRATEGY, server_version_num
_PREPARE_LOCK = 7_316_220  # advisory lock key: one template build at a time per cluster


class LabDatabases:
    def __init__(
        self,
        nodes: Sequence[Node],
        admin_dsn: AdminDsn,
        *,
        coordinator_address: tuple[str, int],  # as the workers reach it
        worker_addresses: Sequence[tuple[str, int]],  # as the coordinator reaches them
        has_citus: bool,
        limits: Limits,
        role: str = LAB_ROLE,
    ) -> None:
        self.nodes = list(nodes)  # the coordinator first
        self._admin_dsn = admin_dsn
        self._coordinator_address = coordinator_address
        self._worker_addresses = list(worker_addresses)
        self.has_citus = has_citus
        self._limits = limits
        self.role = role
        self._ready: set[str] = set()  # templates known loaded and locked
        self.spares = SpareCopies(self._spare_copy, self.end_job)

    @property
    def coordinator(self) -> Node:
        return self.nodes[0]

    def template_name(self, lab: Lab, variant: str | None = None) -> str:
        """The template of the lab's seed, or of one of its variant data sets: each is a
        template of its own, named by everything that goes into it."""
        chosen = _variant(lab, variant)
        digest = hashlib.sha256()
        for part in (lab.id, lab.version, self.role, str(self.has_citus)):
            digest.update(part.encode() + b"\0")
        seed = chosen.seed_sql if chosen else lab.setup.seed_sql
        for path in (lab.setup.schema_sql, lab.setup.distribute_sql, seed):
            digest.update(lab.read(path).encode() + b"\0")
        suffix = f"_{_slug(chosen.name, 12)}" if chosen else ""
        return f"lab_{_slug(lab.id, 30)}{suffix}_{digest.hexdigest()[:10]}"

    def prepare(self, lab: Lab) -> str:
        """Build the lab's templates (its seed's, then each variant's) on every node unless
        they are already there, ready; the seed's name is returned."""
        with self.admin(self.coordinator, _MAINTENANCE_DB) as lock_conn:
            lock_conn.execute("SELECT pg_advisory_lock(%s)", [_PREPARE_LOCK])
            with self._maintenance_sessions() as sessions:
                for _, conn in sessions:
                    ensure_role(conn, self.role)
                    reset_defaults(conn, self.role, self._limits)
            for variant in (None, *lab.variants):
                template = self.template_name(lab, variant.name if variant else None)
                if not self._is_ready(template):
                    for node in self.nodes:
                        self._drop(node, template)
                    load_template(self, lab, template, variant)
                    self._lock(template)
                self._ready.add(template)
        return self.template_name(lab)

    def new_job(self, lab: Lab, job_id: str, variant: str | None = None) -> JobDatabase:
        template = self.template_name(lab, variant)
        if template not in self._ready and not self._is_ready(template):
            raise InfrastructureError(f"lab {lab.id} is not prepared on this cluster")
        self._ready.add(template)
        spare = self.spares.take(template)
        job = self._from_spare(spare, job_id) if spare else self.copy_template(template, job_id)
        self.spares.refill(template)
        return job

    def _from_spare(self, spare: JobDatabase, job_id: str) -> JobDatabase:
        """The spare, renamed on every node to the job's name: nobody has connected to it
        yet, so the rename is immediate, and the job's name still says which job it is."""
        job = self._job(job_database_name(job_id))
        rename = sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
            sql.Identifier(spare.name), sql.Identifier(job.name)
        )
        try:
            with self._maintenance_sessions() as sessions:
                if any(node_sql.exists(conn, job.name) for _, conn in sessions):
                    self.end_job(job)  # a retried job starts from a clean copy
                for _, conn in sessions:
                    conn.execute(rename)
        except psycopg.Error as exc:
            raise InfrastructureError(f"could not hand out a spare copy: {exc}") from exc
        return job

    def copy_template(self, template: str, job_id: str) -> JobDatabase:
        """A copy made now, on every node (new_job hands out a spare when one is ready)."""
        job = self._job(job_database_name(job_id))
        self.end_job(job)  # a retried job starts from a clean copy
        return self._copy_everywhere(template, job)

    def _spare_copy(self, template: str, spare_id: str) -> JobDatabase:
        # Made while another job runs: a fresh name, so nothing of that job is touched.
        return self._copy_everywhere(template, self._job(job_database_name(spare_id)))

    def _copy_everywhere(self, template: str, job: JobDatabase) -> JobDatabase:
        try:
            # Side by side: each node copies on its own server, so the wall time is one copy.
            with ThreadPoolExecutor(max_workers=len(self.nodes)) as pool:
                list(pool.map(lambda node: self._copy(node, template, job.name), self.nodes))
        except BaseException:
            self.end_job(job)
            raise
        return job

    def close(self) -> None:
        """Drop the spare copy; call before the nodes stop."""
        self.spares.close()

    def end_job(self, job: JobDatabase) -> None:
        """Clear what the job left on every node, then drop its copies. Idempotent."""
        with self._maintenance_sessions() as sessions:
            for attempt in range(3):
                try:
                    self._drop_job(sessions, job.name)
                    break
                except psycopg.errors.ObjectInUse as exc:  # prepared again in between
                    if attempt == 2:
                        raise InfrastructureError(f"could not drop {job.name}: {exc}") from exc
            for _, conn in sessions:
                reset_defaults(conn, self.role, self._limits)

    def _drop_job(self, sessions: list[tuple[Node, Conn]], name: str) -> None:
        """Connections are refused on every node before any copy is dropped: each node's
        Citus maintenance daemon connects to all the others, and while it can, it keeps
        reopening sessions that make DROP DATABASE wait."""
        ident = sql.Identifier(name)
        present = []
        for node, conn in sessions:
            exists = node_sql.exists(conn, name)
            if exists:  # a previous attempt may have left it closed
                conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(ident))
                node_sql.terminate_sessions(conn, name)
            self._rollback_prepared(node, conn, name)
            if exists:
                conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(ident))
                present.append(conn)
        for conn in present:
            node_sql.settle(conn, name)
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))

    @contextmanager
    def _maintenance_sessions(self) -> Iterator[list[tuple[Node, Conn]]]:
        """One superuser session per node, for the few statements a job's start or end needs."""
        with ExitStack() as stack:
            yield [
                (node, stack.enter_context(self.admin(node, _MAINTENANCE_DB)))
                for node in self.nodes
            ]

    def role_dsn(self, database: str) -> str:
        return make_conninfo(self._admin_dsn(self.coordinator, database), user=self.role)

    def register_workers(self, conn: Conn) -> None:
        host, port = self._coordinator_address
        conn.execute("SELECT citus_set_coordinator_host(%s, %s)", [host, port])
        for host, port in self._worker_addresses:
            conn.execute("SELECT citus_add_node(%s, %s)", [host, port])

    def _job(self, name: str) -> JobDatabase:
        return JobDatabase(
            name=name,
            student_dsn=self.role_dsn(name),
            admin_dsn=self._admin_dsn(self.coordinator, name),
        )

    @contextmanager
    def admin(self, node: Node, database: str) -> Iterator[Conn]:
        dsn = self._admin_dsn(node, database)
        try:
            conn = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as exc:
            raise InfrastructureError(f"cannot reach {node.role} ({database}): {exc}") from exc
        with conn:
            yield conn

    def _is_ready(self, template: str) -> bool:
        with self.admin(self.coordinator, _MAINTENANCE_DB) as conn:
            row = conn.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
                [template],
            ).fetchone()
        if row is None or row[0] != _READY:
            return False
        for node in self.nodes[1:]:
            with self.admin(node, _MAINTENANCE_DB) as conn:
                if not node_sql.exists(conn, template):
                    return False
        return True

    def _drop(self, node: Node, database: str) -> None:
        with self.admin(node, _MAINTENANCE_DB) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )

    def _lock(self, template: str) -> None:
        """Refuse connections to the template on every node, then end the sessions Citus
        keeps there: each node's maintenance daemon reconnects to the others while it can."""
        ident = sql.Identifier(template)
        with self._maintenance_sessions() as sessions:
            for _, conn in sessions:
                conn.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(ident))
            for _, conn in sessions:
                node_sql.settle(conn, template)
            coordinator = sessions[0][1]
            coordinator.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(ident, sql.Literal(_READY))
            )

    def _copy(self, node: Node, template: str, name: str) -> None:
        create = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)
        )
        with self.admin(node, _MAINTENANCE_DB) as conn:
            if conn.info.server_version >= _FILE_COPY_SINCE:
                # PostgreSQL 15's default copies a template block by block through the WAL:
                # about a second of a core per node for a Citus lab. Copying the files costs
                # a checkpoint instead, which is cheap on nodes that never fsync; half the
                # CPU of a job at a deadline went into its copies.
                create = sql.SQL("{} STRATEGY FILE_COPY").format(create)
            deadline = time.monotonic() + node_sql.SETTLE_SECONDS
            while True:
                try:
                    conn.execute(create)
                    return
                except psycopg.errors.ObjectInUse:
                    # "source database is being accessed by other users": a session that
                    # was ending as the template was locked; it goes away on its own.
                    if time.monotonic() > deadline:
                        raise
                    node_sql.terminate_sessions(conn, template)
                    time.sleep(0.1)

    def _rollback_prepared(self, node: Node, conn: Conn, database: str) -> None:
        """Prepared transactions block DROP DATABASE, and their gids are per node: left
        behind, the lab's fixed 'mediAI_emergency_yuki_001' would refuse every later job's
        PREPARE. ROLLBACK PREPARED must run in the transaction's own database."""
        gids = node_sql.prepared_transactions(conn, database)
        if gids:
            with self.admin(node, database) as db_conn:
                node_sql.rollback_prepared(db_conn, gids)


def _variant(lab: Lab, name: str | None) -> Variant | None:
    if name is None:
        return None
    for variant in lab.variants:
        if variant.name == name:
            return variant
    raise LabError(f"lab {lab.id} has no variant {name!r}")


def job_database_name(job_id: str) -> str:
    digest = hashlib.sha256(job_id.encode()).hexdigest()[:8]
    return f"job_{_slug(job_id, 40)}_{digest}"


def _slug(text: str, length: int) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")[:length] or "x"
