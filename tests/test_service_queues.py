"""Routing and priorities on a real Redis: a repository keeps its queue, and the staff queue
is served before a backlog of grading tasks (the claim of workers/celery_app.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from kombu import Consumer, Queue
from service_fixtures import fresh_redis

from grader.service.job import Job
from grader.settings import Service, Settings
from workers.celery_app import make_celery
from workers.dispatch import GRADE_PUSH, REGRADE_RUN, CeleryDispatcher
from workers.routing import all_queues, shard_queue

REDIS_URL = "redis://127.0.0.1:6379/14"  # a database of its own, emptied before and after


def test_a_repository_always_gets_the_same_queue() -> None:
    queues = {shard_queue(f"org/tp-distributed-{i}", 8) for i in range(200)}
    assert queues == {f"grading.{i}" for i in range(8)}  # spread over every queue
    assert shard_queue("Org/TP-distributed-Alice", 8) == shard_queue("org/tp-distributed-alice", 8)
    assert all_queues(2) == ["staff", "grading.0", "grading.1"]


@pytest.fixture
def redis_db() -> Iterator[str]:
    yield from fresh_redis(REDIS_URL)


@pytest.mark.service
def test_staff_reruns_jump_the_grading_backlog(redis_db: str) -> None:
    settings = Settings(redis_url=redis_db, service=Service(shard_queues=2))
    app = make_celery(settings)
    dispatcher = CeleryDispatcher(app, 2)
    for push_id in range(1, 6):
        dispatcher.send(Job("push", push_id, "org/tp-distributed-alice"))
    dispatcher.send(Job("rerun", 99, "org/tp-distributed-bob"), staff=True)

    received: list[tuple[str, str]] = []
    # staff listed last: without priorities the worker would reach it last
    queues = [Queue(name) for name in reversed(all_queues(2))]
    with app.connection_for_read() as connection:
        channel = connection.default_channel
        transport_options = app.conf.broker_transport_options
        assert transport_options["queue_order_strategy"] == "round_robin"

        def take(body: Any, message: Any) -> None:
            received.append((message.headers["task"], message.headers["argsrepr"]))
            message.ack()

        with Consumer(channel, queues=queues, callbacks=[take], accept=["json"]) as consumer:
            consumer.qos(prefetch_count=1)
            while len(received) < 6:
                connection.drain_events(timeout=5)
    assert received[0] == (REGRADE_RUN, "[99]")
    assert [task for task, _ in received[1:]] == [GRADE_PUSH] * 5
    assert [args for _, args in received[1:]] == [f"[{i}]" for i in range(1, 6)]
