"""The audit log: who overrode a score or asked for a re-run, when, and why. Written in the
same transaction as the action itself, so no action goes unrecorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from grader.store.db import Connection


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    assignment_id: int | None
    run_id: int | None
    exercise_id: str | None
    detail: dict[str, Any]


def record(
    conn: Connection,
    actor: str,
    action: str,
    *,
    assignment_id: int | None = None,
    run_id: int | None = None,
    exercise_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> int:
    row = conn.execute(
        "INSERT INTO audit_log (actor, action, assignment_id, run_id, exercise_id, detail)"
        " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (actor, action, assignment_id, run_id, exercise_id, Jsonb(detail or {})),
    ).fetchone()
    assert row is not None
    return int(row["id"])


def recent(conn: Connection, assignment_id: int, limit: int = 20) -> list[AuditEntry]:
    rows = conn.execute(
        "SELECT id, at, actor, action, assignment_id, run_id, exercise_id, detail"
        " FROM audit_log WHERE assignment_id = %s ORDER BY at DESC, id DESC LIMIT %s",
        (assignment_id, limit),
    ).fetchall()
    return [AuditEntry(**row) for row in rows]
