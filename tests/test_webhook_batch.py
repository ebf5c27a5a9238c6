"""Branch pushes stored many at a time (grader/webhook/writer.py): a burst is stored in a
few transactions, and each delivery still gets what it got alone. Real store; the queue is
a recorder that checks each job's rows are committed when it is handed one."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from psycopg_pool import ConnectionPool
from service_support import INSTALLATION_ID, adapt, example

from grader.github.events import PushEvent, parse_event
from grader.service.job import Job
from grader.service.state import ServiceState
from grader.settings import Settings
from grader.store.assignments import sync_file
from grader.store.db import Connection, connect, open_pool
from grader.webhook import routes, writer
from grader.webhook.intake import BranchPush, Intake, take_pushes
from grader.webhook.writer import PushWriter

pytestmark = [pytest.mark.service, pytest.mark.postgres]
pytest_plugins = ["service_fixtures"]

ORG = "classroom-org"


class CommittedQueue:
    def __init__(self, store_url: str) -> None:
        self.store_url = store_url
        self.sent: list[Job] = []
        self.broken = False

    def send(self, job: Job, *, staff: bool = False) -> None:
        if self.broken:
            raise ConnectionError("redis is down")
        with connect(self.store_url) as other:  # another session sees committed rows only
            row = other.execute("SELECT id FROM pushes WHERE id = %s", (job.id,)).fetchone()
        assert row is not None, f"{job} was sent before its transaction committed"
        self.sent.append(job)


@pytest.fixture
def store(conn: Connection, tmp_path: Path) -> Connection:
    assignments = tmp_path / "assignments.toml"
    assignments.write_text(
        f'[[assignment]]\norganisation = "{ORG}"\nrepository_prefix = "tp-distributed-"\n'
        'lab = "mediai"\n',
        encoding="utf-8",
    )
    sync_file(conn, assignments)
    return conn


@pytest.fixture
def pool(store: Connection, store_url: str) -> Iterator[ConnectionPool[Connection]]:
    pool = open_pool(store_url)
    yield pool
    pool.close()


@pytest.fixture
def queue(store_url: str) -> CommittedQueue:
    return CommittedQueue(store_url)


@pytest.fixture
def state(store_url: str, pool: ConnectionPool[Connection], queue: CommittedQueue) -> ServiceState:
    return ServiceState(Settings(database_url=store_url), pool, queue)


def push(
    repo: str, after: str, delivery: str, before: str = "0" * 40, pushed_at: int | None = None
) -> BranchPush:
    payload = adapt(
        example("push/with-new-branch.payload.json"),
        f"{ORG}/{repo}",
        after=after,
        before=before,
    )
    if pushed_at is not None:
        payload["repository"]["pushed_at"] = pushed_at
    return BranchPush(
        delivery_id=delivery,
        received_at=datetime.now(UTC),
        action=None,
        payload_json=json.dumps(payload),
        event=parse_event(PushEvent, payload),
    )


def burst(state: ServiceState, pushes: list[BranchPush]) -> list[Intake]:
    """All taken at once, as concurrent requests of one api process are."""

    async def run() -> list[Intake]:
        taker = PushWriter(state)
        try:
            return list(await asyncio.gather(*(taker.take(p) for p in pushes)))
        finally:
            taker.close()

    return asyncio.run(run())


def rows(conn: Connection, sql: str) -> list[dict[str, Any]]:
    return conn.execute(sql.encode()).fetchall()


def test_a_burst_is_stored_once_each_and_every_branch_queued_once(
    state: ServiceState, queue: CommittedQueue, store: Connection
) -> None:
    students = [push(f"tp-distributed-s{i:02d}", f"{i:02d}" * 20, f"d-{i}") for i in range(30)]
    again = push("tp-distributed-s00", "00" * 20, "d-0")  # GitHub's redelivery, in the burst
    elsewhere = push("not-an-assignment", "ab" * 20, "d-other")
    answers = burst(state, [*students, again, elsewhere])
    assert [a.status for a in answers] == ["queued"] * 30 + ["duplicate", "ignored"]
    assert answers[-1].reason == f"no assignment matches {ORG}/not-an-assignment"
    stored = rows(store, "SELECT delivery_id, status, enqueued_at FROM pushes")
    assert len(stored) == 31
    assert {r["delivery_id"] for r in stored if r["status"] == "queued"} == {
        f"d-{i}" for i in range(30)
    }
    assert all(r["enqueued_at"] is not None for r in stored if r["status"] == "queued")
    assert sorted(job.id for job in queue.sent) == sorted(
        int(a.reason.removeprefix("push ")) for a in answers[:30]
    )
    repo = rows(store, f"SELECT * FROM repositories WHERE full_name = '{ORG}/tp-distributed-s00'")
    assert repo[0]["installation_id"] == INSTALLATION_ID and repo[0]["assignment_id"] is not None
    outcomes = {
        r["delivery_id"]: r
        for r in rows(store, "SELECT delivery_id, outcome, payload FROM deliveries")
    }
    assert len(outcomes) == 31
    assert outcomes["d-3"]["outcome"].startswith("queued: push ")
    assert outcomes["d-3"]["payload"]["after"] == "03" * 20  # stored as it came
    assert outcomes["d-other"]["outcome"].startswith("ignored: no assignment matches")
    assert outcomes["d-other"]["payload"] is None


def test_pushes_to_one_branch_in_one_batch_send_one_task_that_grades_the_newest(
    store: Connection,
) -> None:
    older = push("tp-distributed-alice", "1" * 40, "d-old", pushed_at=1_700_000_000)
    newer = push(
        "tp-distributed-alice", "2" * 40, "d-new", before="1" * 40, pushed_at=1_700_000_060
    )
    with store.transaction():
        # the newer one first: the batch has no order GitHub guarantees either
        answers = take_pushes(store, [newer, older])
    jobs = [a.job for a in answers if a.job is not None]
    assert len(jobs) == 1 and all(a.status == "queued" for a in answers)
    task = rows(
        store,
        "SELECT t.task_push_id, p.after_sha FROM branch_tasks t JOIN pushes p ON p.id = t.push_id",
    )
    assert task == [{"task_push_id": jobs[0].id, "after_sha": "2" * 40}]
    statuses = {r["after_sha"]: r["status"] for r in rows(store, "SELECT * FROM pushes")}
    assert statuses == {"1" * 40: "superseded", "2" * 40: "queued"}


def test_a_push_to_a_branch_whose_task_waits_joins_it(store: Connection) -> None:
    with store.transaction():
        [first] = take_pushes(store, [push("tp-distributed-bob", "1" * 40, "d-1")])
    with store.transaction():
        [second] = take_pushes(
            store, [push("tp-distributed-bob", "2" * 40, "d-2", before="1" * 40)]
        )
    assert first.job is not None and second.job is None
    assert second.reason.endswith(f"graded by the queued task of push {first.job.id}")
    joined = rows(store, "SELECT enqueued_at FROM pushes WHERE after_sha = '" + "2" * 40 + "'")
    assert joined[0]["enqueued_at"] is not None  # handed off with the task it rides on


def test_a_connection_lost_mid_batch_stores_the_batch_once_on_a_fresh_one(
    state: ServiceState,
    queue: CommittedQueue,
    store: Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue-15 guarantee, for the batch: the lost transaction stored nothing, and the
    deliveries are stored once more, once."""
    calls: list[int] = []

    def dropped_once(conn: Connection, batch: list[BranchPush]) -> list[Intake]:
        calls.append(len(batch))
        answers = take_pushes(conn, batch)
        if len(calls) == 1:  # the server ends this session before the commit
            conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return answers

    monkeypatch.setattr(writer, "take_pushes", dropped_once)
    answers = burst(state, [push("tp-distributed-carol", "3" * 40, "d-lost")])
    assert [a.status for a in answers] == ["queued"] and calls == [1, 1]
    assert len(rows(store, "SELECT id FROM pushes")) == 1 and len(queue.sent) == 1


