"""A Redis restart loses every task it held, and a delivery can arrive while Redis is away:
the stored pushes are graded all the same, each exactly once, by a worker that waited for
the broker instead of exiting. The Redis server here is the test's own (it keeps nothing,
like the default service), never the machine's."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from test_service_e2e import (  # the deployment of the end-to-end tests, with its fixture
    Deployment,
    commit_example,
    completed_checks,
    service,
    wait_for,
)

pytestmark = [pytest.mark.service, pytest.mark.postgres, pytest.mark.slow]
pytest_plugins = ["service_fixtures"]
__all__ = ["service"]


class OwnRedis:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.skip("redis-server is not installed")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()  # like a crash: whatever it held is gone
        self.process.wait()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[OwnRedis]:
    own = OwnRedis(tmp_path)
    own.start()
    yield own
    if own.process is not None and own.process.poll() is None:
        own.kill()


@pytest.fixture
def redis_db(broker: OwnRedis) -> str:
    return broker.url


def test_pushes_survive_a_redis_restart_and_an_outage(
    service: Deployment, broker: OwnRedis
) -> None:
    service.env |= {
        "GRADER_SERVICE__SWEEP_STALE_SECONDS": "2",
        "GRADER_SERVICE__SWEEP_INTERVAL_SECONDS": "1",
    }
    first = commit_example(service.student, "template-untouched", "start")
    service.student.push()
    assert service.push(first).json()["status"] == "queued"  # its task sits in Redis
    broker.kill()
    broker.start()  # the first push's task is gone with the old server
    worker = service.start_worker()
    wait_for(
        lambda: len(completed_checks(service.standin)) == 1,
        "the first push's check run",
        worker=worker,
    )
    # The outage starts once the task is acknowledged: a broker lost during the ack itself
    # trips kombu (an AttributeError while it restores unacked messages) and the worker
    # exits, for its supervisor to restart (docs/github-app.md); the task comes back then.
    log = service.tmp / "worker-0.log"
    wait_for(lambda: b"succeeded in" in log.read_bytes(), "the first task's ack", worker=worker)

    broker.kill()
    second = commit_example(service.student, "partial-mistakes", "Part 1 done")
    service.student.push()
    answer = service.push(second, before=first)  # Redis is away: stored, answered 202
    assert answer.status_code == 202 and answer.json()["status"] == "queued"
    time.sleep(3)  # the worker notices the broker is gone and keeps waiting for it
    assert worker.poll() is None, "the worker exited during the broker outage"
    broker.start()
    wait_for(
        lambda: len(completed_checks(service.standin)) == 2,
        "the second push's check run",
        worker=worker,
    )

    graded = service.rows("SELECT commit_sha, status, attempts FROM grading_runs ORDER BY id")
    assert [(r["commit_sha"], r["status"]) for r in graded] == [
        (first, "completed"),
        (second, "completed"),
    ]
    assert all(r["attempts"] == 1 for r in graded)  # each graded once
    statuses = [p["status"] for p in service.rows("SELECT status FROM pushes ORDER BY id")]
    assert statuses == ["graded", "graded"]
    heads = sorted(c.fields["head_sha"] for c in completed_checks(service.standin))
    assert heads == sorted([first, second])
