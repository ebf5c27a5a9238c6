"""Branch pushes with the time the service received them: the only trusted push time.

Columns map one to one onto grader.history's PushRecord(sha, pushed_at, forced,
before_sha): after_sha is the sha.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from grader.store.db import Connection

QUEUED = "queued"
SUPERSEDED = "superseded"
GRADED = "graded"
ERROR = "error"
IGNORED = "ignored"

_COLUMNS = (
    "id, repository_id, ref, after_sha, before_sha, forced, pushed_at, delivery_id, status,"
    " reason, enqueued_at"
)


@dataclass(frozen=True)
class Push:
    id: int
    repository_id: int
    ref: str
    after_sha: str
    before_sha: str
    forced: bool
    pushed_at: datetime
    delivery_id: str
    status: str
    reason: str
    enqueued_at: datetime | None

    @property
    def branch(self) -> str:
        return self.ref.removeprefix("refs/heads/")


def insert_push(
    conn: Connection,
    *,
    repository_id: int,
    ref: str,
    after_sha: str,
    before_sha: str,
    forced: bool,
    pushed_at: datetime,
    delivery_id: str,
    status: str = QUEUED,
    reason: str = "",
) -> int:
    row = conn.execute(
        "INSERT INTO pushes (repository_id, ref, after_sha, before_sha, forced, pushed_at,"
        " delivery_id, status, reason) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (repository_id, ref, after_sha, before_sha, forced, pushed_at, delivery_id, status, reason),
    ).fetchone()
    assert row is not None
    return int(row["id"])


def get_push(conn: Connection, push_id: int) -> Push:
    row = conn.execute(f"SELECT {_COLUMNS} FROM pushes WHERE id = %s", (push_id,)).fetchone()
    if row is None:
        raise KeyError(push_id)
    return Push(**row)


def set_push_status(conn: Connection, push_id: int, status: str, reason: str = "") -> None:
    conn.execute(
        "UPDATE pushes SET status = %s, reason = %s WHERE id = %s", (status, reason, push_id)
    )


def mark_enqueued(conn: Connection, push_id: int) -> None:
    conn.execute("UPDATE pushes SET enqueued_at = now() WHERE id = %s", (push_id,))


def unenqueued_push(conn: Connection, delivery_id: str) -> tuple[int, str] | None:
    """(push id, repository full name) of a delivery's queued push whose task never
    reached the queue, if any."""
    row = conn.execute(
        "SELECT p.id, r.full_name FROM pushes p JOIN repositories r ON r.id = p.repository_id"
        " WHERE p.delivery_id = %s AND p.status = %s AND p.enqueued_at IS NULL",
        (delivery_id, QUEUED),
    ).fetchone()
    return None if row is None else (int(row["id"]), str(row["full_name"]))


def newer_push(conn: Connection, push: Push, boundary: datetime | None) -> Push | None:
    """A later push to the same branch, on the same side of `boundary` (deadline + grace).

    A push after the deadline never supersedes one before it: the on-time push may be
    the submission, so it must be graded.
    """
    side = ""
    if boundary is not None:
        side = " AND (pushed_at <= %(b)s) = (%(at)s::timestamptz <= %(b)s)"
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM pushes WHERE repository_id = %(repo)s AND ref = %(ref)s"
        " AND status <> 'ignored' AND id <> %(id)s"
        # later by GitHub's push time, or pushed on top of this one whatever the clocks say
        # (deliveries can arrive out of order, and push times have whole seconds)
        " AND ((pushed_at, id) > (%(at)s, %(id)s) OR before_sha = %(after)s)"
        " AND after_sha <> %(before)s"
        + side
        + " ORDER BY pushed_at DESC, id DESC LIMIT 1",
        {
            "repo": push.repository_id,
            "ref": push.ref,
            "at": push.pushed_at,
            "id": push.id,
            "after": push.after_sha,
            "before": push.before_sha,
            "b": boundary,
        },
    ).fetchone()
    return None if row is None else Push(**row)


def branch_pushes(conn: Connection, push: Push) -> list[Push]:
    """Every push to the branch up to and including `push`, oldest first: what the deadline
    rules see when grading it."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM pushes WHERE repository_id = %s AND ref = %s"
        " AND (pushed_at, id) <= (%s, %s) ORDER BY pushed_at, id",
        (push.repository_id, push.ref, push.pushed_at, push.id),
    ).fetchall()
    return [Push(**row) for row in rows]


def latest_push_for_commit(conn: Connection, repository_id: int, sha: str) -> Push | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM pushes WHERE repository_id = %s AND after_sha = %s"
        " ORDER BY pushed_at DESC, id DESC LIMIT 1",
        (repository_id, sha),
    ).fetchone()
    return None if row is None else Push(**row)


def waiting_for_hand_off(conn: Connection, stale_seconds: float) -> list[tuple[int, str]]:
    """(push id, repository full name) of queued pushes whose task may not be in the queue:
    never handed off, or handed off longer ago than `stale_seconds` (a task lost with Redis,
    or one whose worker died). Oldest first, so a backlog drains in push order."""
    rows = conn.execute(
        "SELECT p.id, r.full_name FROM pushes p JOIN repositories r ON r.id = p.repository_id"
        " WHERE p.status = %s AND (p.enqueued_at IS NULL"
        " OR p.enqueued_at < now() - make_interval(secs => %s))"
        " ORDER BY p.pushed_at, p.id",
        (QUEUED, stale_seconds),
    ).fetchall()
    return [(int(r["id"]), str(r["full_name"])) for r in rows]


def hold_hand_off(conn: Connection, push_id: int, seconds: float) -> None:
    """A retry of the push's task is on its way in `seconds`: the sweeper waits for it."""
    conn.execute(
        "UPDATE pushes SET enqueued_at = now() + make_interval(secs => %s) WHERE id = %s",
        (seconds, push_id),
    )
