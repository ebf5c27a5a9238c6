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


def _newer(c: str, p: str) -> str:
    """SQL: push `c` is newer than push `p` of the same branch. Later by GitHub's push time, or
    pushed on top of `p` whatever the clocks say (deliveries can arrive out of order, and push
    times have whole seconds), and never the commit `p` was pushed on top of: the branch's
    newest push is the one whose commit descends from the others."""
    return (
        f"(({c}.pushed_at, {c}.id) > ({p}.pushed_at, {p}.id) OR {c}.before_sha = {p}.after_sha)"
        f" AND {c}.after_sha <> {p}.before_sha"
    )


# The pushes a task sent for push %(id)s stands for: its own, and the newest push of the
# branch task it carries (workers/job.py grades that one).
_OF_TASK = "id = %(id)s OR id IN (SELECT push_id FROM branch_tasks WHERE task_push_id = %(id)s)"


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


@dataclass(frozen=True)
class NewPush:
    """A push to store, as insert_push takes it."""

    repository_id: int
    ref: str
    after_sha: str
    before_sha: str
    forced: bool
    pushed_at: datetime
    delivery_id: str
    status: str
    reason: str


def insert_pushes(conn: Connection, new: list[NewPush]) -> dict[str, int]:
    """insert_push for many, in one statement: delivery id -> push id."""
    rows = conn.execute(
        "INSERT INTO pushes (repository_id, ref, after_sha, before_sha, forced, pushed_at,"
        " delivery_id, status, reason) SELECT * FROM unnest(%b::bigint[], %b::text[],"
        " %b::text[], %b::text[], %b::bool[], %b::timestamptz[], %b::text[], %b::text[],"
        " %b::text[]) RETURNING id, delivery_id",
        (
            [p.repository_id for p in new],
            [p.ref for p in new],
            [p.after_sha for p in new],
            [p.before_sha for p in new],
            [p.forced for p in new],
            [p.pushed_at for p in new],
            [p.delivery_id for p in new],
            [p.status for p in new],
            [p.reason for p in new],
        ),
    ).fetchall()
    return {str(row["delivery_id"]): int(row["id"]) for row in rows}


def open_branch_tasks(
    conn: Connection, queued: list[tuple[int, datetime | None]]
) -> set[int]:
    """The first statement of join_branch_task for many (push id, boundary), marking each
    task created as handed off: the pushes whose branch had no task waiting, now the push
    of a task of their own that the caller sends. The others must join_branch_task.

    Handed off before it is sent, in the transaction that stores it: a push that joins such
    a task later copies the mark, and the caller clears it (clear_hand_off) if the send
    fails, so the sweeper sends it."""
    rows = conn.execute(
        "WITH created AS (INSERT INTO branch_tasks (repository_id, ref, late, task_push_id,"
        " push_id) SELECT p.repository_id, p.ref, q.b IS NOT NULL AND p.pushed_at > q.b,"
        " p.id, p.id FROM unnest(%b::bigint[], %b::timestamptz[]) AS q(id, b)"
        " JOIN pushes p ON p.id = q.id ORDER BY p.id"
        " ON CONFLICT (repository_id, ref, late) WHERE status = 'queued' DO NOTHING"
        " RETURNING task_push_id)"
        " UPDATE pushes SET enqueued_at = now() FROM created"
        " WHERE pushes.id = created.task_push_id RETURNING pushes.id",
        ([push_id for push_id, _ in queued], [boundary for _, boundary in queued]),
    ).fetchall()
    return {int(row["id"]) for row in rows}


def mark_handed_off(conn: Connection, push_ids: list[int]) -> None:
    """mark_enqueued for many pushes, each its own task's push."""
    conn.execute("UPDATE pushes SET enqueued_at = now() WHERE id = ANY(%s)", (push_ids,))


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
    conn.execute(f"UPDATE pushes SET enqueued_at = now() WHERE {_OF_TASK}", {"id": push_id})


def clear_hand_off(conn: Connection, push_ids: list[int]) -> None:
    """The tasks of these pushes never reached the queue: the sweeper sends them next."""
    conn.execute(
        "UPDATE pushes SET enqueued_at = NULL WHERE status = %(queued)s AND (id = ANY(%(ids)s)"
        " OR id IN (SELECT push_id FROM branch_tasks WHERE task_push_id = ANY(%(ids)s)))",
        {"ids": push_ids, "queued": QUEUED},
    )


