"""Rubric items of an assignment's exercises and the answers they are applied to.

An answer is a repository's commit, as overrides are found (grader.dashboard.queries): a
re-run grades the same commit again and keeps its items. What the items make of the points
is decided in grader.dashboard.rubric, which writes it as an override.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from grader.core import lab
from grader.core.errors import InvalidInput, NotFound
from grader.store.db import Connection

LAB, STAFF = "lab", "staff"
_ITEM = (
    "i.id, i.assignment_id, i.exercise_id, i.key, i.title, i.description, i.points, i.origin,"
    " i.position, i.created_by, i.created_at"
)


@dataclass(frozen=True)
class RubricItem:
    id: int
    assignment_id: int
    exercise_id: str
    key: str  # the id in lab.toml, or "staff-<n>"
    title: str
    description: str
    points: float  # negative: a deduction; positive: a credit
    origin: str  # LAB or STAFF
    position: int
    created_by: str
    created_at: datetime


@dataclass(frozen=True)
class Holder:
    """An answer an item is applied to, with the newest run of its commit (the one an
    override is written on and whose check run is posted again)."""

    repository_id: int
    commit_sha: str
    run_id: int
    repository: str  # full name


def add_lab_items(
    conn: Connection, assignment_id: int, exercise_id: str, items: Sequence[lab.RubricItem]
) -> None:
    """The lab's items that the assignment has not got yet, after its others; an item added
    before keeps the points staff may have given it since."""
    for item in items:
        conn.execute(
            "INSERT INTO rubric_items (assignment_id, exercise_id, key, title, description,"
            " points, origin, position, created_by)"
            " SELECT %s, %s, %s, %s, %s, %s, %s, coalesce(max(position), 0) + 1, 'lab.toml'"
            " FROM rubric_items WHERE assignment_id = %s AND exercise_id = %s"
            " ON CONFLICT (assignment_id, exercise_id, key) DO NOTHING",
            (
                assignment_id,
                exercise_id,
                item.id,
                item.title.strip(),
                item.description.strip(),
                item.points,
                LAB,
                assignment_id,
                exercise_id,
            ),
        )


def add_staff_item(
    conn: Connection,
    assignment_id: int,
    exercise_id: str,
    *,
    title: str,
    description: str,
    points: float,
    actor: str,
) -> RubricItem:
    if not title.strip():
        raise InvalidInput("a rubric item needs a title")
    # One writer at a time per exercise: the key and the position are the next free ones.
    conn.execute(
        "SELECT pg_advisory_xact_lock(hashtext('rubric'), hashtext(%s))",
        (f"{assignment_id}/{exercise_id}",),
    )
    row = conn.execute(
        "INSERT INTO rubric_items (assignment_id, exercise_id, key, title, description,"
        " points, origin, position, created_by)"
        " SELECT %s, %s, 'staff-' || (count(*) FILTER (WHERE origin = %s) + 1), %s, %s, %s,"
        " %s, coalesce(max(position), 0) + 1, %s"
        " FROM rubric_items WHERE assignment_id = %s AND exercise_id = %s RETURNING id",
        (
            assignment_id,
            exercise_id,
            STAFF,
            title.strip(),
            description.strip(),
            points,
            STAFF,
            actor,
            assignment_id,
            exercise_id,
        ),
    ).fetchone()
    assert row is not None
    return load_item(conn, int(row["id"]))


def load_item(conn: Connection, item_id: int) -> RubricItem:
    row = conn.execute(f"SELECT {_ITEM} FROM rubric_items i WHERE i.id = %s", (item_id,)).fetchone()
    if row is None:
        raise NotFound(f"no rubric item {item_id}")
    return RubricItem(**row)


def exercise_items(conn: Connection, assignment_id: int, exercise_id: str) -> list[RubricItem]:
    rows = conn.execute(
        f"SELECT {_ITEM} FROM rubric_items i WHERE i.assignment_id = %s AND i.exercise_id = %s"
        " ORDER BY i.position, i.id",
        (assignment_id, exercise_id),
    ).fetchall()
    return [RubricItem(**row) for row in rows]


def set_points(conn: Connection, item_id: int, points: float) -> None:
    conn.execute("UPDATE rubric_items SET points = %s WHERE id = %s", (points, item_id))


def applied(
    conn: Connection, assignment_id: int, exercise_id: str
) -> dict[tuple[int, str], list[RubricItem]]:
    """The items of each answer to the exercise, in the page's order."""
    rows = conn.execute(
        f"SELECT {_ITEM}, a.repository_id, a.commit_sha FROM rubric_applications a"
        " JOIN rubric_items i ON i.id = a.item_id"
        " WHERE i.assignment_id = %s AND i.exercise_id = %s ORDER BY i.position, i.id",
        (assignment_id, exercise_id),
    ).fetchall()
    out: dict[tuple[int, str], list[RubricItem]] = defaultdict(list)
    for row in rows:
        answer = (int(row.pop("repository_id")), str(row.pop("commit_sha")))
        out[answer].append(RubricItem(**row))
    return out


