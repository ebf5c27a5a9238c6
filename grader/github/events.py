"""The parts of GitHub's webhook payloads the service reads, validated.

Only these fields are trusted to exist; everything else in a payload is kept in
the stored delivery but never read.
"""

from __future__ import annotations

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
