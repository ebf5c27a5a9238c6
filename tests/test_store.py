"""The store on a real PostgreSQL: migrations, assignments, pushes, runs, overrides."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from grader.core.errors import InvalidInput
from grader.core.report import Report
from grader.store import pushes, runs
from grader.store.assignments import (
    Assignment,
    find_assignment,
    parse_assignments,
    save_assignment,
    sync_file,
)
from grader.store.check_runs import current_check_run, record_check_run, run_for_check_run
from grader.store.db import Connection, connect
from grader.store.deliveries import record_delivery
from grader.store.migrate import Migration, apply_migrations, bundled_migrations
from grader.store.overrides import add_override, overrides_for_run
from grader.store.repositories import save_repository

pytestmark = [pytest.mark.service, pytest.mark.postgres]
pytest_plugins = ["service_fixtures"]

DEADLINE = datetime(2025, 3, 14, 23, 59, tzinfo=UTC)
ASSIGNMENTS = """
[[assignment]]
organisation = "Classroom-Org"
repository_prefix = "tp-distributed-"
lab = "mediai"
deadline = 2025-03-15T00:59:00+01:00
grace_minutes = 10
late_penalty_per_day = 5
pass_mark = 60

[[assignment]]
organisation = "classroom-org"
repository_prefix = "tp-distributed-advanced-"
lab = "mediai-advanced"
"""


def tables(c: Connection) -> set[str]:
    rows = c.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {r["tablename"] for r in rows}


def test_migrations_apply_once(store_url: str) -> None:
    with connect(store_url) as c:
        assert apply_migrations(c) == [m.version for m in bundled_migrations()]
        assert apply_migrations(c) == []
        assert {
            "assignments",
            "deliveries",
            "pushes",
            "grading_runs",
            "check_runs",
            "overrides",
            "installations",
            "repositories",
            "schema_migrations",
        } <= tables(c)


def test_two_processes_starting_together_do_not_race(store_url: str) -> None:
    applied: list[list[int]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def start() -> None:
        try:
            with connect(store_url) as c:
                barrier.wait()
                applied.append(apply_migrations(c))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(applied, key=len) == [[], [m.version for m in bundled_migrations()]]


def test_a_failing_migration_changes_nothing(conn: Connection) -> None:
    broken = [Migration(900, "broken", "CREATE TABLE half_done (id int); SELECT nonsense;")]
    with pytest.raises(psycopg.errors.UndefinedColumn):
        apply_migrations(conn, broken)
    assert "half_done" not in tables(conn)
    versions = {r["version"] for r in conn.execute("SELECT version FROM schema_migrations")}
    assert 900 not in versions


def test_assignments_from_toml(conn: Connection, tmp_path: Path) -> None:
    path = tmp_path / "assignments.toml"
    path.write_text(ASSIGNMENTS, encoding="utf-8")
    assert len(sync_file(conn, path)) == 2
    assert len(sync_file(conn, path)) == 2  # re-sync updates, never duplicates
    assert conn.execute("SELECT count(*) AS n FROM assignments").fetchone() == {"n": 2}
    found = find_assignment(conn, "classroom-org", "tp-distributed-alice")
    assert found is not None and found.lab_id == "mediai" and found.pass_mark == 60
    policy = found.policy()
    assert policy is not None
    assert policy.deadline == DEADLINE and policy.grace == timedelta(minutes=10)
    assert policy.late_penalty_per_day == 5
    longest = find_assignment(conn, "CLASSROOM-ORG", "tp-distributed-advanced-bob")
    assert longest is not None and longest.lab_id == "mediai-advanced"
    assert longest.policy() is None
    assert find_assignment(conn, "other-org", "tp-distributed-alice") is None
    assert find_assignment(conn, "classroom-org", "homework-alice") is None


def test_assignment_times_need_a_zone() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        parse_assignments(
            '[[assignment]]\norganisation="o"\nrepository_prefix="p"\nlab="l"\n'
            "deadline = 2025-03-14T23:59:00\n"
        )
    with pytest.raises(InvalidInput, match="not valid TOML"):
        parse_assignments("[[assignment]\n")


def test_a_delivery_is_stored_once(conn: Connection) -> None:
    now = datetime.now(UTC)
    assert record_delivery(conn, "d-1", "push", None, now, {"a": 1}) is True
    assert record_delivery(conn, "d-1", "push", None, now, {"a": 2}) is False
    row = conn.execute("SELECT payload FROM deliveries WHERE delivery_id = 'd-1'").fetchone()
    assert row == {"payload": {"a": 1}}


def _push(c: Connection, repo_id: int, sha: str, at: datetime) -> pushes.Push:
    record_delivery(c, f"d-{sha}", "push", None, at, {})
    push_id = pushes.insert_push(
        c,
        repository_id=repo_id,
        ref="refs/heads/main",
        after_sha=sha,
        before_sha="0" * 40,
        forced=False,
        pushed_at=at,
        delivery_id=f"d-{sha}",
    )
    return pushes.get_push(c, push_id)


def _repo(c: Connection) -> int:
    assignment = save_assignment(
        c, Assignment(organisation="org", repository_prefix="tp-", lab="mediai")
    )
    return save_repository(c, "org/tp-alice", installation_id=1, assignment_id=assignment).id


def test_newer_push_never_crosses_the_deadline(conn: Connection) -> None:
    repo = _repo(conn)
    on_time = _push(conn, repo, "a" * 40, DEADLINE - timedelta(minutes=5))
    also_on_time = _push(conn, repo, "b" * 40, DEADLINE - timedelta(minutes=1))
    late = _push(conn, repo, "c" * 40, DEADLINE + timedelta(hours=1))
    newer = pushes.newer_push(conn, on_time, DEADLINE)
    assert newer is not None and newer.id == also_on_time.id
    assert pushes.newer_push(conn, also_on_time, DEADLINE) is None  # the late one doesn't count
    assert pushes.newer_push(conn, late, DEADLINE) is None
    without_deadline = pushes.newer_push(conn, also_on_time, None)
    assert without_deadline is not None and without_deadline.id == late.id
    history = pushes.branch_pushes(conn, also_on_time)
    assert [p.after_sha[0] for p in history] == ["a", "b"]


def test_one_run_per_commit_and_lab_version(conn: Connection) -> None:
    repo = _repo(conn)
    first = runs.ensure_run(
        conn,
        repository_id=repo,
        commit_sha="a" * 40,
        lab_id="mediai",
        lab_version="1",
        push_id=None,
    )
    again = runs.ensure_run(
        conn,
        repository_id=repo,
        commit_sha="a" * 40,
        lab_id="mediai",
        lab_version="1",
        push_id=None,
    )
    new_lab = runs.ensure_run(
        conn,
        repository_id=repo,
        commit_sha="a" * 40,
        lab_id="mediai",
        lab_version="2",
        push_id=None,
    )
    assert first.id == again.id != new_lab.id
    assert first.needs_grading


def test_the_run_lock_dies_with_its_connection(conn: Connection, store_url: str) -> None:
    run = runs.ensure_run(
        conn,
        repository_id=_repo(conn),
        commit_sha="a" * 40,
        lab_id="mediai",
        lab_version="1",
        push_id=None,
    )
    other = connect(store_url, autocommit=True)
    assert runs.try_lock_run(other, run.id)
    assert not runs.try_lock_run(conn, run.id)  # a duplicate task finds it taken
    other.close()  # the worker died
    # the server notices the lost session a moment later; then the redelivered task takes over
    deadline = time.monotonic() + 10
    while not runs.try_lock_run(conn, run.id):
        assert time.monotonic() < deadline, "the lock outlived its connection"
        time.sleep(0.05)
    runs.unlock_run(conn, run.id)


def test_rerun_regrades_in_place_and_keeps_overrides(conn: Connection) -> None:
    run = runs.ensure_run(
        conn,
        repository_id=_repo(conn),
        commit_sha="a" * 40,
        lab_id="mediai",
        lab_version="1",
        push_id=None,
    )
    assert runs.start_attempt(conn, run.id) == 1
    runs.finish_run(conn, run.id, Report(lab_id="mediai", lab_version="1", score=5, max_score=10))
    done = runs.get_run(conn, run.id)
    assert done.status == runs.COMPLETED and not done.needs_grading
    with pytest.raises(InvalidInput):
        add_override(conn, run.id, exercise_id="Q1", score=3, reason=" ", by_whom="prof")
    with pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(
            "INSERT INTO overrides (run_id, score, reason, by_whom) VALUES (%s, 1, '', 'x')",
            (run.id,),
        )
    add_override(conn, run.id, exercise_id="Q1", score=3, reason="good argument", by_whom="prof")
    runs.request_rerun(conn, run.id)
    assert runs.get_run(conn, run.id).needs_grading
    assert runs.start_attempt(conn, run.id) == 2
    runs.finish_run(conn, run.id, Report(lab_id="mediai", lab_version="1", score=7, max_score=10))
    regraded = runs.get_run(conn, run.id)
    assert (regraded.score, regraded.needs_grading) == (7, False)
    parsed = regraded.parsed_report()
    assert parsed is not None and parsed.score == 7
    assert [o.reason for o in overrides_for_run(conn, run.id)] == ["good argument"]


def test_check_runs_current_is_the_newest(conn: Connection) -> None:
    run = runs.ensure_run(
        conn,
        repository_id=_repo(conn),
        commit_sha="a" * 40,
        lab_id="mediai",
        lab_version="1",
        push_id=None,
    )
    assert current_check_run(conn, run.id) is None
    record_check_run(conn, run.id, 11, "in_progress")
    record_check_run(conn, run.id, 11, "completed", "success")
    record_check_run(conn, run.id, 12, "in_progress")
    current = current_check_run(conn, run.id)
    assert current is not None and (current.github_id, current.status) == (12, "in_progress")
    assert run_for_check_run(conn, 11) == run.id and run_for_check_run(conn, 99) is None


def test_out_of_order_deliveries_in_one_second_still_grade_the_real_head(
    conn: Connection,
) -> None:
    repo = _repo(conn)
    at = DEADLINE - timedelta(hours=1)
    # The child push (b on top of a) was delivered first; both carry the same second.
    child = _push(conn, repo, "b" * 40, at)
    conn.execute("UPDATE pushes SET before_sha = %s WHERE id = %s", ("a" * 40, child.id))
    parent = _push(conn, repo, "a" * 40, at)
    child = pushes.get_push(conn, child.id)
    newer = pushes.newer_push(conn, parent, DEADLINE)
    assert newer is not None and newer.id == child.id  # the parent gives way to its child
    assert pushes.newer_push(conn, child, DEADLINE) is None  # the head is graded
