"""Whether the docker backend could run here: an engine that answers, and the node image on it
or pulled onto it. Each question has a short timeout, so an `auto` choice never hangs on an
engine or a registry that is not there.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

import docker
import docker.errors

log = logging.getLogger(__name__)

# A pull's progress events, then None when it ended, or what it failed with
_Events = queue.Queue[dict[str, Any] | Exception | None]


class EngineProbe:
    """A context manager holding one client whose questions give up after `seconds`.

    A pull streams progress while a registry sends layers, so it is cut only when nothing has
    arrived for `seconds`: an unreachable registry fails fast, a slow download completes."""

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
        """Pull `image`; False when the engine or its registry fails or falls silent.

        The SDK's pull has no timeout of its own (a silent registry held it 25 s, the engine's
        own limits), so it runs in a thread and its progress is awaited here, `seconds` at a
        time. A pull given up on is left to the engine: if it ends well, the next choice
        finds the image."""
        log.info("pulling %s", image)
        events: _Events = queue.Queue()
        threading.Thread(
            target=_pull_into, args=(self._engine(), image, events), name="image-pull", daemon=True
        ).start()
        while True:
            try:
                event = events.get(timeout=self._seconds)
            except queue.Empty:
                log.info("pulling %s: no answer for %g s, given up", image, self._seconds)
                return False
            if event is None:
                return self.has_image(image)
            if isinstance(event, Exception) or "error" in event:
                failure = event if isinstance(event, Exception) else event["error"]
                log.info("pulling %s failed: %s", image, failure)
                return False

    def _engine(self) -> Any:
        if self._client is None:
            raise RuntimeError("EngineProbe: ask `reachable()` first")
        return self._client


def _pull_into(client: Any, image: str, events: _Events) -> None:
    try:
        for event in client.api.pull(image, stream=True, decode=True):
            events.put(event)
    # Any failure means "not this way"; the SDK lets its transport's errors through (a
    # broken stream is urllib3's, not an OSError nor a DockerException).
    except Exception as exc:
        events.put(exc)
        return
    events.put(None)
