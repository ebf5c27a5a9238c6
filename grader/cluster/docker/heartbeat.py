"""Workers say they are alive, in Redis, so the reaper can tell an orphaned cluster from a busy one.

Each beat sets a key that expires after `ttl_seconds`: a worker that stops beating for that long
is gone, whichever machine it ran on, and the reaper may remove its clusters.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

KEY_PREFIX = "sql-lab-grader:cluster-owner:"

log = logging.getLogger(__name__)


def owner_id() -> str:
    """This process, as written in the owner label of the clusters it starts."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Heartbeats:
    """Beats and the set of live owners, over a redis-py client."""

    def __init__(self, redis_client: Any, ttl_seconds: float) -> None:
        self._redis = redis_client
        self._ttl_ms = max(1, int(ttl_seconds * 1000))

    def beat(self, owner: str) -> None:
        self._redis.set(KEY_PREFIX + owner, "1", px=self._ttl_ms)

    def forget(self, owner: str) -> None:
        """A worker that stops cleanly has removed its clusters: no need to wait for expiry."""
        self._redis.delete(KEY_PREFIX + owner)

    def live_owners(self) -> set[str]:
        owners = set()
        for key in self._redis.scan_iter(match=KEY_PREFIX + "*"):
            text = key.decode() if isinstance(key, bytes) else str(key)
            owners.add(text.removeprefix(KEY_PREFIX))
        return owners


class HeartbeatThread:
    """Beats for one owner every `interval_seconds` until stopped; a context manager. Stop it
    after closing the owner's clusters: stopping declares them orphaned."""

    def __init__(self, heartbeats: Heartbeats, owner: str, interval_seconds: float) -> None:
        self._heartbeats = heartbeats
        self._owner = owner
        self._interval = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cluster-heartbeat", daemon=True)

    def start(self) -> None:
        self._heartbeats.beat(self._owner)  # before any cluster exists, so none looks orphaned
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._heartbeats.forget(self._owner)

    def __enter__(self) -> HeartbeatThread:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._heartbeats.beat(self._owner)
            except Exception as exc:  # a Redis blip must not stop the beats; the next one retries
                log.warning("cluster heartbeat failed: %s", exc)
