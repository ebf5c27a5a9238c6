"""Connections to the service's store (PostgreSQL, psycopg 3, no ORM).

Every store function takes an open connection and runs inside the caller's
transaction, so a caller decides what commits together (the webhook stores the
delivery and its push in one transaction, then enqueues).
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg_pool import ConnectionPool

Connection = psycopg.Connection[DictRow]


def connect(database_url: str, *, autocommit: bool = False) -> Connection:
    return psycopg.connect(database_url, row_factory=dict_row, autocommit=autocommit)


def open_pool(database_url: str, *, max_size: int = 4) -> ConnectionPool[Connection]:
    """A pool that is open when returned: a wrong URL fails here, at start, not on a request."""
    kwargs: dict[str, Any] = {"row_factory": dict_row}
    # Each connection is checked as it leaves the pool: one the server closed (a restart, an
    # idle timeout, pg_terminate_backend) is replaced instead of failing a request.
    pool: ConnectionPool[Connection] = ConnectionPool(
        database_url,
        min_size=1,
        max_size=max_size,
        kwargs=kwargs,
        open=False,
        check=ConnectionPool.check_connection,
    )
    pool.open(wait=True, timeout=10)
    return pool