def join_branch_task(conn: Connection, push_id: int, boundary: datetime | None) -> int | None:
    """Put a queued push in its branch's task: the id of the push whose task, queued and not
    started, now grades it (or the newer push it lost to); None when the branch has no such
    task and the caller must send one for this push.

    Of the task's push and the new one, the newer stays queued and the other is superseded
    at once; a push after `boundary` (deadline + grace) never joins a task of pushes before
    it. Call in the transaction that stored the push: the repository row it holds locked
    (save_repository) keeps two deliveries to one repository from racing here."""
    while True:
        # The common case first, in one statement: the branch has no task waiting.
        created = conn.execute(
            "INSERT INTO branch_tasks (repository_id, ref, late, task_push_id, push_id)"
            " SELECT repository_id, ref, %(b)s::timestamptz IS NOT NULL AND pushed_at > %(b)s,"
            " id, id FROM pushes WHERE id = %(id)s"
            " ON CONFLICT (repository_id, ref, late) WHERE status = 'queued' DO NOTHING"
            " RETURNING id",
            {"id": push_id, "b": boundary},
        ).fetchone()
        if created is not None:
            return None
        row = conn.execute(
            "SELECT t.id, t.task_push_id, o.id AS old_id, o.after_sha AS old_sha,"
            " n.after_sha AS new_sha, o.enqueued_at, " + _newer("o", "n") + " AS old_wins"
            " FROM pushes n JOIN branch_tasks t ON t.repository_id = n.repository_id"
            " AND t.ref = n.ref AND t.status = 'queued'"
            " AND t.late = (%(b)s::timestamptz IS NOT NULL AND n.pushed_at > %(b)s)"
            " JOIN pushes o ON o.id = t.push_id WHERE n.id = %(id)s FOR UPDATE OF t",
            {"id": push_id, "b": boundary},
        ).fetchone()
        if row is not None:
            break
        # the waiting task started in between: this push needs a task of its own
    if row["old_wins"]:
        reason = f"superseded by the push of {row['old_sha'][:12]}"
        set_push_status(conn, push_id, SUPERSEDED, reason)
        return int(row["task_push_id"])
    conn.execute("UPDATE branch_tasks SET push_id = %s WHERE id = %s", (push_id, row["id"]))
    set_push_status(
        conn, row["old_id"], SUPERSEDED, f"superseded by the push of {row['new_sha'][:12]}"
    )
    # The push rides on the task: handed off when the task was, so the sweeper re-sends it
    # (and only it) if that task is lost.
    conn.execute(
        "UPDATE pushes SET enqueued_at = %s WHERE id = %s", (row["enqueued_at"], push_id)
    )
    return int(row["task_push_id"])


def take_branch_task(conn: Connection, push_id: int) -> int:
    """The push that a task sent for `push_id` grades. A queued branch task stops taking
    pushes now (a newer push gets a task of its own) and gives its newest push, marked handed
    off at this moment; a task retried, redelivered or re-sent after that start gets the push
    it took then; a push with no branch task grades itself. Call inside a transaction."""
    row = conn.execute(
        "UPDATE branch_tasks SET status = 'started', started_at = now()"
        " WHERE status = 'queued' AND (task_push_id = %(id)s OR push_id = %(id)s)"
        " RETURNING push_id",
        {"id": push_id},
    ).fetchone()
    if row is not None:
        conn.execute("UPDATE pushes SET enqueued_at = now() WHERE id = %s", (row["push_id"],))
        return int(row["push_id"])
    row = conn.execute(
        "SELECT push_id FROM branch_tasks WHERE task_push_id = %(id)s OR push_id = %(id)s"
        " ORDER BY id DESC LIMIT 1",
        {"id": push_id},
    ).fetchone()
    return push_id if row is None else int(row["push_id"])


def unenqueued_push(conn: Connection, delivery_id: str) -> tuple[int, str] | None:
    """(push id, repository full name) of a delivery's queued push whose task never
    reached the queue, if any."""
    row = conn.execute(
        "SELECT p.id, r.full_name FROM pushes p JOIN repositories r ON r.id = p.repository_id"
        " WHERE p.delivery_id = %s AND p.status = %s AND p.enqueued_at IS NULL",
        (delivery_id, QUEUED),
    ).fetchone()
    return None if row is None else (int(row["id"]), str(row["full_name"]))


def unenqueued_pushes(conn: Connection, delivery_ids: list[str]) -> dict[str, tuple[int, str]]:
    """unenqueued_push for many deliveries: delivery id -> (push id, repository full name)."""
    rows = conn.execute(
        "SELECT p.delivery_id, p.id, r.full_name FROM pushes p"
        " JOIN repositories r ON r.id = p.repository_id"
        " WHERE p.delivery_id = ANY(%s) AND p.status = %s AND p.enqueued_at IS NULL",
        (delivery_ids, QUEUED),
    ).fetchall()
    return {str(r["delivery_id"]): (int(r["id"]), str(r["full_name"])) for r in rows}


def newer_push(conn: Connection, push: Push, boundary: datetime | None) -> Push | None:
    """A newer push to the same branch, on the same side of `boundary` (deadline + grace),
    that is or will be graded: a superseded one lost to a newer still, so it is not counted.

    A push after the deadline never supersedes one before it: the on-time push may be
    the submission, so it must be graded.
    """
    side = ""
    if boundary is not None:
        side = " AND (c.pushed_at <= %(b)s) = (p.pushed_at <= %(b)s)"
    columns = ", ".join(f"c.{name.strip()}" for name in _COLUMNS.split(","))
    row = conn.execute(
        f"SELECT {columns} FROM pushes c JOIN pushes p ON p.id = %(id)s"
        " WHERE c.repository_id = p.repository_id AND c.ref = p.ref AND c.id <> p.id"
        " AND c.status NOT IN ('ignored', 'superseded') AND "
        + _newer("c", "p")
        + side
        + " ORDER BY c.pushed_at DESC, c.id DESC LIMIT 1",
        {"id": push.id, "b": boundary},
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
        "UPDATE pushes SET enqueued_at = now() + make_interval(secs => %(s)s) WHERE " + _OF_TASK,
        {"id": push_id, "s": seconds},
    )
