"""A worker starting removes the clone folders that workers which stopped left behind, and
never a live worker's clone. The workers here are real processes: helpers holding a folder
the way a worker does, and a real Celery worker started on the real app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from service_fixtures import fresh_redis
from service_support import stop_worker

from workers.clone_folders import ROOT, own_folder
from workers.routing import all_queues

pytest_plugins = ["service_fixtures"]

REDIS_URL = "redis://127.0.0.1:6379/10"  # a database of its own, emptied before and after
WAIT_SECONDS = 120

# A process that takes its clone folder as a worker does, starts a clone in it and waits.
_HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from workers.clone_folders import own_folder

    clone = own_folder(Path(sys.argv[1])) / "grade-7-abc" / "checkout"
    clone.mkdir(parents=True)
    (clone / "lab.md").write_text("# Lab")
    print(clone, flush=True)
    sys.stdin.read()
    """
)


def holder(work_dir: Path) -> tuple[subprocess.Popen[str], Path]:
    """(the process, the clone it is grading)"""
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(work_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, Path(process.stdout.readline().strip())


def killed_holder(work_dir: Path) -> Path:
    process, clone = holder(work_dir)
    process.send_signal(signal.SIGKILL)  # as an out-of-memory kill would: no clean-up
    process.wait()
    assert clone.is_dir()
    return clone


def folder_of(clone: Path) -> Path:
    return clone.parent.parent


def test_starting_removes_dead_workers_clones_and_keeps_live_ones(tmp_path: Path) -> None:
    dead = killed_holder(tmp_path)
    live, in_flight = holder(tmp_path)
    try:
        mine = own_folder(tmp_path)  # this process starts as a worker
        assert not folder_of(dead).exists()
        assert (in_flight / "lab.md").read_text() == "# Lab"
        assert mine.parent == tmp_path / ROOT
        assert mine not in (folder_of(dead), folder_of(in_flight))
        assert own_folder(tmp_path) == mine  # one folder for the life of the process
    finally:
        live.communicate("")  # the live worker stops: its lock goes with it
    other, _ = holder(tmp_path)  # the next worker to start clears what it left
    other.communicate("")
    assert not folder_of(in_flight).exists()
    assert mine.is_dir()  # this process still lives: its folder stays


@pytest.fixture
def redis_db() -> Iterator[str]:
    yield from fresh_redis(REDIS_URL)


@pytest.mark.service
@pytest.mark.postgres
def test_a_real_worker_clears_leftover_clones_before_taking_tasks(
    tmp_path: Path, store_url: str, redis_db: str
) -> None:
    dead = killed_holder(tmp_path)
    live, in_flight = holder(tmp_path)
    log = tmp_path / "worker.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")} | {
        "GRADER_DATABASE_URL": store_url,
        "GRADER_REDIS_URL": redis_db,
        "GRADER_SERVICE__SHARD_QUEUES": "2",
        "GRADER_SERVICE__WORK_DIR": str(tmp_path),
        # no lab there: the grading session fails at once (logged; the worker stays up),
        # instead of starting a cluster this test does not need
        "GRADER_LAB_DIR": str(tmp_path / "no-lab"),
    }
    command = [
        sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--pool=solo",
        "-Q", ",".join(all_queues(2)), "--hostname", f"start-{uuid.uuid4().hex[:6]}@localhost",
        "--without-gossip", "--without-mingle", "--loglevel=INFO",
    ]  # fmt: skip
    try:
        with log.open("wb") as out:
            worker = subprocess.Popen(
                command, env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT
            )
        try:
            deadline = time.monotonic() + WAIT_SECONDS
            while b" ready." not in log.read_bytes():
                assert worker.poll() is None, log.read_text(errors="replace")
                assert time.monotonic() < deadline, "the worker did not get ready"
                time.sleep(0.2)
            assert not folder_of(dead).exists()
            assert (in_flight / "lab.md").is_file()
            folders = {p.name for p in (tmp_path / ROOT).iterdir() if p.is_dir()}
            [own] = folders - {folder_of(in_flight).name}
            assert own.startswith(f"worker-{worker.pid}-")
        finally:
            stop_worker(worker)
    finally:
        live.communicate("")
