"""Recording a class graded from local clones in the service's store, so the dashboard
shows it exactly like work that arrived by push (professors often clone every student's
repository with GitHub Classroom's tools and grade the folder).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from grader.core.errors import InvalidInput
from grader.core.lab import Lab
from grader.core.report import Report
from grader.pipeline.answers import store_answers
from grader.settings import Limits
from grader.store.assignments import Assignment, find_assignment
from grader.store.db import Connection, connect
from grader.store.migrate import apply_migrations
from grader.store.repositories import save_repository
from grader.store.runs import ensure_run, finish_run, start_attempt


def local_commit(folder: Path, lab: Lab) -> str:
    """A stable stand-in for a commit id when the folder is not a git clone."""
    exercise = folder / lab.exercise_file
    data = exercise.read_bytes() if exercise.is_file() else b""
    return "local-" + hashlib.sha1(data).hexdigest()[:32]


def _assignment(conn: Connection, lab: Lab, organisation: str, folder: Path) -> Assignment:
    assignment = find_assignment(conn, organisation, folder.name)
    if assignment is None or assignment.lab_id != lab.id:
        raise InvalidInput(
            f"no assignment of lab {lab.id} matches {organisation}/{folder.name}: add it "
            "with `python -m grader.store.assignments FILE` (see docs/github-app.md)"
        )
    return assignment


def check_class(database_url: str, lab: Lab, organisation: str, folders: Sequence[Path]) -> None:
    """Fail before grading, not after, when a folder would have nowhere to go."""
    with connect(database_url) as conn:
        apply_migrations(conn)
        for folder in folders:
            _assignment(conn, lab, organisation, folder)


def store_class(
    database_url: str,
    lab: Lab,
    organisation: str,
    graded: Sequence[tuple[Path, Report]],
    *,
    max_bytes: int = Limits().max_exercise_file_bytes,
) -> list[str]:
    """Store every report under `organisation/<folder name>`; return the repositories stored.

    Every folder must match a configured assignment of this lab (its repository prefix),
    or nothing is stored: a half-recorded class would look complete in the dashboard.
    The answers each folder holds are stored too, for grading by question."""
    with connect(database_url) as conn:
        apply_migrations(conn)
        stored = []
        for folder, report in graded:
            assignment = _assignment(conn, lab, organisation, folder)
            repository = save_repository(
                conn,
                f"{organisation}/{folder.name}",
                installation_id=None,
                assignment_id=assignment.id,
            )
            run = ensure_run(
                conn,
                repository_id=repository.id,
                commit_sha=report.commit or local_commit(folder, lab),
                lab_id=lab.id,
                lab_version=lab.version,
                push_id=None,
            )
            start_attempt(conn, run.id)
            finish_run(conn, run.id, report)
            store_answers(
                conn,
                repository.id,
                run.commit_sha,
                folder,
                lab,
                graded_commit=report.commit,
                max_bytes=max_bytes,
            )
            stored.append(repository.full_name)
        conn.commit()
    return stored
