"""POST /webhooks/github with GitHub's own example deliveries, through the real app factory
and a real store. Only the queue is replaced (by a recorder that checks what it is handed
is already committed); test_service_e2e.py runs the real Celery queue."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from service_support import INSTALLATION_ID, adapt, delivery_headers, example

from grader.app import create_app
from grader.service.job import Job
from grader.settings import GitHubApp, Service, Settings
from grader.store import runs
from grader.store.check_runs import record_check_run
from grader.store.db import connect
from workers.sweeper import sweep

pytestmark = [pytest.mark.service, pytest.mark.postgres]
pytest_plugins = ["service_fixtures"]

REPO = "classroom-org/tp-distributed-alice"
SHA_1 = "1" * 40
SHA_2 = "2" * 40


class RecordingDispatcher:
    """Stands in for the Celery queue; proves each job is sent after its rows committed."""

    def __init__(self, store_url: str) -> None:
        self.store_url = store_url
        self.sent: list[Job] = []
        self.broken = False

    def send(self, job: Job, *, staff: bool = False) -> None:
        if self.broken:
            raise ConnectionError("redis is down")
        table = "pushes" if job.kind == "push" else "grading_runs"
        with connect(self.store_url) as other:  # another session sees committed rows only
            row = other.execute(f"SELECT id FROM {table} WHERE id = %s", (job.id,)).fetchone()
        assert row is not None, f"{job} was sent before its transaction committed"
        self.sent.append(job)


@pytest.fixture
def dispatcher(store_url: str) -> RecordingDispatcher:
    return RecordingDispatcher(store_url)


@pytest.fixture
def client(store_url: str, dispatcher: RecordingDispatcher, tmp_path: Path) -> Iterator[TestClient]:
    assignments = tmp_path / "assignments.toml"
    assignments.write_text(
        '[[assignment]]\norganisation = "classroom-org"\nrepository_prefix = "tp-distributed-"\n'
        'lab = "mediai"\n',
        encoding="utf-8",
    )
    settings = Settings(
        database_url=store_url,
        max_webhook_bytes=200_000,
        github=GitHubApp(webhook_secret=SecretStr("test-webhook-secret")),
        service=Service(assignments_file=assignments),
    )
    with TestClient(create_app(settings, dispatcher)) as c:
        yield c


def post(
    client: TestClient,
    event: str,
    payload: dict[str, Any],
    delivery: str | None = None,
    **headers: str,
) -> Any:
    body = json.dumps(payload).encode()
    sent = delivery_headers(event, body, delivery) | headers
    return client.post("/webhooks/github", content=body, headers=sent)


def push_payload(after: str = SHA_1, repo: str = REPO, **extra: Any) -> dict[str, Any]:
    base = example("push/with-new-branch.payload.json")
    return adapt(base, repo, **({"after": after, "before": "0" * 40} | extra))


def count(store_url: str, table: str) -> int:
    with connect(store_url) as c:
        row = c.execute(f"SELECT count(*) AS n FROM {table}".encode()).fetchone()
    assert row is not None
    return int(row["n"])


def test_push_is_stored_with_the_server_time_and_queued(
    client: TestClient,
    dispatcher: RecordingDispatcher,
    store_url: str,
) -> None:
    before = datetime.now(UTC)
    answer = post(client, "push", push_payload(forced=True, before=SHA_2), delivery="d-1")
    assert answer.status_code == 202 and answer.json()["status"] == "queued"
    with connect(store_url) as c:
        push = c.execute("SELECT * FROM pushes").fetchone()
        repo = c.execute("SELECT * FROM repositories").fetchone()
    assert push is not None and repo is not None
    assert (push["after_sha"], push["before_sha"], push["forced"]) == (SHA_1, SHA_2, True)
    assert push["ref"] == "refs/heads/master" and push["status"] == "queued"
    # GitHub's own push time, from the signed payload (adapt() stamps it now, to the second)
    assert before - timedelta(seconds=1) <= push["pushed_at"] <= datetime.now(UTC)
    assert push["enqueued_at"] is not None
    assert repo["installation_id"] == INSTALLATION_ID and repo["assignment_id"] is not None
    assert dispatcher.sent == [Job("push", push["id"], REPO)]


def test_a_redelivery_is_a_no_op(
    client: TestClient,
    dispatcher: RecordingDispatcher,
    store_url: str,
) -> None:
    first = post(client, "push", push_payload(), delivery="same")
    again = post(client, "push", push_payload(), delivery="same")
    assert first.status_code == again.status_code == 202
    assert again.json()["status"] == "duplicate"
    assert count(store_url, "pushes") == 1 and len(dispatcher.sent) == 1


def test_bad_or_missing_signature_is_401_and_stores_nothing(
    client: TestClient,
    store_url: str,
) -> None:
    body = json.dumps(push_payload()).encode()
    headers = delivery_headers("push", body)
    forged = headers | {"X-Hub-Signature-256": "sha256=" + "0" * 64}
    assert client.post("/webhooks/github", content=body, headers=forged).status_code == 401
    unsigned = {k: v for k, v in headers.items() if k != "X-Hub-Signature-256"}
    assert client.post("/webhooks/github", content=body, headers=unsigned).status_code == 401
    tampered = body.replace(b"master", b"mastex")
    assert client.post("/webhooks/github", content=tampered, headers=headers).status_code == 401
    assert count(store_url, "deliveries") == 0


def test_oversized_body_is_413(client: TestClient, store_url: str) -> None:
    body = b"{" + b" " * 300_000 + b"}"
    answer = client.post("/webhooks/github", content=body, headers=delivery_headers("push", body))
    assert answer.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused while reading
        for _ in range(30):
            yield b" " * 10_000

    streamed = client.post(
        "/webhooks/github", content=chunks(), headers=delivery_headers("push", b"")
    )
    assert streamed.status_code == 413
    assert count(store_url, "deliveries") == 0


def test_tags_and_deletions_are_ignored_with_a_reason(
    client: TestClient,
    dispatcher: RecordingDispatcher,
    store_url: str,
) -> None:
    tag = adapt(example("push/with-installation.payload.json"), REPO)
    answer = post(client, "push", tag)
    assert answer.json() == {"status": "ignored", "reason": "refs/tags/simple-tag is not a branch"}
    deleted = push_payload(after="0" * 40, deleted=True)
    assert "was deleted" in post(client, "push", deleted).json()["reason"]
    assert count(store_url, "pushes") == 0 and dispatcher.sent == []
    with connect(store_url) as c:
        outcomes = [r["outcome"] for r in c.execute("SELECT outcome FROM deliveries ORDER BY id")]
    assert outcomes[0].startswith("ignored: refs/tags/simple-tag")


def test_unknown_repository_is_stored_and_ignored(
    client: TestClient,
    dispatcher: RecordingDispatcher,
    store_url: str,
) -> None:
    answer = post(client, "push", push_payload(repo="someone/homework"))
    assert answer.json()["status"] == "ignored"
    assert "no assignment matches someone/homework" in answer.json()["reason"]
    with connect(store_url) as c:
        push = c.execute("SELECT status, reason FROM pushes").fetchone()
    assert push is not None and push["status"] == "ignored"
    assert dispatcher.sent == []


def test_ping_is_answered(client: TestClient) -> None:
    answer = post(client, "ping", example("ping/with-app_id.payload.json"))
    assert answer.status_code == 200 and answer.json()["status"] == "pong"


def test_installation_is_recorded(client: TestClient, store_url: str) -> None:
    post(client, "installation", example("installation/created.payload.json"))
    post(client, "installation", example("installation/suspend.payload.json"))
    with connect(store_url) as c:
        rows = c.execute(
            "SELECT id, account_login, active FROM installations ORDER BY id"
        ).fetchall()
    assert rows == [
        {"id": 957387, "account_login": "Codertocat", "active": True},
        {"id": 16598467, "account_login": "Codertocat", "active": False},
    ]


def _graded_run(store_url: str, check_run_id: int) -> int:
    with connect(store_url, autocommit=True) as c:
        repo = c.execute("SELECT id FROM repositories").fetchone()
        assert repo is not None
        run = runs.ensure_run(
            c,
            repository_id=repo["id"],
            commit_sha=SHA_1,
            lab_id="mediai",
            lab_version="1",
            push_id=None,
        )
        c.execute(
            "UPDATE grading_runs SET status = 'completed', finished_at = %s WHERE id = %s",
            (datetime.now(UTC) - timedelta(minutes=1), run.id),
        )
        record_check_run(c, run.id, check_run_id, "completed", "failure")
        return run.id


@pytest.mark.parametrize(
    "fixture", ["check_run/rerequested.payload.json", "check_run/requested_action.payload.json"]
)
def test_rerun_buttons_queue_a_regrade(
    client: TestClient,
    dispatcher: RecordingDispatcher,
    store_url: str,
    fixture: str,
) -> None:
    post(client, "push", push_payload())
    payload = adapt(example(fixture), REPO)
    payload["check_run"].update(id=555, head_sha=SHA_1)
    if "requested_action" in payload:
        assert post(client, "check_run", payload).json()["status"] == "ignored"  # "lgtm|26764"
        payload["requested_action"] = {"identifier": "rerun"}
    run_id = _graded_run(store_url, 555)
    answer = post(client, "check_run", payload)
    assert answer.status_code == 202 and answer.json()["status"] == "queued"
    assert dispatcher.sent[-1] == Job("rerun", run_id, REPO)
    with connect(store_url) as c:
        assert runs.get_run(c, run_id).needs_grading


def test_created_check_runs_are_ignored(client: TestClient) -> None:
    payload = adapt(example("check_run/created.payload.json"), REPO)
    assert post(client, "check_run", payload).json()["status"] == "ignored"


def test_queue_down_still_stores_and_answers_202_and_the_sweeper_queues_it(
    client: TestClient,
    dispatcher: RecordingDispatcher,
    store_url: str,
) -> None:
    # GitHub does not redeliver a failed delivery by itself: a 5xx here would lose the push.
    dispatcher.broken = True
    answer = post(client, "push", push_payload(), delivery="d-9")
    assert answer.status_code == 202 and answer.json()["status"] == "queued"
    assert "queued as soon as the queue is back" in answer.json()["reason"]
    assert count(store_url, "pushes") == 1 and dispatcher.sent == []
    dispatcher.broken = False
    with connect(store_url, autocommit=True) as conn:
        swept = sweep(conn, dispatcher, stale_seconds=60)
        assert swept.pushes == 1 and len(dispatcher.sent) == 1
        # handed off now: the next pass leaves it to the queue
        assert sweep(conn, dispatcher, stale_seconds=60).pushes == 0
    assert post(client, "push", push_payload(), delivery="d-9").json()["status"] == "duplicate"
    assert len(dispatcher.sent) == 1  # the redelivery finds it queued already


def test_a_redelivery_also_queues_a_push_the_queue_missed(
    client: TestClient,
    dispatcher: RecordingDispatcher,
    store_url: str,
) -> None:
    dispatcher.broken = True
    assert post(client, "push", push_payload(), delivery="d-10").status_code == 202
    dispatcher.broken = False
    again = post(client, "push", push_payload(), delivery="d-10")
    assert again.json()["status"] == "duplicate" and len(dispatcher.sent) == 1


def test_malformed_payload_is_400(client: TestClient) -> None:
    assert post(client, "push", {"ref": "refs/heads/main"}).status_code == 400
    body = b"not json"
    bad = client.post("/webhooks/github", content=body, headers=delivery_headers("push", body))
    assert bad.status_code == 400


def test_the_push_time_is_githubs_capped_at_receipt(
    client: TestClient,
    store_url: str,
) -> None:
    """A delivery that arrives late (or again) keeps its push's time: an on-time push is
    never made late by the queue; a time in the future is capped at when we received it."""
    pushed = datetime(2026, 12, 1, 22, 58, tzinfo=UTC)
    late = push_payload(after=SHA_1)
    late["repository"]["pushed_at"] = int(pushed.timestamp())
    assert post(client, "push", late, delivery="d-late").status_code == 202
    future = push_payload(after=SHA_2)
    future["repository"]["pushed_at"] = int(time.time()) + 86_400
    received = datetime.now(UTC)
    assert post(client, "push", future, delivery="d-future").status_code == 202
    with connect(store_url) as c:
        times = {
            r["after_sha"]: r["pushed_at"]
            for r in c.execute("SELECT after_sha, pushed_at FROM pushes").fetchall()
        }
    assert times[SHA_1] == pushed
    assert received - timedelta(seconds=1) <= times[SHA_2] <= datetime.now(UTC)
