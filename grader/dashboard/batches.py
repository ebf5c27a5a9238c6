"""Re-run batches: the runs one staff request asked to grade again, and how far they got.

A run of a batch is done when its commit was graded after the request: the same row graded
in place, or, when the lab's version changed since, the row the worker graded instead. A
grade whose report is `error` counts as done and failed.

A run the queue refused is never graded by this batch: it counts as lost, so the batch ends
(and the page stops following it) once every other run is done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from grader.store.db import Connection

SCOPES = ("student", "exercise", "class")


@dataclass(frozen=True)
class BatchProgress:
    id: int
    assignment_id: int
    scope: str
    repository_id: int | None
    exercise_id: str | None
    reason: str
    requested_by: str
    requested_at: datetime
    total: int
    queued: int  # handed to the queue
    done: int
    failed: int
    lost: int  # never queued and not graded since: this batch will not grade them

    @property
    def finished(self) -> bool:
        return self.done + self.lost >= self.total

    @property
    def percent(self) -> int:
        return 100 if not self.total else round(100 * self.done / self.total)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scope": self.scope,
            "exercise_id": self.exercise_id,
            "repository_id": self.repository_id,
            "requested_by": self.requested_by,
            "requested_at": self.requested_at.isoformat(),
            "reason": self.reason,
            "total": self.total,
            "queued": self.queued,
            "done": self.done,
            "failed": self.failed,
            "lost": self.lost,
            "finished": self.finished,
            "percent": self.percent,
        }


def create_batch(
    conn: Connection,
    *,
    assignment_id: int,
    scope: str,
    run_ids: Sequence[int],
    requested_by: str,
    reason: str = "",
    repository_id: int | None = None,
    exercise_id: str | None = None,
) -> int:
    row = conn.execute(
        "INSERT INTO rerun_batches (assignment_id, scope, repository_id, exercise_id, reason,"
        " requested_by) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (assignment_id, scope, repository_id, exercise_id, reason, requested_by),
    ).fetchone()
    assert row is not None
    batch_id = int(row["id"])
    for run_id in run_ids:
        conn.execute(
            "INSERT INTO rerun_batch_runs (batch_id, run_id) VALUES (%s, %s)", (batch_id, run_id)
        )
    return batch_id


def mark_queued(conn: Connection, batch_id: int, run_id: int) -> None:
    conn.execute(
        "UPDATE rerun_batch_runs SET queued = true WHERE batch_id = %s AND run_id = %s",
        (batch_id, run_id),
    )


_PROGRESS = (
    "SELECT b.id, b.assignment_id, b.scope, b.repository_id, b.exercise_id, b.reason,"
    " b.requested_by, b.requested_at, count(br.run_id) AS total,"
    " count(*) FILTER (WHERE br.queued) AS queued,"
    " count(*) FILTER (WHERE d.failed IS NOT NULL) AS done,"
    " count(*) FILTER (WHERE d.failed) AS failed,"
    " count(*) FILTER (WHERE NOT br.queued AND d.failed IS NULL) AS lost"
    " FROM rerun_batches b LEFT JOIN rerun_batch_runs br ON br.batch_id = b.id"
    " LEFT JOIN grading_runs r ON r.id = br.run_id"
    " LEFT JOIN LATERAL (SELECT g.status = 'error' AS failed FROM grading_runs g"
    "   WHERE g.repository_id = r.repository_id AND g.commit_sha = r.commit_sha"
    "   AND g.finished_at >= b.requested_at"
    "   AND (g.rerun_requested_at IS NULL OR g.finished_at > g.rerun_requested_at)"
    "   ORDER BY g.id DESC LIMIT 1) d ON true"
)


def progress(conn: Connection, batch_id: int) -> BatchProgress | None:
    row = conn.execute(_PROGRESS + " WHERE b.id = %s GROUP BY b.id", (batch_id,)).fetchone()
    return None if row is None else BatchProgress(**row)


def recent(conn: Connection, assignment_id: int, limit: int = 5) -> list[BatchProgress]:
    rows = conn.execute(
        _PROGRESS + " WHERE b.assignment_id = %s GROUP BY b.id ORDER BY b.requested_at DESC,"
        " b.id DESC LIMIT %s",
        (assignment_id, limit),
    ).fetchall()
    return [BatchProgress(**row) for row in rows]
