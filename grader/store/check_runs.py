"""The GitHub check runs we created for each grading run; the newest one is current."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from grader.store.db import Connection


@dataclass(frozen=True)
class CheckRunRecord:
    id: int
    run_id: int
    github_id: int
    status: str
    conclusion: str | None
    posted_at: datetime


def record_check_run(
    conn: Connection, run_id: int, github_id: int, status: str, conclusion: str | None = None
) -> None:
    conn.execute(
        "INSERT INTO check_runs (run_id, github_id, status, conclusion) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (github_id) DO UPDATE SET status = EXCLUDED.status,"
        " conclusion = EXCLUDED.conclusion, posted_at = now()",
        (run_id, github_id, status, conclusion),
    )


def current_check_run(conn: Connection, run_id: int) -> CheckRunRecord | None:
    row = conn.execute(
        "SELECT id, run_id, github_id, status, conclusion, posted_at FROM check_runs"
        " WHERE run_id = %s ORDER BY id DESC LIMIT 1",
        (run_id,),
    ).fetchone()
    return None if row is None else CheckRunRecord(**row)


def run_for_check_run(conn: Connection, github_id: int) -> int | None:
    row = conn.execute(
        "SELECT run_id FROM check_runs WHERE github_id = %s", (github_id,)
    ).fetchone()
    return None if row is None else int(row["run_id"])


def posted_since(conn: Connection, run_ids: Sequence[int], since: datetime) -> int:
    """How many of the runs have a current check run completed at or after `since`."""
    row = conn.execute(
        "SELECT count(*) AS n FROM check_runs c WHERE c.run_id = ANY(%s)"
        " AND c.status = 'completed' AND c.posted_at >= %s"
        " AND c.id = (SELECT max(id) FROM check_runs WHERE run_id = c.run_id)",
        (list(run_ids), since),
    ).fetchone()
    return 0 if row is None else int(row["n"])


def request_repost(conn: Connection, run_ids: Sequence[int]) -> None:
    """Note that these runs' check runs are to be posted again (the sweeper re-sends)."""
    conn.execute(
        "UPDATE grading_runs SET repost_requested_at = clock_timestamp() WHERE id = ANY(%s)",
        (list(run_ids),),
    )


def repost_requested(conn: Connection, run_id: int) -> datetime | None:
    row = conn.execute(
        "SELECT repost_requested_at FROM grading_runs WHERE id = %s", (run_id,)
    ).fetchone()
    return None if row is None else row["repost_requested_at"]


def repost_done(conn: Connection, run_id: int, asked_at: datetime) -> None:
    """Posted what the store said at `asked_at`: a request made since stays."""
    conn.execute(
        "UPDATE grading_runs SET repost_requested_at = NULL"
        " WHERE id = %s AND repost_requested_at <= %s",
        (run_id, asked_at),
    )


def reposts_waiting(conn: Connection, stale_seconds: float) -> list[tuple[int, str]]:
    """(run id, repository) of posts asked for `stale_seconds` ago or more, marked as asked
    again now (one re-send per period, not one per sweep)."""
    rows = conn.execute(
        "UPDATE grading_runs g SET repost_requested_at = clock_timestamp()"
        " FROM repositories r WHERE r.id = g.repository_id"
        " AND g.repost_requested_at <= clock_timestamp() - make_interval(secs => %s)"
        " RETURNING g.id, r.full_name",
        (stale_seconds,),
    ).fetchall()
    return [(int(row["id"]), str(row["full_name"])) for row in rows]
