"""The sweeper re-sends what the store says should be graded: pushes whose hand-off failed or
whose task was lost, and runs whose worker died. Real store; the queue is a recorder."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from grader.service.job import Job
from grader.store import pushes, runs
from grader.store.assignments import Assignment, save_assignment
from grader.store.db import Connection, connect
from grader.store.deliveries import record_delivery
from grader.store.repositories import save_repository
from workers.sweeper import sweep

pytestmark = [pytest.mark.service, pytest.mark.postgres]
pytest_plugins = ["service_fixtures"]

REPO = "org/tp-alice"


class Recorder:
    def __init__(self) -> None:
        self.sent: list[Job] = []
        self.down = False

    def send(self, job: Job, *, staff: bool = False) -> None:
        if self.down:
            raise ConnectionError("redis is down")
        self.sent.append(job)


def _repo(c: Connection) -> int:
    assignment = save_assignment(
        c, Assignment(organisation="org", repository_prefix="tp-", lab="mediai")
    )
    return save_repository(c, REPO, installation_id=1, assignment_id=assignment).id


def _push(c: Connection, repo: int, sha: str) -> int:
    record_delivery(c, f"d-{sha}", "push", None, datetime.now(UTC), {})
    return pushes.insert_push(
        c,
        repository_id=repo,
        ref="refs/heads/main",
        after_sha=sha,
        before_sha="0" * 40,
        forced=False,
        pushed_at=datetime.now(UTC),
        delivery_id=f"d-{sha}",
    )


def test_pushes_never_handed_off_or_lost_are_sent_again_and_only_they(conn: Connection) -> None:
    repo = _repo(conn)
    never = _push(conn, repo, "a" * 40)
    lost = _push(conn, repo, "b" * 40)
    conn.execute("UPDATE pushes SET enqueued_at = now() - interval '10 minutes' WHERE id = %s",
                 (lost,))
    fresh = _push(conn, repo, "c" * 40)
    pushes.mark_enqueued(conn, fresh)
    held = _push(conn, repo, "d" * 40)
    pushes.hold_hand_off(conn, held, 600)  # a retry is on its way
    graded = _push(conn, repo, "e" * 40)
    pushes.set_push_status(conn, graded, pushes.GRADED)
    queue = Recorder()
    swept = sweep(conn, queue, stale_seconds=120)
    assert swept.pushes == 2
    assert queue.sent == [Job("push", never, REPO), Job("push", lost, REPO)]
    assert sweep(conn, queue, stale_seconds=120).pushes == 0  # handed off just now


def test_with_the_queue_still_away_nothing_is_marked_sent(conn: Connection) -> None:
    repo = _repo(conn)
    push = _push(conn, repo, "a" * 40)
    queue = Recorder()
    queue.down = True
    assert sweep(conn, queue, stale_seconds=120).pushes == 0
    queue.down = False
    assert sweep(conn, queue, stale_seconds=120).pushes == 1
    assert queue.sent == [Job("push", push, REPO)]


def _running(c: Connection, repo: int, push_id: int | None, sha: str) -> int:
    run = runs.ensure_run(
        c, repository_id=repo, commit_sha=sha, lab_id="mediai", lab_version="1", push_id=push_id
    )
    runs.start_attempt(c, run.id)
    return run.id


def test_a_dead_workers_run_is_put_back_and_sent_but_a_live_one_is_left(
    conn: Connection, store_url: str
) -> None:
    repo = _repo(conn)
    push = _push(conn, repo, "a" * 40)
    pushes.mark_enqueued(conn, push)  # its task was handed out; then the worker died
    dead = _running(conn, repo, push, "a" * 40)
    rerun = _running(conn, repo, None, "b" * 40)  # a staff re-run whose worker died
    alive = _running(conn, repo, None, "c" * 40)
    with connect(store_url, autocommit=True) as worker:
        assert runs.try_lock_run(worker, alive)  # a worker is grading this one right now
        queue = Recorder()
        swept = sweep(conn, queue, stale_seconds=120)
        assert swept.runs == 2
        assert queue.sent == [Job("push", push, REPO), Job("rerun", rerun, REPO)]
        assert runs.get_run(conn, dead).status == runs.QUEUED
        assert "worker grading it stopped" in (runs.get_run(conn, dead).error or "")
        assert runs.get_run(conn, alive).status == runs.RUNNING


def test_one_sweeper_at_a_time(conn: Connection, store_url: str) -> None:
    repo = _repo(conn)
    _push(conn, repo, "a" * 40)
    with connect(store_url) as other, other.transaction():
        other.execute("SELECT pg_advisory_xact_lock(2, 0)")
        assert sweep(conn, Recorder(), stale_seconds=120).skipped
    assert sweep(conn, Recorder(), stale_seconds=120).pushes == 1
