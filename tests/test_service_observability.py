"""What operators see: a /metrics page Prometheus can scrape, and one log line per delivery
with its fields, as JSON when asked. Real app and store; the queue is a recorder."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from service_support import adapt, delivery_headers, example

from grader.app import create_app
from grader.service.job import Job
from grader.settings import GitHubApp, Service, Settings

pytestmark = [pytest.mark.service, pytest.mark.postgres]
pytest_plugins = ["service_fixtures"]

REPO = "classroom-org/tp-distributed-alice"


class Recorder:
    def __init__(self) -> None:
        self.sent: list[Job] = []

    def send(self, job: Job, *, staff: bool = False) -> None:
        self.sent.append(job)


@pytest.fixture
def client(store_url: str, tmp_path: Path) -> Iterator[TestClient]:
    assignments = tmp_path / "assignments.toml"
    assignments.write_text(
        '[[assignment]]\norganisation = "classroom-org"\nrepository_prefix = "tp-distributed-"\n'
        'lab = "mediai"\n',
        encoding="utf-8",
    )
    settings = Settings(
        database_url=store_url,
        log_format="json",
        github=GitHubApp(webhook_secret=SecretStr("test-webhook-secret")),
        service=Service(assignments_file=assignments),
    )
    with TestClient(create_app(settings, Recorder())) as c:
        yield c


def _deliver(client: TestClient, delivery: str) -> None:
    payload = adapt(example("push/with-new-branch.payload.json"), REPO, after="1" * 40)
    body = json.dumps(payload).encode()
    answer = client.post(
        "/webhooks/github", content=body, headers=delivery_headers("push", body, delivery)
    )
    assert answer.status_code == 202


def _value(page: str, sample: str) -> float:
    match = re.search(rf"^{re.escape(sample)} (\S+)$", page, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_metrics_count_deliveries_and_read_the_queue_from_the_store(client: TestClient) -> None:
    taken = 'grader_deliveries_total{event="push",outcome="queued"}'
    before = _value(client.get("/metrics").text, taken)
    _deliver(client, "obs-1")
    page = client.get("/metrics")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/plain")
    assert _value(page.text, taken) == before + 1
    assert _value(page.text, 'grader_pushes{status="queued"}') == 1.0
    assert "grader_delivery_seconds_bucket" in page.text


def test_one_json_log_line_per_delivery_names_it(client: TestClient) -> None:
    handlers = logging.getLogger("grader").handlers
    [handler] = [h for h in handlers if type(h) is logging.StreamHandler]
    stream = io.StringIO()
    handler.setStream(stream)  # the app's own handler and format, read back here
    _deliver(client, "obs-2")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    [line] = [x for x in lines if x.get("delivery") == "obs-2"]
    assert line["event"] == "push" and line["repository"] == REPO
    assert line["outcome"] == "queued" and line["level"] == "INFO"
