"""Feedback as data: every check, reader and limit speaks through `Finding`s.

The terminal, the GitHub check run and the dashboard all render the same
findings, so a message is written once, where the problem is detected.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Severity(StrEnum):
    """How much a finding matters, in GitHub annotation terms."""

    INFO = "info"  # context: nothing wrong (e.g. "marked for manual review")
    WARNING = "warning"  # points may be lost, or a human should look
    ERROR = "error"  # points were lost for this


class Finding(BaseModel):
    """One piece of feedback, anchored to a line of the submission when it can be."""

    model_config = ConfigDict(frozen=True)

    code: str  # stable identifier, e.g. "result.missing-rows", for grouping common errors
    message: str
    severity: Severity = Severity.ERROR
    exercise: str | None = None
    file: str | None = None  # path relative to the submission root, POSIX separators
    line: int | None = None  # 1-based
    end_line: int | None = None
    detail: str | None = None  # longer text: a side-by-side table, the engine's message
    staff_only: bool = False  # names another student (class similarity): never shown to students
