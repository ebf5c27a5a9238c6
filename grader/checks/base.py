"""What a check sees and what it answers. Checks are pure: they read the submission,
the engine's trace and the reference trace, and return a score in [0, 1] with findings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from grader.core.findings import Finding, Severity
from grader.core.lab import CheckSpec, Exercise, Lab
from grader.core.trace import EngineInfo, ExerciseRun
from grader.submission.model import ExerciseAnswer


@dataclass(frozen=True)
class VariantRun:
    """One exercise run again, student's SQL and reference alike, on a variant data set."""

    name: str
    description: str
    student: ExerciseRun | None
    reference: ExerciseRun | None


@dataclass(frozen=True)
class CheckContext:
    lab: Lab
    exercise: Exercise
    answer: ExerciseAnswer | None
    template: ExerciseAnswer | None  # the same exercise in the untouched template
    student: ExerciseRun | None
    reference: ExerciseRun | None
    engine: EngineInfo | None
    exercise_file: str
    nodes: dict[str, str] = field(default_factory=dict)  # "host:port" -> role
    variants: tuple[VariantRun, ...] = ()  # this exercise on the lab's variant data sets

    def finding(
        self,
        code: str,
        message: str,
        *,
        severity: Severity = Severity.ERROR,
        line: int | None = None,
        detail: str | None = None,
        file: str | None = None,
    ) -> Finding:
        """A finding anchored in this exercise; without a line, at its heading. `file` names
        the data/*.sql file a statement came from, whose lines are its own."""
        if line is None and self.answer is not None:
            line, file = self.answer.heading_line, None
        return Finding(
            code=code,
            message=message,
            severity=severity,
            exercise=self.exercise.id,
            file=(file or self.exercise_file) if line is not None else None,
            line=line,
            detail=detail,
        )

    @property
    def first_sql_line(self) -> int | None:
        if self.answer is not None and self.answer.sql:
            return self.answer.sql[0].line
        return None

    @property
    def first_sql_file(self) -> str | None:
        """The data/*.sql file the first SQL block was read from, if it was."""
        if self.answer is not None and self.answer.sql:
            return self.answer.sql[0].file or None
        return None


@dataclass(frozen=True)
class CheckResult:
    score: float  # share of the check's weight earned, 0..1
    findings: list[Finding] = field(default_factory=list)
    manual_review: bool = False
    # Check types of the same exercise whose points this result cancels: a result that is
    # right only on the lab's own data earns none of the result points.
    voids: frozenset[str] = frozenset()

    @staticmethod
    def full(*findings: Finding, manual_review: bool = False) -> CheckResult:
        return CheckResult(1.0, list(findings), manual_review)

    @staticmethod
    def none(*findings: Finding) -> CheckResult:
        return CheckResult(0.0, list(findings))


Check = Callable[[CheckContext, CheckSpec], CheckResult]
