"""The real Docker engine and the configured node image, for the docker_engine tests: an
engine that cannot be reached, or that lacks the image (no registry to pull from), is not a
place to run them, so they skip with that reason instead of erroring."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import docker
import pytest

from grader.settings import Settings


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    try:
        engine = docker.from_env()
        engine.ping()
    except Exception as exc:  # any failure to reach an engine means: not here
        pytest.skip(f"no Docker engine reachable: {exc}")
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def image(client: Any) -> str:
    name = Settings().docker.image
    try:
        client.images.get(name)
    except docker.errors.ImageNotFound:
        pytest.skip(f"the Docker image {name} is not on the engine (scripts/docker-image)")
    return name
