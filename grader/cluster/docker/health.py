"""Waiting for a cluster's containers to pass their health check, or saying why they did not."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import docker.errors

from grader.core.errors import InfrastructureError

_POLL_SECONDS = 0.5


def wait_healthy(containers: Mapping[str, Any], deadline: float, timeout_seconds: float) -> None:
    """Return once every container (role -> docker SDK Container) reports healthy. A container
    that exits or turns unhealthy fails at once, with the end of its log; the rest wait until
    `deadline` (time.monotonic)."""
    pending = dict(containers)
    while pending:
        for role, container in list(pending.items()):
            container.reload()
            state = container.attrs.get("State") or {}
            health = (state.get("Health") or {}).get("Status")
            if health == "healthy":
                del pending[role]
            elif health == "unhealthy" or state.get("Status") in ("exited", "dead"):
                raise InfrastructureError(
                    f"{role} node did not start ({state.get('Status')}, health {health}); "
                    f"its last log lines:\n{log_tail(container)}"
                )
        if not pending:
            return
        if time.monotonic() > deadline:
            raise InfrastructureError(
                f"nodes {sorted(pending)} not healthy after {timeout_seconds:g} s"
            )
        time.sleep(_POLL_SECONDS)


def log_tail(container: Any, lines: int = 20) -> str:
    try:
        return bytes(container.logs(tail=lines)).decode("utf-8", errors="replace")
    except docker.errors.DockerException as exc:
        return f"(logs unavailable: {exc})"
