"""After a Redis restart the sweeper re-sends the pushes whose tasks went with it on its next
pass, not `sweep_stale_seconds` later: a hand-off older than the broker is a lost task.
Real store and a Redis server of the test's own, started for it."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from test_service_sweeper import REPO, Recorder, _push, _repo

from grader.service.job import Job
from grader.settings import Settings
from grader.store import pushes
from grader.store.db import Connection
from workers.dispatch import CeleryDispatcher
from workers.sweeper import SweeperThread, sweep

pytestmark = [pytest.mark.service, pytest.mark.postgres]
pytest_plugins = ["service_fixtures"]


@pytest.fixture
def young_broker(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(200):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield url
    finally:
        process.kill()
        process.wait()


def _settings(redis_url: str) -> Settings:
    settings = Settings()
    settings.redis_url = redis_url
    settings.service.sweep_stale_seconds = 600
    return settings


def test_a_hand_off_older_than_the_broker_is_sent_again_at_once(
    conn: Connection, young_broker: str
) -> None:
    repo = _repo(conn)
    before_restart = _push(conn, repo, "a" * 40)
    conn.execute(
        "UPDATE pushes SET enqueued_at = now() - interval '5 minutes' WHERE id = %s",
        (before_restart,),
    )
    settings = _settings(young_broker)
    dispatcher = CeleryDispatcher.from_settings(settings)
    while (uptime := dispatcher.broker_uptime()) is not None and uptime < 2:
        time.sleep(0.2)  # Redis counts whole seconds: hand off the next one clearly later
    assert uptime is not None and uptime < 300  # started for this test
    after_restart = _push(conn, repo, "b" * 40)
    pushes.mark_enqueued(conn, after_restart)

    sweeper = SweeperThread(settings, Recorder(), broker_uptime=dispatcher.broker_uptime)
    stale = sweeper.stale_seconds()
    assert stale < settings.service.sweep_stale_seconds
    queue = Recorder()
    sweep(conn, queue, stale_seconds=stale)
    assert queue.sent == [Job("push", before_restart, REPO)]


def test_without_the_brokers_age_the_usual_delay_applies(conn: Connection) -> None:
    repo = _repo(conn)
    handed_off = _push(conn, repo, "c" * 40)
    conn.execute(
        "UPDATE pushes SET enqueued_at = now() - interval '5 minutes' WHERE id = %s",
        (handed_off,),
    )
    unreachable = CeleryDispatcher.from_settings(_settings("redis://127.0.0.1:9/0"))
    assert unreachable.broker_uptime() is None
    sweeper = SweeperThread(
        _settings("redis://127.0.0.1:9/0"), Recorder(), unreachable.broker_uptime
    )
    assert sweeper.stale_seconds() == 600
    queue = Recorder()
    sweep(conn, queue, stale_seconds=sweeper.stale_seconds())
    assert queue.sent == []  # five minutes is not yet the ten the settings ask for
