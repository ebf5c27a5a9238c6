"""The grade of one submission: a versioned JSON document, the one thing every adapter stores.

Schema version 1. Compatible additions keep the version; a removal or a change of
meaning bumps it. `Report.model_json_schema()` is the documented schema
(`grader schema` prints it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from grader.core.findings import Finding, Severity

SCHEMA_VERSION = 1


class Status(StrEnum):
    PASSED = "passed"  # full points
    PARTIAL = "partial"  # some points
    FAILED = "failed"  # answered, no points
    MISSING = "missing"  # nothing answered
    ERROR = "error"  # the grader failed here: retry, never count as zero
    UNGRADED = "ungraded"  # cannot be graded faithfully here (e.g. needs Citus)


class RunStatus(StrEnum):
    COMPLETED = "completed"
    ERROR = "error"  # infrastructure failure: the run must be retried, the score means nothing


class ExerciseReport(BaseModel):
    id: str
    title: str
    part: str
    status: Status
    score: float
    max_score: float
    manual_review: bool = False  # points are provisional until a person reads the answer
    review_points: float = 0.0  # of max_score: the written part a person must confirm
    # pasted output the engine cannot produce: the result's points are withheld until a
    # person clears the exercise
    integrity_hold: bool = False
    findings: list[Finding] = Field(default_factory=list)


class Timings(BaseModel):
    total_ms: float = 0.0
    run_ms: float = 0.0  # executing SQL on the cluster
    per_exercise_ms: dict[str, float] = Field(default_factory=dict)


class Engine(BaseModel):
    backend: str
    postgres_version: str
    citus_version: str | None = None
    # why this backend graded, e.g. "auto: no Docker engine reachable"; empty in reports
    # made before it was recorded
    chosen_because: str = ""


class Report(BaseModel):
    schema_version: int = SCHEMA_VERSION
    lab_id: str
    lab_version: str
    status: RunStatus = RunStatus.COMPLETED
    error: str | None = None  # the cause, when status is error
    score: float = 0.0
    max_score: float = 0.0
    ungraded_points: float = 0.0  # points of exercises that could not be graded here
    review_points: float = 0.0  # written points whose suggested score awaits a person
    penalty: float = 0.0  # deducted by process rules (late days, tampering); already in score
    engine: Engine | None = None
    commit: str | None = None
    exercises: list[ExerciseReport] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)  # not tied to one exercise
    timings: Timings = Field(default_factory=Timings)
    graded_at: datetime = Field(default_factory=lambda: datetime.now(UTC))

    @property
    def all_findings(self) -> list[Finding]:
        out = list(self.findings)
        for ex in self.exercises:
            out.extend(ex.findings)
        return out

    def exercise(self, exercise_id: str) -> ExerciseReport:
        for ex in self.exercises:
            if ex.id == exercise_id:
                return ex
        raise KeyError(exercise_id)

    @property
    def ungraded(self) -> list[str]:
        return [e.id for e in self.exercises if e.status is Status.UNGRADED]

    @property
    def needs_review(self) -> list[str]:
        return [e.id for e in self.exercises if e.manual_review]

    def errors(self) -> list[Finding]:
        return [f for f in self.all_findings if f.severity is Severity.ERROR]
