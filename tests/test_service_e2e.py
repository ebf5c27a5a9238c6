"""End to end: GitHub's deliveries, signed, reach the real app; a real Celery worker (a
subprocess, as in production) clones over HTTP from the GitHub stand-in, grades on the
real GradingSession, stores the grade in PostgreSQL and posts the check run, which the
stand-in validates against GitHub's OpenAPI description."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from github_standin import GitHubStandIn
from openapi_check import OPENAPI
from pydantic import SecretStr
from service_fixtures import fresh_redis
from service_support import (
    APP_ID,
    SECRET,
    WorkRepo,
    adapt,
    delivery_headers,
    example,
    rsa_key_pair,
    stop_worker,
)

from grader.app import create_app
from grader.core.lab import default_lab_path
from grader.settings import GitHubApp, Service, Settings
from grader.store.db import connect
from workers.routing import all_queues

pytestmark = [pytest.mark.service, pytest.mark.postgres, pytest.mark.slow]
pytest_plugins = ["service_fixtures"]

REDIS_URL = "redis://127.0.0.1:6379/13"  # a database of its own, emptied before and after
REPO = "classroom-org/tp-distributed-alice"
EXAMPLES = default_lab_path() / "examples"
VISIBILITY_SECONDS = 8
WAIT_SECONDS = 240


@dataclass
class Deployment:
    client: TestClient
    standin: GitHubStandIn
    student: WorkRepo
    store_url: str
    env: dict[str, str]
    tmp: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self) -> subprocess.Popen[bytes]:
        log = self.tmp / f"worker-{len(self.workers)}.log"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers.celery_app",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "-Q",
            ",".join(all_queues(2)),
            "--hostname",
            f"e2e{len(self.workers)}-{uuid.uuid4().hex[:6]}@localhost",
            "--without-gossip",
            "--without-mingle",
        ]
        with log.open("wb") as out:
            worker = subprocess.Popen(
                command, env=self.env, cwd=self.tmp, stdout=out, stderr=subprocess.STDOUT
            )
        self.workers.append(worker)
        wait_for(lambda: b" ready." in log.read_bytes(), f"worker ready (see {log})", worker=worker)
        return worker

    def push(self, sha: str, *, before: str = "0" * 40, delivery: str | None = None) -> Any:
        payload = adapt(
            example("push/with-new-branch.payload.json"),
            REPO,
            ref="refs/heads/main",
            after=sha,
            before=before,
            created=before == "0" * 40,
        )
        return self.post("push", payload, delivery)

    def post(self, event: str, payload: dict[str, Any], delivery: str | None = None) -> Any:
        body = json.dumps(payload).encode()
        return self.client.post(
            "/webhooks/github", content=body, headers=delivery_headers(event, body, delivery)
        )

    def rows(self, sql: str, *args: object) -> list[dict[str, Any]]:
        with connect(self.store_url) as c:
            return c.execute(sql.encode(), args).fetchall()


def wait_for(
    condition: Callable[[], bool], what: str, *, worker: subprocess.Popen[bytes] | None = None
) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if worker is not None and worker.poll() is not None:
            pytest.fail(f"the worker exited ({worker.returncode}) while waiting for {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def redis_db() -> Iterator[str]:
    yield from fresh_redis(REDIS_URL)


@pytest.fixture
def service(tmp_path: Path, store_url: str, redis_db: str) -> Iterator[Deployment]:
    for needed in (OPENAPI, EXAMPLES / "partial-mistakes"):
        if not needed.exists():
            pytest.skip(f"{needed} not found")
    private, public = rsa_key_pair()
    key = tmp_path / "app.pem"
    key.write_text(private, encoding="utf-8")
    assignments = tmp_path / "assignments.toml"
    assignments.write_text(
        '[[assignment]]\norganisation = "classroom-org"\n'
        'repository_prefix = "tp-distributed-"\nlab = "mediai"\n'
        "deadline = 2099-01-01T00:00:00Z\n",
        encoding="utf-8",
    )
    with GitHubStandIn(tmp_path / "hosted", APP_ID, public) as standin:
        settings = Settings(
            database_url=store_url,
            redis_url=redis_db,
            github=GitHubApp(
                app_id=APP_ID,
                private_key_path=key,
                webhook_secret=SecretStr(SECRET),
                api_url=standin.api_url,
                clone_url_base=standin.git_url,
            ),
            service=Service(
                assignments_file=assignments,
                shard_queues=2,
                visibility_timeout_seconds=VISIBILITY_SECONDS,
                work_dir=tmp_path,
            ),
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")} | {
            "GRADER_DATABASE_URL": store_url,
            "GRADER_REDIS_URL": redis_db,
            "GRADER_GITHUB__APP_ID": str(APP_ID),
            "GRADER_GITHUB__PRIVATE_KEY_PATH": str(key),
            "GRADER_GITHUB__API_URL": standin.api_url,
            "GRADER_GITHUB__CLONE_URL_BASE": standin.git_url,
            "GRADER_SERVICE__ASSIGNMENTS_FILE": str(assignments),
            "GRADER_SERVICE__SHARD_QUEUES": "2",
            "GRADER_SERVICE__VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_SECONDS),
            "GRADER_SERVICE__RETRY_BACKOFF_SECONDS": "1",
            "GRADER_SERVICE__WORK_DIR": str(tmp_path),
        }
        student = WorkRepo(tmp_path / "student", standin.bare_repo(REPO))
        with TestClient(create_app(settings)) as client:
            deployment = Deployment(client, standin, student, store_url, env, tmp_path)
            try:
                yield deployment
            finally:
                for worker in deployment.workers:
                    stop_worker(worker)
        assert standin.violations == []


def commit_example(student: WorkRepo, name: str, message: str) -> str:
    for item in student.path.iterdir():
        if item.name != ".git":
            shutil.rmtree(item) if item.is_dir() else item.unlink()
    shutil.copytree(
        EXAMPLES / name,
        student.path,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("README.md"),
    )
    return student.commit({}, message)


def completed_checks(standin: GitHubStandIn) -> list[Any]:
    return [c for c in standin.check_runs.values() if c.fields.get("status") == "completed"]


def test_a_push_becomes_a_check_run_with_the_grade(service: Deployment) -> None:
    commit_example(service.student, "template-untouched", "start")
    sha = commit_example(service.student, "partial-mistakes", "Part 1 done")
    service.student.push()
    service.start_worker()

    answer = service.push(sha, delivery="delivery-1")
    assert answer.status_code == 202 and answer.json()["status"] == "queued"
    again = service.push(sha, delivery="delivery-1")  # GitHub redelivers
    assert again.status_code == 202 and again.json()["status"] == "duplicate"
    assert service.post("ping", example("ping/payload.json")).json()["status"] == "pong"

    wait_for(lambda: len(completed_checks(service.standin)) == 1, "the completed check run")
    [check] = service.standin.check_runs.values()
    assert check.history[0] == "in_progress" and check.history[-1] == "completed"
    assert check.fields["head_sha"] == sha and check.fields["name"] == "SQL lab grade"
    [run] = service.rows("SELECT * FROM grading_runs")
    report = run["report"]
    assert (run["status"], run["commit_sha"], run["attempts"]) == ("completed", sha, 1)
    assert check.fields["output"]["title"].startswith(f"Score {report['score']:g}/100")
    anchored = [f for ex in report["exercises"] for f in ex["findings"] if f.get("line")]
    anchored += [f for f in report["findings"] if f.get("line")]
    assert len(check.annotations) == len(anchored) > 0
    assert sorted(a["start_line"] for a in check.annotations) == sorted(f["line"] for f in anchored)
    assert {a["path"] for a in check.annotations} <= {f["file"] for f in anchored}
    assert [p["status"] for p in service.rows("SELECT status FROM pushes")] == ["graded"]

    # bad signature and oversized bodies change nothing
    body = json.dumps({"zen": "x"}).encode()
    forged = delivery_headers("ping", body) | {"X-Hub-Signature-256": "sha256=" + "f" * 64}
    assert service.client.post("/webhooks/github", content=body, headers=forged).status_code == 401
    huge = b" " * 6_000_000
    assert (
        service.client.post(
            "/webhooks/github", content=huge, headers=delivery_headers("ping", huge)
        ).status_code
        == 413
    )
    assert len(service.rows("SELECT id FROM deliveries")) == 2  # the push and the ping

    # the "Re-run grading" button grades the same row again, in a new check run
    button = adapt(example("check_run/requested_action.payload.json"), REPO)
    button["check_run"].update(id=check.id, head_sha=sha)
    button["requested_action"] = {"identifier": "rerun"}
    assert service.post("check_run", button).json()["status"] == "queued"
    wait_for(lambda: len(completed_checks(service.standin)) == 2, "the re-run's check run")
    [run] = service.rows("SELECT * FROM grading_runs")
    assert run["attempts"] == 2 and run["status"] == "completed"


def test_a_newer_push_supersedes_a_queued_older_one(service: Deployment) -> None:
    first = commit_example(service.student, "template-untouched", "start")
    second = commit_example(service.student, "partial-mistakes", "Part 1 done")
    service.student.push()
    assert service.push(first).json()["status"] == "queued"  # no worker yet: both wait
    assert service.push(second, before=first).json()["status"] == "queued"
    service.start_worker()
    wait_for(lambda: len(completed_checks(service.standin)) == 1, "the newer push's check run")
    wait_for(
        lambda: all(p["status"] != "queued" for p in service.rows("SELECT * FROM pushes")),
        "both pushes settled",
    )
    statuses = {p["after_sha"]: p["status"] for p in service.rows("SELECT * FROM pushes")}
    assert statuses == {first: "superseded", second: "graded"}
    assert [r["commit_sha"] for r in service.rows("SELECT * FROM grading_runs")] == [second]
    assert [c.fields["head_sha"] for c in service.standin.check_runs.values()] == [second]


def test_a_worker_killed_mid_job_leaves_exactly_one_grade(service: Deployment) -> None:
    sha = commit_example(service.student, "partial-mistakes", "Part 1 done")
    service.student.push()
    doomed = service.start_worker()
    assert service.push(sha).json()["status"] == "queued"
    wait_for(
        lambda: (
            [r["status"] for r in service.rows("SELECT status FROM grading_runs")] == ["running"]
        ),
        "the job to start",
        worker=doomed,
    )
    doomed.send_signal(signal.SIGKILL)
    doomed.wait()
    service.start_worker()  # the task comes back once the visibility timeout has passed
    wait_for(lambda: len(completed_checks(service.standin)) == 1, "the check run after the crash")
    [run] = service.rows("SELECT * FROM grading_runs")
    assert run["status"] == "completed" and run["attempts"] == 2
    assert len(service.standin.check_runs) == 1  # the crashed attempt's check run was reused
    assert [p["status"] for p in service.rows("SELECT status FROM pushes")] == ["graded"]
