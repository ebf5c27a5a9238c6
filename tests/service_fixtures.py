"""Fixtures of the service tests (load with `pytest_plugins = ["service_fixtures"]`): a
throwaway store database on the system PostgreSQL, migrated."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import redis

from grader.store.db import Connection, connect
from grader.store.migrate import apply_migrations

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def _admin() -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL reachable at {ADMIN_URL}: {exc}")


@pytest.fixture
def store_url() -> Iterator[str]:
    """A new empty database on the system PostgreSQL, dropped afterwards."""
    name = f"grader_test_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'.encode())


@pytest.fixture
def conn(store_url: str) -> Iterator[Connection]:
    """A migrated store, autocommit (each store call commits, as in the worker)."""
    with connect(store_url, autocommit=True) as c:
        apply_migrations(c)
        yield c


def fresh_redis(url: str) -> Iterator[str]:
    """A Redis database emptied before and after a test (each module uses its own number, so
    modules never see each other's queues); skips when no Redis answers."""
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {url}: {exc}")
    client.flushdb()
    yield url
    client.flushdb()
