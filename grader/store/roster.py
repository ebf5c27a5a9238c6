"""The roster of an assignment in the store: replaced whole by each upload, read by the
gradebook exports. The caller's transaction decides what commits together."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from grader.core.roster import Roster, RosterEntry
from grader.store.assignments import find_assignment
from grader.store.db import Connection, connect
from grader.store.migrate import apply_migrations

CLI_UPLOADER = "grade-class"  # who uploaded a roster given on the command line


@dataclass(frozen=True)
class StoredRoster:
    roster: Roster
    source_name: str
    uploaded_by: str
    uploaded_at: datetime


def save_roster(
    conn: Connection, assignment_id: int, roster: Roster, *, uploaded_by: str, source_name: str
) -> None:
    conn.execute("DELETE FROM rosters WHERE assignment_id = %s", (assignment_id,))
    conn.execute(
        "INSERT INTO rosters (assignment_id, source_name, uploaded_by) VALUES (%s, %s, %s)",
        (assignment_id, source_name, uploaded_by),
    )
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO roster_entries (assignment_id, position, identifier, github_username,"
            " github_id, name) VALUES (%s, %s, %s, %s, %s, %s)",
            [
                (assignment_id, i, e.identifier, e.github_username, e.github_id, e.name)
                for i, e in enumerate(roster.entries)
            ],
        )


def load_roster(conn: Connection, assignment_id: int) -> StoredRoster | None:
    head = conn.execute(
        "SELECT source_name, uploaded_by, uploaded_at FROM rosters WHERE assignment_id = %s",
        (assignment_id,),
    ).fetchone()
    if head is None:
        return None
    rows = conn.execute(
        "SELECT identifier, github_username, github_id, name FROM roster_entries"
        " WHERE assignment_id = %s ORDER BY position",
        (assignment_id,),
    ).fetchall()
    return StoredRoster(Roster(tuple(RosterEntry(**row) for row in rows)), **head)


def delete_roster(conn: Connection, assignment_id: int) -> bool:
    """True when there was one."""
    gone = conn.execute("DELETE FROM rosters WHERE assignment_id = %s", (assignment_id,))
    return gone.rowcount > 0


def save_class_roster(
    database_url: str,
    organisation: str,
    folder_names: Sequence[str],
    roster: Roster,
    *,
    source_name: str,
) -> list[int]:
    """For `grade-class --store --roster`: the roster of every assignment the folders are
    recorded under (the store's assignments, matched by prefix); the ids saved."""
    with connect(database_url) as conn:
        apply_migrations(conn)
        ids = []
        for name in folder_names:
            assignment = find_assignment(conn, organisation, name)
            if assignment is not None and assignment.id is not None and assignment.id not in ids:
                ids.append(assignment.id)
        for assignment_id in ids:
            save_roster(
                conn, assignment_id, roster, uploaded_by=CLI_UPLOADER, source_name=source_name
            )
        conn.commit()
    return ids
