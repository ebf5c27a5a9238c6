"""Assignments: which lab grades which repositories, with the deadline rules.

A GitHub Classroom assignment creates one repository per student named
`<prefix><login>` in the classroom's organisation, so an assignment is matched by
organisation and name prefix. They are written in a TOML file:

    [[assignment]]
    organisation = "my-classroom"
    repository_prefix = "tp-distributed-"
    lab = "mediai"
    deadline = 2025-03-14T23:59:00+01:00
    grace_minutes = 10
    late_penalty_per_day = 10.0   # points per started day late
    cutoff = 2025-03-21T23:59:00+01:00
    pass_mark = 50                # percent of the lab's points

and synced into the store (`python -m grader.store.assignments FILE`, or
automatically at start when GRADER_SERVICE__ASSIGNMENTS_FILE names the file).
"""

from __future__ import annotations

import sys
import tomllib
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from grader.core.errors import InvalidInput
from grader.history.deadline import DeadlinePolicy
from grader.settings import get_settings
from grader.store.db import Connection, connect
from grader.store.migrate import apply_migrations


class Assignment(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    id: int | None = None
    organisation: str
    repository_prefix: str
    lab_id: str = Field(alias="lab")
    deadline: datetime | None = None
    grace: timedelta = timedelta(0)
    late_penalty_per_day: float = 0.0
    cutoff: datetime | None = None
    pass_mark: float = Field(default=50.0, ge=0, le=100)

    @field_validator("deadline", "cutoff")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give the time zone, e.g. 2025-03-14T23:59:00+01:00")
        return value

    def policy(self) -> DeadlinePolicy | None:
        if self.deadline is None:
            return None
        return DeadlinePolicy(
            deadline=self.deadline,
            grace=self.grace,
            late_penalty_per_day=self.late_penalty_per_day,
            cutoff=self.cutoff,
        )

    def matches(self, organisation: str, name: str) -> bool:
        return organisation.lower() == self.organisation.lower() and name.lower().startswith(
            self.repository_prefix.lower()
        )


def parse_assignments(text: str, source: str = "assignments file") -> list[Assignment]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{source} is not valid TOML: {exc}") from exc
    if not data.get("assignment"):
        raise InvalidInput(f"{source} has no [[assignment]] table: nothing to configure")
    out: list[Assignment] = []
    for i, entry in enumerate(data["assignment"], start=1):
        entry = dict(entry)
        entry["grace"] = timedelta(minutes=float(entry.pop("grace_minutes", 0)))
        try:
            out.append(Assignment.model_validate(entry))
        except ValidationError as exc:
            raise InvalidInput(f"{source}, assignment {i}: {exc}") from exc
    return out


def save_assignment(conn: Connection, a: Assignment) -> int:
    row = conn.execute(
        "INSERT INTO assignments (organisation, repository_prefix, lab_id, deadline, grace,"
        " late_penalty_per_day, cutoff, pass_mark) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (organisation, repository_prefix) DO UPDATE SET lab_id = EXCLUDED.lab_id,"
        " deadline = EXCLUDED.deadline, grace = EXCLUDED.grace,"
        " late_penalty_per_day = EXCLUDED.late_penalty_per_day, cutoff = EXCLUDED.cutoff,"
        " pass_mark = EXCLUDED.pass_mark RETURNING id",
        (
            a.organisation,
            a.repository_prefix,
            a.lab_id,
            a.deadline,
            a.grace,
            a.late_penalty_per_day,
            a.cutoff,
            a.pass_mark,
        ),
    ).fetchone()
    assert row is not None
    return int(row["id"])


def sync_file(conn: Connection, path: Path) -> list[int]:
    """Insert or update every assignment of the file (one transaction); none is deleted."""
    assignments = parse_assignments(path.read_text(encoding="utf-8"), str(path))
    with conn.transaction():
        return [save_assignment(conn, a) for a in assignments]


def get_assignment(conn: Connection, assignment_id: int) -> Assignment:
    row = conn.execute("SELECT * FROM assignments WHERE id = %s", (assignment_id,)).fetchone()
    if row is None:
        raise KeyError(assignment_id)
    return Assignment.model_validate(row)


def find_assignment(conn: Connection, organisation: str, name: str) -> Assignment | None:
    """The assignment whose prefix matches the repository; the longest prefix wins."""
    rows = conn.execute(
        "SELECT * FROM assignments WHERE lower(organisation) = lower(%s)"
        " ORDER BY length(repository_prefix) DESC",
        (organisation,),
    ).fetchall()
    for row in rows:
        assignment = Assignment.model_validate(row)
        if assignment.matches(organisation, name):
            return assignment
    return None


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m grader.store.assignments ASSIGNMENTS.toml", file=sys.stderr)
        return 2
    with connect(get_settings().database_url) as conn:
        apply_migrations(conn)
        ids = sync_file(conn, Path(argv[1]))
    print(f"{len(ids)} assignment(s) saved: ids {ids}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
