"""Fixtures of the dashboard tests (load with `pytest_plugins = ["service_fixtures",
"dashboard_fixtures"]`); the class is described in dashboard_class.py."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from dashboard_class import World, build_world
from dashboard_support import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIS_URL,
    Site,
    dashboard_settings,
    fill_store,
)
from fastapi.testclient import TestClient
from github_standin import GitHubStandIn
from oauth_standin import OAuthStandIn
from openapi_check import OPENAPI
from service_fixtures import fresh_redis
from service_support import APP_ID, rsa_key_pair

from grader.app import create_app
from grader.cluster.local.binaries import find_binaries
from grader.core.errors import InfrastructureError
from grader.store.db import Connection


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The graded class, once per session."""
    if not OPENAPI.exists():
        pytest.skip(f"GitHub's OpenAPI description is needed by the stand-in: {OPENAPI}")
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    try:
        find_binaries(None)
    except InfrastructureError as exc:
        pytest.skip(f"no PostgreSQL server binaries to grade the class with: {exc.message}")
    root = tmp_path_factory.mktemp("dashboard-class")
    private, public = rsa_key_pair()
    key_path = root / "app.pem"
    key_path.write_text(private, encoding="utf-8")
    with GitHubStandIn(root / "hosted", APP_ID, public) as standin:
        yield build_world(root, standin, key_path)


@pytest.fixture
def redis_db() -> Iterator[str]:
    yield from fresh_redis(REDIS_URL)


@pytest.fixture
def oauth() -> Iterator[OAuthStandIn]:
    with OAuthStandIn(CLIENT_ID, CLIENT_SECRET) as standin:
        yield standin


@pytest.fixture
def site(
    world: World, conn: Connection, store_url: str, redis_db: str, oauth: OAuthStandIn
) -> Iterator[Site]:
    """The real app on a store holding the graded class; nobody signed in yet."""
    filled = fill_store(conn, world)
    settings = dashboard_settings(world, store_url, redis_db, oauth)
    with TestClient(create_app(settings)) as client:
        yield Site(client, filled, oauth, settings, conn)
