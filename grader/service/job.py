"""A job as the queue carries it: the one contract between whoever enqueues (the webhook,
the dashboard's re-runs) and the workers that grade. It holds ids only; the worker
reads everything else from the store, so a job sent twice grades nothing twice. A "repost"
posts a graded run's check run again from the store (after a review, an override, a
release); it grades nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

# The check run's "Re-run grading" button: its action id, as GitHub sends it back.
RERUN_ACTION_ID = "rerun"


@dataclass(frozen=True)
class Job:
    kind: Literal["push", "rerun", "repost"]
    id: int  # a push id, or a run id
    repository: str  # full name: the queue is chosen from it


class Dispatcher(Protocol):
    def send(self, job: Job, *, staff: bool = False) -> None: ...