def test_a_delivery_the_store_refuses_fails_alone(
    state: ServiceState, queue: CommittedQueue, store: Connection
) -> None:
    good = [push(f"tp-distributed-d{i}", f"{i}" * 40, f"d-{i}") for i in range(3)]
    bad = push("tp-distributed-eve", "e" * 40, "d-bad")
    # JSON may escape a NUL character; the store's text columns cannot hold one
    bad = BranchPush(
        bad.delivery_id,
        bad.received_at,
        None,
        bad.payload_json.replace("refs/heads/main", "refs/heads/ma\\u0000in", 1),
        bad.event.model_copy(update={"ref": "refs/heads/ma\x00in"}),
    )

    async def run() -> list[Intake | BaseException]:
        taker = PushWriter(state)
        try:
            return list(
                await asyncio.gather(*(taker.take(p) for p in [*good, bad]), return_exceptions=True)
            )
        finally:
            taker.close()

    answers = asyncio.run(run())
    assert [getattr(a, "status", None) for a in answers[:3]] == ["queued"] * 3
    assert isinstance(answers[3], Exception)
    assert {r["delivery_id"] for r in rows(store, "SELECT delivery_id FROM deliveries")} == {
        "d-0",
        "d-1",
        "d-2",
    }


def test_a_refused_hand_off_is_left_to_the_sweeper(
    state: ServiceState, queue: CommittedQueue, store: Connection
) -> None:
    queue.broken = True
    [answer] = burst(state, [push("tp-distributed-frank", "f" * 40, "d-f")])
    assert answer.status == "queued" and answer.reason.endswith(writer.LATER)
    assert rows(store, "SELECT enqueued_at FROM pushes") == [{"enqueued_at": None}]
    queue.broken = False
    [again] = burst(state, [push("tp-distributed-frank", "f" * 40, "d-f")])
    assert again.status == "duplicate" and len(queue.sent) == 1
    assert rows(store, "SELECT enqueued_at IS NOT NULL AS handed FROM pushes") == [{"handed": True}]


def test_only_pushes_to_a_branch_take_the_batch_path() -> None:
    """Tags, deletions and other events keep the one-at-a-time path; a push keeps its body."""
    payload = adapt(example("push/with-new-branch.payload.json"), f"{ORG}/tp-distributed-g")
    body = json.dumps(payload).encode()
    now = datetime.now(UTC)
    taken = routes._branch_push("push", "d-1", now, body, payload)
    assert taken is not None and taken.payload_json == body.decode()
    tag = payload | {"ref": "refs/tags/v1"}
    deleted = payload | {"deleted": True, "after": "0" * 40}
    for event, other in [("push", tag), ("push", deleted), ("installation", payload)]:
        assert routes._branch_push(event, "d-2", now, json.dumps(other).encode(), other) is None
    bom = b"\xef\xbb\xbf" + body  # read by json, not by the store: written again
    taken = routes._branch_push("push", "d-3", now, bom, payload)
    assert taken is not None and json.loads(taken.payload_json) == payload
