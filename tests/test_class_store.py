"""A class graded from local clones lands in the store as the dashboard reads it."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.core.errors import InvalidInput
from grader.core.lab import default_lab_path, load_lab
from grader.core.report import ExerciseReport, Report, Status
from grader.dashboard.queries import class_rows
from grader.pipeline.class_store import local_commit, store_class
from grader.store.assignments import Assignment, find_assignment, save_assignment
from grader.store.db import Connection

pytest_plugins = ["service_fixtures"]
pytestmark = [pytest.mark.service, pytest.mark.postgres]

LAB = load_lab(default_lab_path())


def report(score: float, commit: str | None = None) -> Report:
    ex = ExerciseReport(
        id="3.2", title="t", part="3", status=Status.PARTIAL, score=score, max_score=10
    )
    return Report(
        lab_id=LAB.id,
        lab_version=LAB.version,
        score=score,
        max_score=100,
        exercises=[ex],
        commit=commit,
    )


def clone(tmp_path: Path, name: str, text: str) -> Path:
    folder = tmp_path / name
    (folder / "exercises").mkdir(parents=True)
    (folder / LAB.exercise_file).write_text(text)
    return folder


def test_graded_clones_show_in_the_class_as_pushed_work_would(
    conn: Connection, store_url: str, tmp_path: Path
) -> None:
    save_assignment(
        conn, Assignment(organisation="uni", repository_prefix="tp-distributed-", lab=LAB.id)
    )
    alice, bob = (
        clone(tmp_path, "tp-distributed-alice", "a"),
        clone(tmp_path, "tp-distributed-bob", "b"),
    )
    stored = store_class(store_url, LAB, "uni", [(alice, report(7, "ab" * 20)), (bob, report(3))])
    assert stored == ["uni/tp-distributed-alice", "uni/tp-distributed-bob"]
    assignment = find_assignment(conn, "uni", "tp-distributed-alice")
    assert assignment is not None
    rows = {row.login: row for row in class_rows(conn, assignment)}
    assert rows["alice"].grade is not None and rows["alice"].grade.report.score == 7
    assert rows["alice"].run is not None and rows["alice"].run.commit_sha == "ab" * 20
    assert rows["bob"].run is not None and rows["bob"].run.commit_sha == local_commit(bob, LAB)
    # Grading the same clones again updates their runs instead of adding rows.
    store_class(store_url, LAB, "uni", [(bob, report(5))])
    assert conn.execute("SELECT count(*) AS n FROM grading_runs").fetchone() == {"n": 2}


def test_a_clone_matching_no_assignment_stores_nothing(
    conn: Connection, store_url: str, tmp_path: Path
) -> None:
    stray = clone(tmp_path, "homework-carol", "c")
    with pytest.raises(InvalidInput, match="no assignment"):
        store_class(store_url, LAB, "uni", [(stray, report(1))])
    assert conn.execute("SELECT count(*) AS n FROM repositories").fetchone() == {"n": 0}


def test_an_assignments_file_without_assignments_is_an_error() -> None:
    from grader.store.assignments import parse_assignments

    with pytest.raises(InvalidInput, match=r"no \[\[assignment\]\]"):
        parse_assignments('[[assignments]]\norganisation = "uni"\n', "assignments.toml")
