"""Which queue a task goes to, and at which priority (see celery_app for the design)."""

from __future__ import annotations

import zlib

STAFF_QUEUE = "staff"
# On Redis the lowest number is served first, across every queue a worker consumes.
STAFF_PRIORITY = 0
# Posting a check run again after a review takes one GitHub request: behind staff re-runs,
# ahead of the grading backlog, so a student sees a TA's decision within seconds.
REPOST_PRIORITY = 3
GRADING_PRIORITY = 6


def shard_queue(full_name: str, shards: int) -> str:
    """The repository's own queue among `shards`; stable across processes (not hash())."""
    return f"grading.{zlib.crc32(full_name.lower().encode()) % max(shards, 1)}"


def all_queues(shards: int) -> list[str]:
    return [STAFF_QUEUE, *(f"grading.{i}" for i in range(max(shards, 1)))]
