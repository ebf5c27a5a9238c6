"""Whether a cluster may serve another job: the pool's health probe, for any backend whose
per-job copies are kept by `LabDatabases` (`local` and `docker` alike)."""

from __future__ import annotations

import psycopg

from grader.cluster.base import Cluster
from grader.cluster.docker.pool import ClusterHealth
from grader.cluster.lab_databases import LabDatabases
from grader.core.errors import InfrastructureError

_MAINTENANCE_DB = "postgres"
_BUILTIN_SUPERUSER = "postgres"
_SPARE_PREFIX = "job_spare_"  # LabDatabases names a job's copies job_<job id>


def probe(cluster: Cluster) -> ClusterHealth:
    """Every node answers; it holds no prepared transaction, no job copy and no role beyond the
    superuser and the lab role (the lab role cannot create roles: another one means something
    else has been at the cluster)."""
    databases = getattr(cluster, "databases", None)
    if not isinstance(databases, LabDatabases):
        return ClusterHealth((f"{type(cluster).__name__} keeps no LabDatabases to probe",))
    return probe_databases(databases)


def probe_databases(dbs: LabDatabases) -> ClusterHealth:
    problems: list[str] = []
    expected_roles = {_BUILTIN_SUPERUSER, dbs.role}
    for node in dbs.nodes:
        try:
            with dbs.admin(node, _MAINTENANCE_DB) as conn:
                prepared = [
                    str(r[0])
                    for r in conn.execute("SELECT gid FROM pg_prepared_xacts ORDER BY gid")
                ]
                copies = [
                    str(r[0])
                    for r in conn.execute(
                        r"SELECT datname FROM pg_database WHERE datname LIKE 'job\_%'"
                        " ORDER BY datname"
                    )
                ]
                roles = [
                    str(r[0])
                    for r in conn.execute(
                        "SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY rolname"
                    )
                ]
        except (InfrastructureError, psycopg.Error) as exc:
            problems.append(f"{node.role} does not answer: {exc}")
            continue
        if prepared:
            problems.append(f"{node.role} holds prepared transactions {prepared}")
        # A spare still being made is not yet among the names: it is no left-over either.
        copies = [
            c for c in copies if c not in dbs.spares.names and not c.startswith(_SPARE_PREFIX)
        ]
        if copies:
            problems.append(f"{node.role} still holds job databases {copies}")
        unexpected = sorted(set(roles) - expected_roles)
        if unexpected:
            problems.append(f"{node.role} has unexpected roles {unexpected}")
    return ClusterHealth(tuple(problems))
