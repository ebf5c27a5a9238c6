"""Grading runs: one stored grade per (repository, commit, lab, lab version).

A redelivered or retried task meets the same row again, so a commit is never
graded into two rows. Regrading (a re-run) updates the row in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from grader.core.report import Report, RunStatus
from grader.store.db import Connection

QUEUED = "queued"
RUNNING = "running"
COMPLETED = "completed"
ERROR = "error"

_COLUMNS = (
    "id, push_id, repository_id, commit_sha, lab_id, lab_version, status, score, max_score,"
    " report, error, attempts, started_at, finished_at, rerun_requested_at"
)


@dataclass(frozen=True)
class Run:
    id: int
    push_id: int | None
    repository_id: int
    commit_sha: str
    lab_id: str
    lab_version: str
    status: str
    score: float | None
    max_score: float | None
    report: dict[str, Any] | None
    error: str | None
    attempts: int
    started_at: datetime | None
    finished_at: datetime | None
    rerun_requested_at: datetime | None

    @property
    def needs_grading(self) -> bool:
        """Not finished, or a re-run was asked for after it finished."""
        if self.status not in (COMPLETED, ERROR) or self.finished_at is None:
            return True
        return self.rerun_requested_at is not None and self.rerun_requested_at > self.finished_at

    def parsed_report(self) -> Report | None:
        return None if self.report is None else Report.model_validate(self.report)


def ensure_run(
    conn: Connection,
    *,
    repository_id: int,
    commit_sha: str,
    lab_id: str,
    lab_version: str,
    push_id: int | None,
) -> Run:
    """The run of this commit for this lab version, created when missing."""
    conn.execute(
        "INSERT INTO grading_runs (repository_id, commit_sha, lab_id, lab_version, push_id)"
        " VALUES (%s, %s, %s, %s, %s)"
        " ON CONFLICT (repository_id, commit_sha, lab_id, lab_version) DO NOTHING",
        (repository_id, commit_sha, lab_id, lab_version, push_id),
    )
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM grading_runs WHERE repository_id = %s AND commit_sha = %s"
        " AND lab_id = %s AND lab_version = %s",
        (repository_id, commit_sha, lab_id, lab_version),
    ).fetchone()
    assert row is not None
    return Run(**row)


def get_run(conn: Connection, run_id: int) -> Run:
    row = conn.execute(f"SELECT {_COLUMNS} FROM grading_runs WHERE id = %s", (run_id,)).fetchone()
    if row is None:
        raise KeyError(run_id)
    return Run(**row)


def latest_run_for_commit(conn: Connection, repository_id: int, sha: str) -> Run | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM grading_runs WHERE repository_id = %s AND commit_sha = %s"
        " ORDER BY created_at DESC, id DESC LIMIT 1",
        (repository_id, sha),
    ).fetchone()
    return None if row is None else Run(**row)


def try_lock_run(conn: Connection, run_id: int) -> bool:
    """A session lock held while one worker grades the run. It dies with the worker's
    connection, so a task handed out again after a crash can take the run over, while a
    copy of a task that is still running finds it taken."""
    row = conn.execute("SELECT pg_try_advisory_lock(%s, %s) AS ok", (1, run_id)).fetchone()
    return bool(row and row["ok"])


def unlock_run(conn: Connection, run_id: int) -> None:
    conn.execute("SELECT pg_advisory_unlock(%s, %s)", (1, run_id))


def start_attempt(conn: Connection, run_id: int) -> int:
    """Mark the run running; return the attempt number."""
    row = conn.execute(
        "UPDATE grading_runs SET status = 'running', attempts = attempts + 1,"
        " started_at = now(), error = NULL WHERE id = %s RETURNING attempts",
        (run_id,),
    ).fetchone()
    assert row is not None
    return int(row["attempts"])


def finish_run(conn: Connection, run_id: int, report: Report) -> None:
    """Store the report. An `error` report is stored too: its cause is what we post."""
    status = COMPLETED if report.status is RunStatus.COMPLETED else ERROR
    conn.execute(
        "UPDATE grading_runs SET status = %s, score = %s, max_score = %s, report = %s,"
        " error = %s, finished_at = now() WHERE id = %s",
        (
            status,
            report.score,
            report.max_score,
            Jsonb(report.model_dump(mode="json")),
            report.error,
            run_id,
        ),
    )


def release_attempt(conn: Connection, run_id: int, cause: str) -> None:
    """An attempt that will be retried: back to queued, with the cause for the record."""
    conn.execute(
        "UPDATE grading_runs SET status = 'queued', error = %s WHERE id = %s", (cause, run_id)
    )


def request_rerun(conn: Connection, run_id: int) -> None:
    conn.execute(
        "UPDATE grading_runs SET rerun_requested_at = clock_timestamp() WHERE id = %s", (run_id,)
    )


def orphaned_runs(conn: Connection) -> list[tuple[int, int | None, str]]:
    """(run id, push id, repository full name) of runs marked running whose grading lock
    nobody holds: their worker died mid-job. Call inside a transaction: the probe takes each
    lock for the transaction only, so a worker starting that run meanwhile waits, not races."""
    rows = conn.execute(
        "SELECT g.id, g.push_id, r.full_name FROM grading_runs g"
        " JOIN repositories r ON r.id = g.repository_id"
        " WHERE g.status = %s AND pg_try_advisory_xact_lock(1, g.id::int) ORDER BY g.id",
        (RUNNING,),
    ).fetchall()
    return [(int(r["id"]), r["push_id"], str(r["full_name"])) for r in rows]
