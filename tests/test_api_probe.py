"""An automated probe of every route the app describes in its own OpenAPI (enabled here by
its setting): schemathesis generates requests from the description, valid and not, and no
answer may be a 5xx. Its pytest plugin reads a private attribute that pytest 9 dropped, so
the test drives schemathesis's strategies through Hypothesis itself.

The probe is signed in twice over, with the API's bearer token and a staff session whose
CSRF token is put in every form, so it reaches past authentication; the app runs under
uvicorn on a store holding one assignment."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import requests
import schemathesis
from dashboard_class import ASSIGNMENT
from dashboard_support import LiveServer, sign_in
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from web_support import API_TOKEN, PROFESSOR, ListQueue, csrf_of, new_oauth, web_settings

from grader.app import create_app
from grader.dashboard.auth import SESSION_COOKIE
from grader.store.assignments import save_assignment
from grader.store.db import connect
from grader.store.migrate import apply_migrations

pytestmark = [pytest.mark.service, pytest.mark.postgres, pytest.mark.slow]

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
EXAMPLES_PER_ROUTE = 12  # about 35 routes: the probe stays well under a minute
# Signing out would end the probe's session: that route gets the probe's own tokens only.
KEEP_SIGNED_IN = ("/dashboard/logout",)


@dataclass(frozen=True)
class Probed:
    url: str
    session: requests.Session
    csrf: str


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Probed]:
    name = f"grader_probe_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL reachable at {ADMIN_URL}: {exc}")
    admin.execute(f'CREATE DATABASE "{name}"'.encode())
    store_url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        with connect(store_url, autocommit=True) as conn:
            apply_migrations(conn)
            save_assignment(conn, ASSIGNMENT)
        with new_oauth() as oauth:
            tmp = tmp_path_factory.mktemp("probe")
            app = create_app(
                web_settings(store_url, oauth, Path(tmp), openapi_json=True), ListQueue()
            )
            with LiveServer(app) as live, httpx.Client(base_url=live.url) as browser:
                assert sign_in(browser, oauth, PROFESSOR).status_code == 303  # type: ignore[arg-type]
                csrf = csrf_of(browser.get("/dashboard"))
                session = requests.Session()
                session.cookies.set(SESSION_COOKIE, browser.cookies[SESSION_COOKIE])
                session.headers["Authorization"] = f"Bearer {API_TOKEN}"
                yield Probed(live.url, session, csrf)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())
        admin.close()


def _probe(operation: APIOperation, probed: Probed) -> None:
    """Examples of one route, valid and not, each sent to the live app."""
    cases = st.one_of(operation.as_strategy(mode) for mode in GenerationMode)

    @given(cases)
    @settings(
        max_examples=EXAMPLES_PER_ROUTE,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,  # the same requests every run: a failure reproduces by running again
        database=None,
    )
    def send(case: Case) -> None:
        body: Any = case.body
        if isinstance(body, dict) and "csrf_token" in body and case.path not in KEEP_SIGNED_IN:
            case.body = body | {"csrf_token": probed.csrf}
        answer = case.call(base_url=probed.url, session=probed.session, allow_redirects=False)
        assert answer.status_code < 500, f"{case.as_curl_command()} answered {answer.status_code}"

    send()


def test_no_generated_request_gets_a_server_error(probed: Probed) -> None:
    described = schemathesis.openapi.from_url(f"{probed.url}/openapi.json")
    operations = [result.ok() for result in described.get_all_operations()]
    paths = {operation.path for operation in operations}
    assert {"/webhooks/github", "/dashboard/logout", "/api/assignments"} <= paths
    for operation in operations:
        _probe(operation, probed)
