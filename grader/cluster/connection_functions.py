"""Citus functions that make a node open connections on the caller's behalf, refused to the
lab role.

Citus lets every role run them. Each one makes a node connect to a host and port the caller
names, run a command string the caller writes on other nodes, or move shards between nodes
the caller picks. The lab never asks a student to do any of that, and the grader's superuser
is not affected by the revoke. Students' SQL can reach every node (a distributed function or a
pushed-down expression runs on the workers as the lab role), so the revoke is applied in the
template database on every node, and each job's copy inherits it.

Refusing `master_run_on_worker` also refuses the Citus monitoring functions built on it
(`citus_stat_activity`, `citus_locks` and their views); the lab asks for neither.

`fetch_intermediate_results(ids, host, port)` stays executable although it connects to any
host and port: repartition joins run it as the lab role, between workers. The network around
the nodes has to contain it.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

Conn = psycopg.Connection[tuple[object, ...]]

# Every overload of each name is refused.
RUN_COMMANDS = (
    "master_run_on_worker",
    "run_command_on_workers",
    "run_command_on_all_nodes",
    "run_command_on_coordinator",
    "run_command_on_placements",
    "run_command_on_colocated_placements",
    "run_command_on_shards",
)
CONNECT_TO_NODES = ("citus_check_connection_to_node", "citus_check_cluster_node_health")
MOVE_SHARDS = (
    "citus_move_shard_placement",
    "master_move_shard_placement",
    "citus_copy_shard_placement",
    "master_copy_shard_placement",
    "citus_schema_move",
    "citus_split_shard_by_split_points",
    "worker_copy_table_to_node",
    "rebalance_table_shards",
    "replicate_table_shards",
    "citus_rebalance_start",  # its background job would outlive the student's session
)
REFUSED = RUN_COMMANDS + CONNECT_TO_NODES + MOVE_SHARDS

# Only the Citus extension's own functions: PostgreSQL's pg_catalog has none of these names,
# but a student could create a function of the same name in a schema of their own.
_CITUS_FUNCTIONS = """
SELECT p.oid::regprocedure::text FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'citus'
WHERE p.proname = ANY(%s)
ORDER BY 1
"""


def refuse(conn: Conn) -> None:
    """Revoke EXECUTE from PUBLIC on every refused function of this node's database, as its
    superuser (the functions' owner); the grader's superuser keeps them."""
    with conn.transaction():
        for (signature,) in conn.execute(_CITUS_FUNCTIONS, [list(REFUSED)]).fetchall():
            # The signature comes from the catalog, already quoted as regprocedure prints it.
            conn.execute(
                sql.SQL("REVOKE EXECUTE ON FUNCTION {} FROM PUBLIC").format(sql.SQL(str(signature)))
            )
