"""The api's push publisher: push tasks reach the real Redis queues after the request, from
a process of their own that is replaced when it dies, a push whose task could not be
published goes back to the sweeper at once, and staff's jobs are sent before send()
returns. Real store and Redis; waits poll, nothing is timed."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from kombu import Consumer, Queue
from service_fixtures import fresh_redis

from grader.service.job import Job
from grader.settings import Service, Settings
from grader.store import pushes
from grader.store.assignments import Assignment, save_assignment
from grader.store.db import Connection
from grader.store.deliveries import record_delivery
from grader.store.repositories import save_repository
from workers.celery_app import make_celery
from workers.dispatch import GRADE_PUSH
from workers.publisher_process import PublisherProcess
from workers.push_publisher import PushPublisher
from workers.routing import all_queues
from workers.sweeper import sweep

pytestmark = [pytest.mark.service, pytest.mark.postgres]
pytest_plugins = ["service_fixtures"]

REDIS_URL = "redis://127.0.0.1:6379/9"  # a database of its own, emptied before and after
REPO = "org/tp-alice"


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[Job, bool]] = []
        self.down = False

    def send(self, job: Job, *, staff: bool = False) -> None:
        if self.down:
            raise ConnectionError("redis is down")
        self.sent.append((job, staff))


def eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.01)


@pytest.fixture
def redis_db() -> Iterator[str]:
    yield from fresh_redis(REDIS_URL)


def stored_push(c: Connection, sha: str) -> int:
    assignment = save_assignment(
        c, Assignment(organisation="org", repository_prefix="tp-", lab="mediai")
    )
    repo = save_repository(c, REPO, installation_id=1, assignment_id=assignment).id
    record_delivery(c, f"d-{sha}", "push", None, datetime.now(UTC), {})
    push = pushes.insert_push(
        c,
        repository_id=repo,
        ref="refs/heads/main",
        after_sha=sha,
        before_sha="0" * 40,
        forced=False,
        pushed_at=datetime.now(UTC),
        delivery_id=f"d-{sha}",
    )
    pushes.join_branch_task(c, push, None)
    return push


def queued(settings: Settings) -> list[int]:
    found: list[int] = []
    with make_celery(settings).connection_for_read() as connection:

        def take(body: object, message: object) -> None:
            headers = message.headers  # type: ignore[attr-defined]
            assert headers["task"] == GRADE_PUSH
            found.append(int(json.loads(headers["argsrepr"])[0]))
            message.ack()  # type: ignore[attr-defined]

        queues = [Queue(name) for name in all_queues(2)]
        with Consumer(connection.default_channel, queues=queues, callbacks=[take]):
            try:
                while True:
                    connection.drain_events(timeout=0.5)
            except TimeoutError:
                pass
    return found


def test_pushes_reach_the_real_queue_after_send_returns(
    conn: Connection, store_url: str, redis_db: str
) -> None:
    settings = Settings(database_url=store_url, redis_url=redis_db, service=Service(shard_queues=2))
    publisher = PushPublisher.from_settings(settings)
    ids = [stored_push(conn, sha * 40) for sha in "ab"]
    for push in ids:
        publisher.send(Job("push", push, REPO))
    found: list[int] = []
    eventually(lambda: bool(found.extend(queued(settings))) or len(found) == 2, "both tasks")
    assert found == ids


def test_a_publishing_process_that_died_is_replaced(
    conn: Connection, store_url: str, redis_db: str
) -> None:
    settings = Settings(database_url=store_url, redis_url=redis_db, service=Service(shard_queues=2))
    courier = PublisherProcess(settings)
    assert courier.pid is None  # nothing to publish yet: no process
    first, second = (stored_push(conn, sha * 40) for sha in "ab")
    courier.publish([Job("push", first, REPO)])
    child = courier.pid
    assert child is not None and child != os.getpid()
    found: list[int] = []
    eventually(lambda: bool(found.extend(queued(settings))) or found == [first], "the first")
    os.kill(child, signal.SIGKILL)
    eventually(lambda: courier.pid is None, "the child's death seen")
    courier.publish([Job("push", second, REPO)])
    assert courier.pid not in (None, child)
    eventually(lambda: bool(found.extend(queued(settings))) or found == [first, second], "both")
    courier.close()
    assert courier.pid is None


def test_a_push_the_process_cannot_publish_goes_back_to_the_sweeper(
    conn: Connection, store_url: str
) -> None:
    with socket.socket() as closed:  # a port nobody listens on: Redis is away
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    settings = Settings(database_url=store_url, redis_url=f"redis://127.0.0.1:{port}/0")
    publisher = PushPublisher.from_settings(settings)
    push = stored_push(conn, "a" * 40)
    pushes.mark_enqueued(conn, push)  # as the push writer does, in the push's transaction
    publisher.send(Job("push", push, REPO))
    publisher.close()  # waits for the process, which tried and gave it back
    assert pushes.get_push(conn, push).enqueued_at is None


def test_a_push_not_published_goes_back_to_the_sweeper(conn: Connection, store_url: str) -> None:
    queue = Recorder()
    queue.down = True
    publisher = PushPublisher(queue, store_url, quiet_seconds=3600, max_wait_seconds=3600)
    push = stored_push(conn, "a" * 40)
    publisher.send(Job("push", push, REPO))
    pushes.mark_enqueued(conn, push)  # what the webhook does once send() returns
    publisher.flush()
    assert pushes.get_push(conn, push).enqueued_at is None
    queue.down = False
    assert sweep(conn, queue, stale_seconds=120).pushes == 1  # its next pass, not in minutes
    assert queue.sent == [(Job("push", push, REPO), False)]


def test_staff_jobs_are_sent_before_send_returns(store_url: str) -> None:
    queue = Recorder()
    publisher = PushPublisher(queue, store_url, quiet_seconds=3600, max_wait_seconds=3600)
    publisher.send(Job("rerun", 7, REPO), staff=True)
    publisher.send(Job("repost", 8, REPO))
    publisher.send(Job("push", 9, REPO))
    assert queue.sent == [(Job("rerun", 7, REPO), True), (Job("repost", 8, REPO), False)]
    publisher.flush()  # what a stopping api does
    assert queue.sent[-1] == (Job("push", 9, REPO), False)
