"""A person's change to a grade, with the reason. Never erased by a re-run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from grader.core.errors import InvalidInput
from grader.store.db import Connection


@dataclass(frozen=True)
class Override:
    id: int
    run_id: int
    exercise_id: str | None  # None: the whole run
    score: float
    reason: str
    by_whom: str
    at: datetime


def add_override(
    conn: Connection,
    run_id: int,
    *,
    exercise_id: str | None,
    score: float,
    reason: str,
    by_whom: str,
) -> int:
    if not reason.strip():
        raise InvalidInput("an override needs a reason")
    row = conn.execute(
        "INSERT INTO overrides (run_id, exercise_id, score, reason, by_whom)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (run_id, exercise_id, score, reason, by_whom),
    ).fetchone()
    assert row is not None
    return int(row["id"])


def overrides_for_run(conn: Connection, run_id: int) -> list[Override]:
    rows = conn.execute(
        "SELECT id, run_id, exercise_id, score, reason, by_whom, at FROM overrides"
        " WHERE run_id = %s ORDER BY at, id",
        (run_id,),
    ).fetchall()
    return [Override(**row) for row in rows]
