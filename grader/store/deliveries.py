"""Webhook deliveries, stored once per X-GitHub-Delivery id.

A payload is kept only when the grader acts on it (a push to grade, a re-run, an
installation). The row of a delivery it ignores (a ping, an event it does not use, a tag
push, a repository of no assignment) is kept without its payload: its id still turns a
redelivery away, and its outcome says why nothing happened.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from grader.store.db import Connection


def record_delivery(
    conn: Connection,
    delivery_id: str,
    event: str,
    action: str | None,
    received_at: datetime,
    payload: dict[str, Any],
) -> bool:
    """Store a verified delivery; False when this id was stored before (a redelivery)."""
    row = conn.execute(
        "INSERT INTO deliveries (delivery_id, event, action, received_at, payload)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (delivery_id) DO NOTHING RETURNING id",
        (delivery_id, event, action, received_at, Jsonb(payload)),
    ).fetchone()
    return row is not None


def set_outcome(conn: Connection, delivery_id: str, outcome: str, *, keep_payload: bool) -> None:
    conn.execute(
        "UPDATE deliveries SET outcome = %s,"
        " payload = CASE WHEN %s THEN payload END WHERE delivery_id = %s",
        (outcome, keep_payload, delivery_id),
    )


def delivery_outcome(conn: Connection, delivery_id: str) -> str | None:
    row = conn.execute(
        "SELECT outcome FROM deliveries WHERE delivery_id = %s", (delivery_id,)
    ).fetchone()
    return None if row is None else str(row["outcome"])
