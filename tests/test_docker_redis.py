"""The docker backend's heartbeats need Redis: without it, a message that says which setting to
fix, not a traceback of the Redis client."""

from __future__ import annotations

import socket

import pytest

from grader.cluster.docker.runtime import DockerGrading
from grader.core.errors import InfrastructureError
from grader.settings import Settings


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_redis_names_the_setting_to_fix() -> None:
    settings = Settings(redis_url=f"redis://127.0.0.1:{closed_port()}/0")
    grading = DockerGrading(settings, client=object(), fill=False)
    with pytest.raises(InfrastructureError, match="GRADER_REDIS_URL") as raised:
        grading.__enter__()
    assert "start that Redis" in str(raised.value)