def answer_items(
    conn: Connection, assignment_id: int, exercise_id: str, repository_id: int, sha: str
) -> list[RubricItem]:
    rows = conn.execute(
        f"SELECT {_ITEM} FROM rubric_applications a JOIN rubric_items i ON i.id = a.item_id"
        " WHERE i.assignment_id = %s AND i.exercise_id = %s AND a.repository_id = %s"
        " AND a.commit_sha = %s ORDER BY i.position, i.id",
        (assignment_id, exercise_id, repository_id, sha),
    ).fetchall()
    return [RubricItem(**row) for row in rows]


def apply_item(conn: Connection, item_id: int, repository_id: int, sha: str, *, actor: str) -> bool:
    """True when the answer did not have the item yet."""
    row = conn.execute(
        "INSERT INTO rubric_applications (item_id, repository_id, commit_sha, applied_by)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING item_id",
        (item_id, repository_id, sha, actor),
    ).fetchone()
    return row is not None


def remove_item(conn: Connection, item_id: int, repository_id: int, sha: str) -> bool:
    """True when the answer had the item."""
    row = conn.execute(
        "DELETE FROM rubric_applications WHERE item_id = %s AND repository_id = %s"
        " AND commit_sha = %s RETURNING item_id",
        (item_id, repository_id, sha),
    ).fetchone()
    return row is not None


def clear_answer(
    conn: Connection, assignment_id: int, exercise_id: str, repository_id: int, sha: str
) -> list[str]:
    """Remove every item of one answer; the titles removed."""
    rows = conn.execute(
        "DELETE FROM rubric_applications a USING rubric_items i WHERE i.id = a.item_id"
        " AND i.assignment_id = %s AND i.exercise_id = %s AND a.repository_id = %s"
        " AND a.commit_sha = %s RETURNING i.title, i.position",
        (assignment_id, exercise_id, repository_id, sha),
    ).fetchall()
    return [str(r["title"]) for r in sorted(rows, key=lambda r: int(r["position"]))]


def holders(conn: Connection, item_id: int) -> list[Holder]:
    """Every answer that has the item, with the newest graded run of its commit."""
    rows = conn.execute(
        "SELECT a.repository_id, a.commit_sha, g.id AS run_id, repo.full_name AS repository"
        " FROM rubric_applications a JOIN repositories repo ON repo.id = a.repository_id"
        " JOIN LATERAL (SELECT g.id FROM grading_runs g WHERE g.repository_id = a.repository_id"
        "   AND g.commit_sha = a.commit_sha AND g.report IS NOT NULL"
        "   ORDER BY g.id DESC LIMIT 1) g ON true"
        " WHERE a.item_id = %s ORDER BY a.repository_id, a.commit_sha",
        (item_id,),
    ).fetchall()
    return [Holder(**row) for row in rows]
