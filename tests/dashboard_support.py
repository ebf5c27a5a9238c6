"""Helpers of the dashboard tests: a store filled with the graded class of dashboard_class.py,
the app's settings with GitHub sign-in pointed at the OAuth stand-in, the sign-in flow as a
browser runs it, the app served on 127.0.0.1 for Chromium, and a real Celery worker.
The fixtures are in dashboard_fixtures.py."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from dashboard_class import ASSIGNMENT, World
from fastapi import FastAPI
from fastapi.testclient import TestClient
from oauth_standin import OAuthStandIn
from pydantic import SecretStr
from service_support import APP_ID, INSTALLATION_ID, SECRET

from grader.settings import Dashboard, GitHubApp, Service, Settings
from grader.store import pushes, runs
from grader.store.assignments import save_assignment
from grader.store.db import Connection
from grader.store.deliveries import record_delivery
from grader.store.repositories import save_repository
from workers.routing import all_queues

PROFESSOR = "prof-ada"
CLIENT_ID, CLIENT_SECRET = "Iv1.dashboardtest", "dashboard-client-secret"
API_TOKEN = "dashboard-api-token-for-tests"
REDIS_URL = "redis://127.0.0.1:6379/12"  # a database of its own, emptied before and after


@dataclass(frozen=True)
class Filled:
    assignment_id: int
    repository_ids: dict[str, int]  # login -> id
    run_ids: dict[str, int]  # login -> id of the current run


def fill_store(conn: Connection, world: World) -> Filled:
    assignment_id = save_assignment(conn, ASSIGNMENT)
    repository_ids: dict[str, int] = {}
    run_ids: dict[str, int] = {}
    for student in world.students:
        repo = save_repository(
            conn, student.full_name, installation_id=INSTALLATION_ID, assignment_id=assignment_id
        )
        repository_ids[student.login] = repo.id
        for i, spec in enumerate(student.pushes):
            delivery = f"{student.login}-{i}"
            payload = {"ref": "refs/heads/main", "after": spec.sha, "before": spec.before}
            record_delivery(conn, delivery, "push", None, spec.pushed_at, payload)
            push_id = pushes.insert_push(
                conn,
                repository_id=repo.id,
                ref="refs/heads/main",
                after_sha=spec.sha,
                before_sha=spec.before,
                forced=False,
                pushed_at=spec.pushed_at,
                delivery_id=delivery,
                status=spec.status,
            )
            if spec.status == pushes.QUEUED:
                # its task waits in a queue, so a worker's sweeper leaves it be for a while
                pushes.hold_hand_off(conn, push_id, 3600)
            if spec.report is None:
                continue
            run = runs.ensure_run(
                conn,
                repository_id=repo.id,
                commit_sha=spec.sha,
                lab_id=spec.report.lab_id,
                lab_version=spec.report.lab_version,
                push_id=push_id,
            )
            runs.start_attempt(conn, run.id)
            runs.finish_run(conn, run.id, spec.report)
            run_ids[student.login] = run.id
    return Filled(assignment_id, repository_ids, run_ids)


def dashboard_settings(
    world: World, store_url: str, redis_url: str, oauth: OAuthStandIn, **dashboard: object
) -> Settings:
    config = {
        "oauth_client_id": CLIENT_ID,
        "oauth_client_secret": SecretStr(CLIENT_SECRET),
        "session_secret": SecretStr("a session secret for the dashboard tests"),
        "staff_logins": [PROFESSOR, "ta-grace"],
        "api_token": SecretStr(API_TOKEN),
        "github_url": oauth.url,
        "github_api_url": oauth.api_url,
    } | dashboard
    return Settings(
        database_url=store_url,
        redis_url=redis_url,
        github=GitHubApp(
            app_id=APP_ID,
            private_key_path=world.key_path,
            webhook_secret=SecretStr(SECRET),
            api_url=world.standin.api_url,
            clone_url_base=world.standin.git_url,
        ),
        dashboard=Dashboard.model_validate(config),
        service=Service(shard_queues=2, work_dir=world.root),
    )


@dataclass
class Site:
    """The app and its store, as one test sees them."""

    client: TestClient
    filled: Filled
    oauth: OAuthStandIn
    settings: Settings
    conn: Connection  # the store, autocommit


def sign_in(client: TestClient, oauth: OAuthStandIn, login: str | None) -> httpx.Response:
    """The OAuth flow as a browser runs it: our app, GitHub's page (the stand-in), back."""
    oauth.signing_in = login
    start = client.get("/dashboard/login", params={"next": "/dashboard"}, follow_redirects=False)
    assert start.status_code == 303, start.text
    at_github = httpx.get(start.headers["location"], follow_redirects=False)
    assert at_github.status_code == 302
    return client.get(at_github.headers["location"], follow_redirects=False)


class LiveServer:
    """The app served by uvicorn on 127.0.0.1 in a thread, for the browser."""

    def __init__(self, app: FastAPI) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> LiveServer:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the app did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._socket.close()


def worker_env(world: World, store_url: str, redis_url: str, work_dir: Path) -> dict[str, str]:
    """The environment of a real Celery worker grading against the stand-in GitHub."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")} | {
        "GRADER_DATABASE_URL": store_url,
        "GRADER_REDIS_URL": redis_url,
        "GRADER_LOCAL__CITUS": "off",
        "GRADER_GITHUB__APP_ID": str(APP_ID),
        "GRADER_GITHUB__PRIVATE_KEY_PATH": str(world.key_path),
        "GRADER_GITHUB__API_URL": world.standin.api_url,
        "GRADER_GITHUB__CLONE_URL_BASE": world.standin.git_url,
        "GRADER_SERVICE__SHARD_QUEUES": "2",
        "GRADER_SERVICE__WORK_DIR": str(work_dir),
    }


def start_worker(env: dict[str, str], work_dir: Path) -> subprocess.Popen[bytes]:
    """A worker subprocess on every queue, as production runs it; its log is worker.log."""
    command = [
        sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--pool=solo",
        "--loglevel=INFO", "-Q", ",".join(all_queues(2)),
        "--hostname", f"dash-{uuid.uuid4().hex[:6]}@localhost", "--without-gossip",
        "--without-mingle",
    ]  # fmt: skip
    with (work_dir / "worker.log").open("wb") as out:
        return subprocess.Popen(
            command, env=env, cwd=work_dir, stdout=out, stderr=subprocess.STDOUT
        )
