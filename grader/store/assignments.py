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

Without `pass_mark` a new assignment takes the lab's (`pass_mark` in its lab.toml), else
GRADER_SERVICE__PASS_MARK, and an existing one keeps what it has, which staff may have set
in the dashboard. Whether reviewed grades are released is decided in the dashboard only.
"""

from __future__ import annotations

import sys
import tomllib
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from grader.core.errors import InvalidInput
from grader.core.lab import default_lab_path, load_lab
from grader.history.deadline import DeadlinePolicy
from grader.settings import Settings, get_settings
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
    released_at: datetime | None = None  # None: students see the grader's points only
    released_by: str | None = None
    reposts_requested_at: datetime | None = None

    @property
    def released(self) -> bool:
        return self.released_at is not None

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


def save_assignment(conn: Connection, a: Assignment, *, default_pass_mark: float = 50.0) -> int:
    """Insert or update; a pass mark the assignment does not name is `default_pass_mark` for
    a new assignment and left as it is for an existing one."""
    named = "pass_mark" in a.model_fields_set
    row = conn.execute(
        "INSERT INTO assignments (organisation, repository_prefix, lab_id, deadline, grace,"
        " late_penalty_per_day, cutoff, pass_mark) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (organisation, repository_prefix) DO UPDATE SET lab_id = EXCLUDED.lab_id,"
        " deadline = EXCLUDED.deadline, grace = EXCLUDED.grace,"
        " late_penalty_per_day = EXCLUDED.late_penalty_per_day, cutoff = EXCLUDED.cutoff,"
        " pass_mark = CASE WHEN %s THEN EXCLUDED.pass_mark ELSE assignments.pass_mark END"
        " RETURNING id",
        (
            a.organisation,
            a.repository_prefix,
            a.lab_id,
            a.deadline,
            a.grace,
            a.late_penalty_per_day,
            a.cutoff,
            a.pass_mark if named else default_pass_mark,
            named,
        ),
    ).fetchone()
    assert row is not None
    return int(row["id"])


def default_pass_marks(settings: Settings, lab_ids: set[str]) -> dict[str, float]:
    """Per lab id: the pass mark of the configured lab's lab.toml when it is that lab and
    names one, else the service's setting."""
    lab = load_lab(settings.lab_dir or default_lab_path())
    return {
        lab_id: lab.pass_mark
        if lab.id == lab_id and lab.pass_mark is not None
        else settings.service.pass_mark
        for lab_id in lab_ids
    }


def sync_file(conn: Connection, path: Path, settings: Settings | None = None) -> list[int]:
    """Insert or update every assignment of the file (one transaction); none is deleted."""
    settings = settings or get_settings()
    assignments = parse_assignments(path.read_text(encoding="utf-8"), str(path))
    defaults = default_pass_marks(settings, {a.lab_id for a in assignments})
    with conn.transaction():
        return [
            save_assignment(conn, a, default_pass_mark=defaults[a.lab_id]) for a in assignments
        ]


def set_release(conn: Connection, assignment_id: int, by_whom: str | None) -> None:
    """Release the reviewed grades (`by_whom` a login), or withhold them again (None)."""
    conn.execute(
        "UPDATE assignments SET released_at = CASE WHEN %s::text IS NULL THEN NULL"
        " ELSE clock_timestamp() END, released_by = %s::text WHERE id = %s",
        (by_whom, by_whom, assignment_id),
    )


def set_pass_mark(conn: Connection, assignment_id: int, pass_mark: float) -> None:
    if not 0 <= pass_mark <= 100:
        raise InvalidInput("the pass mark is a percentage, between 0 and 100")
    conn.execute(
        "UPDATE assignments SET pass_mark = %s WHERE id = %s", (pass_mark, assignment_id)
    )


def request_reposts(conn: Connection, assignment_id: int) -> None:
    """Note that every current check run of the class is to be posted again from now."""
    conn.execute(
        "UPDATE assignments SET reposts_requested_at = clock_timestamp() WHERE id = %s",
        (assignment_id,),
    )


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


def find_assignments(
    conn: Connection, full_names: list[str]
) -> dict[str, Assignment | None]:
    """find_assignment for many repositories ("organisation/name") in one query."""
    organisations = sorted({name.partition("/")[0].lower() for name in full_names})
    rows = conn.execute(
        "SELECT * FROM assignments WHERE lower(organisation) = ANY(%s)"
        " ORDER BY length(repository_prefix) DESC",
        (organisations,),
    ).fetchall()
    candidates = [Assignment.model_validate(row) for row in rows]
    found: dict[str, Assignment | None] = {}
    for full_name in full_names:
        organisation, _, name = full_name.partition("/")
        found[full_name] = next((a for a in candidates if a.matches(organisation, name)), None)
    return found


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
