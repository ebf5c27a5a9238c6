"""What the dashboard reads from the store: a class's current grades, a student's pushes, and
the overrides that apply to a graded commit.

A student's current run is the run of their latest graded push (by the recorded push time,
the newest row when a new lab version graded the same commit again). Overrides are found by
repository and commit, not by run row, so one made before the lab version changed still
applies to the commit it was made on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from grader.core.errors import NotFound
from grader.dashboard.flags import Flag, grade_flags, pending_flag, rerun_flag
from grader.dashboard.grades import Grade, apply_overrides
from grader.store.assignments import Assignment
from grader.store.db import Connection
from grader.store.overrides import Override
from grader.store.pushes import Push
from grader.store.repositories import Repository
from grader.store.runs import Run

_RUN_FIELDS = list(Run.__dataclass_fields__)
_RUN = ", ".join(f"g.{name} AS run_{name}" for name in _RUN_FIELDS)
_REPO = "repo.id, repo.full_name, repo.organisation, repo.name, repo.installation_id,"
_REPO += " repo.assignment_id"
_OVERRIDE = "o.id, o.run_id, o.exercise_id, o.score, o.reason, o.by_whom, o.at"
_PUSH = (
    "p.id, p.repository_id, p.ref, p.after_sha, p.before_sha, p.forced, p.pushed_at,"
    " p.delivery_id, p.status, p.reason, p.enqueued_at"
)


@dataclass(frozen=True)
class StudentRow:
    repository: Repository
    login: str  # the repository name without the assignment's prefix
    run: Run | None
    pushed_at: datetime | None  # when the graded commit was pushed
    grade: Grade | None
    flags: list[Flag] = field(default_factory=list)

    @property
    def graded_commit(self) -> str | None:
        """The commit whose tree was graded: an earlier one when the deadline rules chose it."""
        if self.grade is not None and self.grade.report.commit:
            return self.grade.report.commit
        return None if self.run is None else self.run.commit_sha


@dataclass(frozen=True)
class PushRow:
    push: Push
    run_id: int | None
    grade: Grade | None


def login_of(repo: Repository, assignment: Assignment) -> str:
    prefix = assignment.repository_prefix
    return repo.name[len(prefix) :] if repo.name.lower().startswith(prefix.lower()) else repo.name


def list_assignments(conn: Connection) -> list[tuple[Assignment, int]]:
    """Every assignment with its number of repositories."""
    rows = conn.execute(
        "SELECT a.*, (SELECT count(*) FROM repositories r WHERE r.assignment_id = a.id) AS n"
        " FROM assignments a ORDER BY a.organisation, a.repository_prefix"
    ).fetchall()
    return [(Assignment.model_validate(row), int(row["n"])) for row in rows]


def load_assignment(conn: Connection, assignment_id: int) -> Assignment:
    row = conn.execute("SELECT * FROM assignments WHERE id = %s", (assignment_id,)).fetchone()
    if row is None:
        raise NotFound(f"no assignment {assignment_id}")
    return Assignment.model_validate(row)


def load_repository(conn: Connection, repository_id: int, assignment_id: int) -> Repository:
    row = conn.execute(
        f"SELECT {_REPO} FROM repositories repo WHERE repo.id = %s AND repo.assignment_id = %s",
        (repository_id, assignment_id),
    ).fetchone()
    if row is None:
        raise NotFound(f"no repository {repository_id} in assignment {assignment_id}")
    return Repository(**row)


def load_run(conn: Connection, run_id: int) -> Run:
    row = conn.execute(f"SELECT {_RUN} FROM grading_runs g WHERE g.id = %s", (run_id,)).fetchone()
    if row is None:
        raise NotFound(f"no grading run {run_id}")
    return _run(row)


def current_run(conn: Connection, repository_id: int) -> Run | None:
    row = conn.execute(
        f"SELECT {_RUN} FROM grading_runs g LEFT JOIN pushes p ON p.id = g.push_id"
        " WHERE g.repository_id = %s"
        " ORDER BY coalesce(p.pushed_at, g.created_at) DESC, g.id DESC LIMIT 1",
        (repository_id,),
    ).fetchone()
    return None if row is None else _run(row)


def class_rows(conn: Connection, assignment: Assignment) -> list[StudentRow]:
    rows = conn.execute(
        f"SELECT {_REPO}, {_RUN}, g.pushed_at, last.status AS last_status,"
        " last.after_sha AS last_sha"
        " FROM repositories repo"
        " LEFT JOIN LATERAL (SELECT g.*, p.pushed_at FROM grading_runs g"
        "   LEFT JOIN pushes p ON p.id = g.push_id WHERE g.repository_id = repo.id"
        "   ORDER BY coalesce(p.pushed_at, g.created_at) DESC, g.id DESC LIMIT 1) g ON true"
        " LEFT JOIN LATERAL (SELECT p.status, p.after_sha FROM pushes p"
        "   WHERE p.repository_id = repo.id AND p.status <> 'ignored'"
        "   ORDER BY p.pushed_at DESC, p.id DESC LIMIT 1) last ON true"
        " WHERE repo.assignment_id = %s ORDER BY lower(repo.name), repo.id",
        (assignment.id,),
    ).fetchall()
    overrides = _assignment_overrides(conn, assignment)
    out = []
    for row in rows:
        repo = Repository(**{k: row[k] for k in Repository.__dataclass_fields__})
        run = _run(row) if row["run_id"] is not None else None
        grade = None
        if run is not None and run.report is not None:
            grade = grade_of(run, overrides.get((repo.id, run.commit_sha), []))
        flags = grade_flags(grade) if grade is not None else []
        if run is not None and run.needs_grading:
            if grade is None:
                flags.insert(0, pending_flag(f"{run.commit_sha[:7]} is {run.status}"))
            else:
                flags.insert(0, rerun_flag(f"{run.commit_sha[:7]} is {run.status} again"))
        if row["last_status"] == "queued" and (run is None or row["last_sha"] != run.commit_sha):
            flags.insert(0, pending_flag(f"push of {row['last_sha'][:7]} is queued"))
        elif run is None:
            flags.insert(0, pending_flag("no graded push"))
        out.append(
            StudentRow(repo, login_of(repo, assignment), run, row["pushed_at"], grade, flags)
        )
    return out


def grade_of(run: Run, overrides: list[Override]) -> Grade | None:
    report = run.parsed_report()
    return None if report is None else apply_overrides(report, overrides)


def commit_overrides(conn: Connection, repository_id: int, sha: str) -> list[Override]:
    rows = conn.execute(
        f"SELECT {_OVERRIDE} FROM overrides o JOIN grading_runs g ON g.id = o.run_id"
        " WHERE g.repository_id = %s AND g.commit_sha = %s ORDER BY o.at, o.id",
        (repository_id, sha),
    ).fetchall()
    return [Override(**row) for row in rows]


def repository_pushes(conn: Connection, repository_id: int) -> list[PushRow]:
    """Every push, newest first, with the grade of its commit when one exists."""
    rows = conn.execute(
        f"SELECT {_PUSH}, {_RUN} FROM pushes p LEFT JOIN LATERAL (SELECT * FROM grading_runs g"
        "   WHERE g.repository_id = p.repository_id AND g.commit_sha = p.after_sha"
        "   ORDER BY g.id DESC LIMIT 1) g ON true"
        " WHERE p.repository_id = %s ORDER BY p.pushed_at DESC, p.id DESC",
        (repository_id,),
    ).fetchall()
    by_commit: dict[str, list[Override]] = defaultdict(list)
    for o, sha in _repository_overrides(conn, repository_id):
        by_commit[sha].append(o)
    out = []
    for row in rows:
        push = Push(**{k: row[k] for k in Push.__dataclass_fields__})
        run = _run(row) if row["run_id"] is not None else None
        grade = None if run is None else grade_of(run, by_commit[run.commit_sha])
        out.append(PushRow(push, None if run is None else run.id, grade))
    return out


def _repository_overrides(conn: Connection, repository_id: int) -> list[tuple[Override, str]]:
    rows = conn.execute(
        f"SELECT {_OVERRIDE}, g.commit_sha FROM overrides o JOIN grading_runs g ON g.id = o.run_id"
        " WHERE g.repository_id = %s ORDER BY o.at, o.id",
        (repository_id,),
    ).fetchall()
    return [(_override(row), str(row["commit_sha"])) for row in rows]


def _assignment_overrides(
    conn: Connection, assignment: Assignment
) -> dict[tuple[int, str], list[Override]]:
    rows = conn.execute(
        f"SELECT {_OVERRIDE}, g.repository_id, g.commit_sha FROM overrides o"
        " JOIN grading_runs g ON g.id = o.run_id"
        " JOIN repositories repo ON repo.id = g.repository_id"
        " WHERE repo.assignment_id = %s ORDER BY o.at, o.id",
        (assignment.id,),
    ).fetchall()
    out: dict[tuple[int, str], list[Override]] = defaultdict(list)
    for row in rows:
        out[(int(row["repository_id"]), str(row["commit_sha"]))].append(_override(row))
    return out


def _override(row: dict[str, Any]) -> Override:
    return Override(**{k: row[k] for k in Override.__dataclass_fields__})


def _run(row: dict[str, Any]) -> Run:
    return Run(**{name: row[f"run_{name}"] for name in _RUN_FIELDS})
