"""The parts of GitHub's webhook payloads the service reads, validated.

Only these fields are trusted to exist; everything else in a payload is kept in
the stored delivery but never read.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from grader.core.errors import InvalidInput

ZERO_SHA = "0" * 40


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Account(_Lenient):
    login: str
    type: str = ""


class InstallationRef(_Lenient):
    id: int
    account: Account | None = None


class RepositoryRef(_Lenient):
    full_name: str
    # In push events GitHub's own time of the push, as Unix seconds (ISO text elsewhere).
    pushed_at: int | float | str | None = None


class PushEvent(_Lenient):
    ref: str
    before: str
    after: str
    forced: bool = False
    deleted: bool = False
    repository: RepositoryRef
    installation: InstallationRef | None = None

    @property
    def branch(self) -> str | None:
        """The branch pushed to; None for a tag or any other ref."""
        return self.ref.removeprefix("refs/heads/") if self.ref.startswith("refs/heads/") else None

    def push_time(self, received_at: datetime) -> datetime:
        """When GitHub says the push happened, from the signed payload, so a late or
        redelivered delivery keeps its push's own time; never after we received it, and
        the receipt time when the payload has none."""
        stated = self.repository.pushed_at
        when: datetime | None = None
        if isinstance(stated, int | float) and not isinstance(stated, bool):
            with contextlib.suppress(OverflowError, OSError, ValueError):
                when = datetime.fromtimestamp(stated, UTC)
        elif isinstance(stated, str):
            with contextlib.suppress(ValueError):
                when = datetime.fromisoformat(stated.replace("Z", "+00:00"))
        if when is None or when.tzinfo is None:
            return received_at
        return min(when, received_at)


class RequestedAction(_Lenient):
    identifier: str


class CheckRunRef(_Lenient):
    id: int
    head_sha: str


class CheckRunEvent(_Lenient):
    action: str
    check_run: CheckRunRef
    requested_action: RequestedAction | None = None
    repository: RepositoryRef
    installation: InstallationRef | None = None


class InstallationEvent(_Lenient):
    action: str
    installation: InstallationRef


_Event = TypeVar("_Event", bound=_Lenient)


def parse_event(model: type[_Event], payload: dict[str, Any]) -> _Event:
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise InvalidInput(f"not a {model.__name__} payload: {exc}") from exc
