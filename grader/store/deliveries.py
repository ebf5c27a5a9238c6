"""Webhook deliveries, stored once per X-GitHub-Delivery id.

A payload is kept only when the grader acts on it (a push to grade, a re-run, an
installation). The row of a delivery it ignores (a ping, an event it does not use, a tag
push, a repository of no assignment) is kept without its payload: its id still turns a
redelivery away, and its outcome says why nothing happened.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from psycopg.types.json import Json

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
        (delivery_id, event, action, received_at, Json(payload)),
    ).fetchone()
    return row is not None


def record_deliveries(
    conn: Connection,
    rows: list[tuple[str, str, str | None, datetime, str]],
) -> set[str]:
    """record_delivery for many (delivery id, event, action, received at, payload as JSON
    text) in one statement: the ids stored now. An id may appear only once."""
    ids, events, actions, times, payloads = (list(column) for column in zip(*rows, strict=True))
    # Arrays go in binary (%b): in text, each payload would be quoted for the array
    # literal character by character, which cost more than storing it.
    stored = conn.execute(
        "INSERT INTO deliveries (delivery_id, event, action, received_at, payload)"
        " SELECT i, e, a, r, p::json FROM unnest(%b::text[], %b::text[], %b::text[],"
        " %b::timestamptz[], %b::text[]) AS d(i, e, a, r, p)"
        " ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id",
        (ids, events, actions, times, payloads),
    ).fetchall()
    return {str(row["delivery_id"]) for row in stored}


def set_outcomes(conn: Connection, outcomes: list[tuple[str, str, bool]]) -> None:
    """set_outcome for many (delivery id, outcome, keep the payload)."""
    ids, texts, keep = (list(column) for column in zip(*outcomes, strict=True))
    conn.execute(
        "UPDATE deliveries d SET outcome = o.outcome,"
        " payload = CASE WHEN o.keep THEN d.payload END"
        " FROM unnest(%b::text[], %b::text[], %b::bool[]) AS o(id, outcome, keep)"
        " WHERE d.delivery_id = o.id",
        (ids, texts, keep),
    )


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
