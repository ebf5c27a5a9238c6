"""One queued task per branch: while a branch's task waits in the queue, a newer push joins it
instead of sending another, and the task grades the branch's newest push when it starts.

Real app, real store, real Redis queues (no worker consuming: the tasks stay queued), real
git over HTTP from the GitHub stand-in. The test then plays the stopped worker: it takes
each task off Redis and runs the real grading job on it, with the small stand-in grader of
test_service_job.py in place of the cluster. The last test starts a real Celery worker
after the burst, on the real grading session, as test_service_e2e.py does."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from github_standin import GitHubStandIn
from kombu import Consumer, Queue
from pydantic import SecretStr
from service_fixtures import fresh_redis
from service_support import APP_ID, SECRET, WorkRepo, adapt, delivery_headers, example
from test_service_e2e import REPO as E2E_REPO
from test_service_e2e import Deployment as E2E
from test_service_e2e import commit_example, completed_checks, service, wait_for
from test_service_job import EXERCISE_FILE, StandInGrader, standin, student, tiny_lab

from grader.app import create_app
from grader.settings import GitHubApp, Service, Settings
from grader.store import pushes
from grader.store.db import connect
from workers.celery_app import make_celery
from workers.dispatch import GRADE_PUSH, CeleryDispatcher
from workers.job import GradingJob, Outcome
from workers.routing import all_queues
from workers.sweeper import sweep

pytestmark = [pytest.mark.service, pytest.mark.postgres]
pytest_plugins = ["service_fixtures"]
__all__ = ["service", "standin", "student"]  # fixtures of test_service_e2e.py, _job.py

REDIS_URL = "redis://127.0.0.1:6379/11"  # a database of its own, emptied before and after
REPO = "classroom-org/tp-distributed-alice"
ZERO = "0" * 40
DEADLINE = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
ON_TIME = DEADLINE - timedelta(days=1)


@dataclass
class Deployment:
    client: TestClient
    settings: Settings
    student: WorkRepo

    def push(
        self, sha: str, *, before: str = ZERO, branch: str = "main", at: datetime | None = None
    ) -> Any:
        payload = adapt(
            example("push/with-new-branch.payload.json"),
            REPO,
            ref=f"refs/heads/{branch}",
            after=sha,
            before=before,
            created=before == ZERO,
        )
        if at is not None:
            payload["repository"]["pushed_at"] = int(at.timestamp())
        body = json.dumps(payload).encode()
        answer = self.client.post(
            "/webhooks/github", content=body, headers=delivery_headers("push", body)
        )
        assert answer.status_code == 202 and answer.json()["status"] == "queued", answer.text
        return answer.json()

    def queued_tasks(self, expected: int) -> list[int]:
        """Takes every task off the queues, as a worker would: the push ids they carry. The
        api publishes after its answer, from a thread of its own that a loaded machine can
        hold back: wait (up to a minute) for `expected` tasks, then a second for any more."""
        app = make_celery(self.settings)
        found: list[int] = []
        deadline = time.monotonic() + 60
        with app.connection_for_read() as connection:

            def take(body: Any, message: Any) -> None:
                assert message.headers["task"] == GRADE_PUSH
                found.append(int(json.loads(message.headers["argsrepr"])[0]))
                message.ack()

            queues = [Queue(name) for name in all_queues(2)]
            channel = connection.default_channel
            with Consumer(channel, queues=queues, callbacks=[take], accept=["json"]):
                while True:
                    try:
                        connection.drain_events(timeout=1)
                    except TimeoutError:
                        if len(found) >= expected or time.monotonic() > deadline:
                            break
        return found

    def job(self, grader: StandInGrader) -> GradingJob:
        return GradingJob(self.settings, grader)

    def statuses(self) -> dict[str, str]:
        with connect(self.settings.database_url) as c:
            rows = c.execute("SELECT after_sha, ref, status FROM pushes ORDER BY id").fetchall()
        return {f"{r['ref'][len('refs/heads/') :]}@{r['after_sha']}": r["status"] for r in rows}

    def graded_commits(self) -> list[str]:
        with connect(self.settings.database_url) as c:
            rows = c.execute("SELECT commit_sha FROM grading_runs ORDER BY commit_sha").fetchall()
        return [r["commit_sha"] for r in rows]


@pytest.fixture
def redis_db() -> Iterator[str]:
    yield from fresh_redis(REDIS_URL)


@pytest.fixture
def deployment(
    tmp_path: Path, store_url: str, redis_db: str, standin: GitHubStandIn, student: WorkRepo
) -> Iterator[Deployment]:
    assignments = tmp_path / "assignments.toml"
    assignments.write_text(
        '[[assignment]]\norganisation = "classroom-org"\n'
        f'repository_prefix = "tp-distributed-"\nlab = "mediai"\n'
        f"deadline = {DEADLINE.isoformat()}\n",
        encoding="utf-8",
    )
    settings = Settings(
        database_url=store_url,
        redis_url=redis_db,
        github=GitHubApp(
            app_id=APP_ID,
            private_key_path=tmp_path / "app.pem",
            webhook_secret=SecretStr(SECRET),
            api_url=standin.api_url,
            clone_url_base=standin.git_url,
        ),
        service=Service(assignments_file=assignments, shard_queues=2, work_dir=tmp_path),
    )
    with TestClient(create_app(settings)) as client:  # the real Celery queues
        yield Deployment(client, settings, student)


def commits(student: WorkRepo, *texts: str) -> list[str]:
    return [student.commit({EXERCISE_FILE: f"# Lab\n{text}\n"}, text) for text in texts]


def test_three_pushes_to_a_branch_queue_one_task_that_grades_the_newest(
    deployment: Deployment, student: WorkRepo
) -> None:
    one, two, three = commits(student, "one WRONG", "two WRONG", "three")
    student.push()
    student.git("checkout", "--quiet", "-b", "feature", one)
    [feature] = commits(student, "feature")
    student.git("push", "--quiet", "origin", "HEAD:refs/heads/feature")

    first = deployment.push(one)
    joined = [deployment.push(two, before=one), deployment.push(three, before=two)]
    deployment.push(feature, before=one, branch="feature")  # another branch: a task of its own

    tasks = deployment.queued_tasks(2)
    assert len(tasks) == 2 and first["reason"] == f"push {tasks[0]}"
    assert [a["reason"].split(", ")[1] for a in joined] == [
        f"graded by the queued task of push {tasks[0]}"
    ] * 2
    grader = StandInGrader(tiny_lab())
    results = [deployment.job(grader).grade_push(t, final_attempt=False) for t in tasks]

    assert [r.outcome for r in results] == [Outcome.GRADED, Outcome.GRADED]
    assert [c["commit"] for c in grader.calls] == [three, feature]
    assert deployment.statuses() == {
        f"main@{one}": "superseded",
        f"main@{two}": "superseded",
        f"main@{three}": "graded",
        f"feature@{feature}": "graded",
    }
    assert deployment.graded_commits() == sorted([three, feature])
    # the grade of the newest push sees the whole branch, as the deadline rules need
    assert [p.sha for p in grader.calls[0]["pushes"]] == [one, two, three]  # type: ignore[attr-defined]


def test_a_push_after_the_task_started_gets_a_task_of_its_own(
    deployment: Deployment, student: WorkRepo
) -> None:
    one, two = commits(student, "one", "two")
    student.push()
    deployment.push(one)
    [task] = deployment.queued_tasks(1)
    with connect(deployment.settings.database_url) as c, c.transaction():
        assert pushes.take_branch_task(c, task) == task  # the worker starts it
    deployment.push(two, before=one)
    [second] = deployment.queued_tasks(1)
    assert second != task
    grader = StandInGrader(tiny_lab())
    assert deployment.job(grader).grade_push(second, final_attempt=False).outcome is Outcome.GRADED
    assert [c["commit"] for c in grader.calls] == [two]


def test_a_parent_push_delivered_late_does_not_replace_its_descendant(
    deployment: Deployment, student: WorkRepo
) -> None:
    one, two = commits(student, "one WRONG", "two")
    student.push()
    deployment.push(two, before=one)  # GitHub delivered the second push first
    deployment.push(one)
    [task] = deployment.queued_tasks(1)
    grader = StandInGrader(tiny_lab())
    assert deployment.job(grader).grade_push(task, final_attempt=False).outcome is Outcome.GRADED
    assert [c["commit"] for c in grader.calls] == [two]
    assert deployment.statuses() == {f"main@{two}": "graded", f"main@{one}": "superseded"}


def test_a_late_push_never_joins_the_task_of_an_on_time_one(
    deployment: Deployment, student: WorkRepo
) -> None:
    on_time, late, later = commits(student, "on time", "late", "later")
    student.push()
    deployment.push(on_time, at=ON_TIME)
    deployment.push(late, before=on_time)
    deployment.push(later, before=late)
    tasks = deployment.queued_tasks(2)
    assert len(tasks) == 2
    grader = StandInGrader(tiny_lab())
    for task in tasks:
        assert deployment.job(grader).grade_push(task, final_attempt=False).outcome is (
            Outcome.GRADED
        )
    assert sorted(c["commit"] for c in grader.calls) == sorted([on_time, later])
    assert deployment.statuses()[f"main@{late}"] == "superseded"


def test_a_lost_task_is_sent_again_by_the_sweeper_and_the_head_is_graded_once(
    deployment: Deployment, student: WorkRepo
) -> None:
    one, two = commits(student, "one", "two")
    student.push()
    deployment.push(one)
    deployment.push(two, before=one)
    [task] = deployment.queued_tasks(1)  # taken off Redis and never run: the task is lost
    time.sleep(0.01)
    with connect(deployment.settings.database_url, autocommit=True) as c:
        dispatcher = CeleryDispatcher.from_settings(deployment.settings)
        assert sweep(c, dispatcher, stale_seconds=0).pushes == 1
        assert sweep(c, dispatcher, stale_seconds=60).pushes == 0  # handed off just now
    [again] = deployment.queued_tasks(1)
    grader = StandInGrader(tiny_lab())
    job = deployment.job(grader)
    assert job.grade_push(again, final_attempt=False).outcome is Outcome.GRADED
    # the original task turning up after all grades nothing twice
    assert job.grade_push(task, final_attempt=False).outcome is Outcome.POSTED
    assert [c["commit"] for c in grader.calls] == [two]
    assert deployment.graded_commits() == [two]


def test_a_retried_task_grades_the_push_it_took_and_the_sweeper_waits_for_it(
    deployment: Deployment, student: WorkRepo
) -> None:
    one, two = commits(student, "one", "two")
    student.push()
    deployment.push(one)
    deployment.push(two, before=one)
    [task] = deployment.queued_tasks(1)
    failing = StandInGrader(tiny_lab(), fail_with="the coordinator did not start")
    job = deployment.job(failing)
    assert job.grade_push(task, final_attempt=False).outcome is Outcome.RETRY
    job.hold_push(task, 600)  # what the task does before its retry
    dispatcher = CeleryDispatcher.from_settings(deployment.settings)
    with connect(deployment.settings.database_url, autocommit=True) as c:
        assert sweep(c, dispatcher, stale_seconds=0).pushes == 0
    grader = StandInGrader(tiny_lab())
    assert deployment.job(grader).grade_push(task, final_attempt=False).outcome is Outcome.GRADED
    assert [c["commit"] for c in failing.calls + grader.calls] == [two, two]
    assert deployment.queued_tasks(0) == []


@pytest.mark.slow
def test_a_real_worker_started_after_a_burst_runs_one_task_per_branch(service: E2E) -> None:
    student = service.student
    one = commit_example(student, "template-untouched", "start")
    two = commit_example(student, "partial-mistakes", "part 1")
    three = commit_example(student, "complete", "done")
    student.push()
    student.git("checkout", "--quiet", "-b", "feature", one)
    feature = commit_example(student, "french-crlf", "another try")
    student.git("push", "--quiet", "origin", "HEAD:refs/heads/feature")
    for sha, before in ((one, ZERO), (two, one), (three, two)):
        assert service.push(sha, before=before).json()["status"] == "queued"
    feature_push = adapt(
        example("push/with-new-branch.payload.json"),
        E2E_REPO,
        ref="refs/heads/feature",
        after=feature,
        before=ZERO,
        created=True,
    )
    assert service.post("push", feature_push).json()["status"] == "queued"
    # the sweeper must not re-send anything while the worker starts: only the queued tasks run
    service.env["GRADER_SERVICE__SWEEP_STALE_SECONDS"] = "3600"
    worker = service.start_worker()
    wait_for(lambda: len(completed_checks(service.standin)) == 2, "both check runs", worker=worker)
    wait_for(
        lambda: all(p["status"] != "queued" for p in service.rows("SELECT status FROM pushes")),
        "every push settled",
    )
    statuses = {p["after_sha"]: p["status"] for p in service.rows("SELECT * FROM pushes")}
    assert statuses == {one: "superseded", two: "superseded", three: "graded", feature: "graded"}
    graded = sorted(r["commit_sha"] for r in service.rows("SELECT commit_sha FROM grading_runs"))
    assert graded == sorted([three, feature])
    ran = (service.tmp / "worker-0.log").read_text(errors="replace").count("grade_push[")
    assert ran == 2 * 2, "each task is logged once received and once succeeded"
