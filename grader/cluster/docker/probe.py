"""Whether the docker backend could run here: an engine that answers, and the node image on it
or pulled onto it. Each question has a short timeout, so an `auto` choice never hangs on an
engine or a registry that is not there.
"""

from __future__ import annotations

import logging
from typing import Any

import docker
import docker.errors

log = logging.getLogger(__name__)


class EngineProbe:
    """A context manager holding one client whose every socket read gives up after `seconds`.

    A pull streams progress while a registry sends layers, so the timeout cuts a pull only
    when nothing has arrived for `seconds`: an unreachable registry fails fast, a slow
    download still completes."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._client: Any | None = None

    def __enter__(self) -> EngineProbe:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def reachable(self) -> bool:
        try:
            client = docker.from_env(timeout=self._seconds)
            client.ping()
        except (docker.errors.DockerException, OSError) as exc:
            log.info("no Docker engine reachable: %s", exc)
            return False
        self._client = client
        return True

    def has_image(self, image: str) -> bool:
        try:
            self._engine().images.get(image)
        except docker.errors.ImageNotFound:
            return False
        except (docker.errors.DockerException, OSError) as exc:
            log.info("the Docker engine did not say whether it has %s: %s", image, exc)
            return False
        return True

    def pull(self, image: str) -> bool:
        """Pull `image`; False when the engine or its registry fails or falls silent."""
        log.info("pulling %s", image)
        try:
            for event in self._engine().api.pull(image, stream=True, decode=True):
                if "error" in event:
                    log.info("pulling %s failed: %s", image, event["error"])
                    return False
        # Any failure means "not this way"; the SDK lets its transport's errors through (a
        # read timeout mid-stream is urllib3's, not an OSError nor a DockerException).
        except Exception as exc:
            log.info("pulling %s failed: %s", image, exc)
            return False
        return self.has_image(image)

    def _engine(self) -> Any:
        if self._client is None:
            raise RuntimeError("EngineProbe: ask `reachable()` first")
        return self._client
