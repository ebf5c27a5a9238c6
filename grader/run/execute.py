"""The statement runner: a job's planned SQL executed like psql running a script.

One session as the lab role on the coordinator, autocommit on. BEGIN, COMMIT, ROLLBACK and
PREPARE TRANSACTION are sent as the statements they are; an error does not stop the
script, and inside a failed transaction block the next statements fail as psql shows them.
After each exercise an open or failed block is rolled back, so the next exercise and the
rubric's probes start from a clean transaction state.

Every limit runs on the grader's clock, from outside the session (see run_watchdog), and
is named with its value where it fires.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from grader.cluster.base import JobDatabase
from grader.core.lab import Probe
from grader.core.trace import ExerciseRun, Outcome, StatementOutcome
from grader.run import object_names
from grader.run.prerequisites import Prerequisite, ReferenceObjects, broken
from grader.run.session import Session
from grader.run.watchdog import GRACE_SECONDS
from grader.settings import Limits


@dataclass(frozen=True)
class PlannedStatement:
    sql: str
    line: int | None  # line in the exercise file where the statement starts
    kind: str  # "select", "create_view", "meta", ...
    meta: bool  # a psql meta-command (\d, \x): never sent to the engine
    file: str | None = None  # the data/*.sql file it was read from; None: the exercise file


@dataclass(frozen=True)
class PlannedExercise:
    id: str
    statements: tuple[PlannedStatement, ...]
    probes: tuple[Probe, ...]
    prerequisites: tuple[Prerequisite, ...] = ()  # earlier exercises whose objects it reads
    # The reference's probes on the same data set: a student's object under a name nothing
    # matches is found by holding the same rows.
    expected_probes: Mapping[str, StatementOutcome] = field(default_factory=dict)


@dataclass(frozen=True)
class _Labels:
    statement: str
    exercise: str
    job: str
    count: str

    @classmethod
    def of(cls, limits: Limits) -> _Labels:
        return cls(
            statement=f"statement time limit ({limits.statement_seconds:g} s)",
            exercise=f"exercise time limit ({limits.exercise_seconds:g} s)",
            job=f"job time limit ({limits.job_seconds:g} s)",
            count=f"statement count limit ({limits.max_statements} per exercise)",
        )


def execute(
    job: JobDatabase,
    exercises: Sequence[PlannedExercise],
    limits: Limits,
    *,
    on_progress: Callable[[str], None] | None = None,
    synonyms: Mapping[str, str] | None = None,
) -> tuple[dict[str, ExerciseRun], str | None]:
    """Run every exercise in order; the runs by exercise id, and the job limit if it fired.

    Raises InfrastructureError when the engine itself is lost mid-job.
    """
    labels = _Labels.of(limits)
    job_deadline = time.monotonic() + limits.job_seconds
    server_timeout_ms = math.ceil((limits.statement_seconds + 3 * GRACE_SECONDS) * 1000)
    runs: dict[str, ExerciseRun] = {}
    job_limit: str | None = None
    session = Session(
        job.student_dsn,
        job.admin_dsn,
        rows_kept=limits.max_rows_kept,
        server_timeout_ms=server_timeout_ms,
        resource_labels=resource_labels(limits),
    )
    try:
        # The catalogue before any student SQL: what the student made is what is new after.
        finder = object_names.ObjectFinder(session, synonyms or {})
        for exercise in exercises:
            if job_limit is None and time.monotonic() >= job_deadline:
                job_limit = labels.job
            if job_limit is not None:
                runs[exercise.id] = _not_run(exercise, job_limit)
                continue
            if on_progress is not None:
                on_progress(f"running exercise {exercise.id}")
            runner = _Exercise(session, limits, labels, job_deadline, finder)
            run = runner.run(exercise)
            missing = broken(exercise.prerequisites, runs)
            if missing and run.limit is None:
                run = runner.rerun_on_reference(exercise, run, missing, runs, job.admin_dsn)
            runs[exercise.id] = run
            if run.limit == labels.job:
                job_limit = labels.job
    finally:
        session.close()
    return runs, job_limit


class _Exercise:
    def __init__(
        self,
        session: Session,
        limits: Limits,
        labels: _Labels,
        job_deadline: float,
        finder: object_names.ObjectFinder,
    ):
        self._session = session
        self._limits = limits
        self._labels = labels
        self._job_deadline = job_deadline
        self._finder = finder

    def rerun_on_reference(
        self,
        exercise: PlannedExercise,
        first: ExerciseRun,
        missing: Sequence[str],
        runs: Mapping[str, ExerciseRun],
        admin_dsn: str,
    ) -> ExerciseRun:
        """The exercise again, on the reference's objects of the earlier exercises in
        `missing`, with the first run's statements kept for the pasted output; the first
        run as it was when those objects cannot be built."""
        wanted = [p for p in exercise.prerequisites if p.exercise in missing]
        names: dict[str, str] = {}
        for prerequisite in wanted:
            earlier = runs.get(prerequisite.exercise)
            names.update(earlier.renamed if earlier else {})
        objects = ReferenceObjects(self._session, admin_dsn)
        if not objects.build(wanted, names):
            return first
        try:
            graded = self.run(exercise)
        finally:
            objects.restore()
        graded.own_statements = first.statements
        graded.on_reference = list(missing)
        graded.elapsed_ms += first.elapsed_ms
        return graded

    def run(self, exercise: PlannedExercise) -> ExerciseRun:
        started = time.monotonic()
        exercise_deadline = started + self._limits.exercise_seconds
        run = ExerciseRun(exercise=exercise.id)
        sent = 0
        for planned in exercise.statements:
            if run.limit is not None:
                run.statements.append(_skipped(planned, run.limit))
            elif planned.meta:
                run.statements.append(_skipped(planned, None))
            elif sent >= self._limits.max_statements:
                run.limit = self._labels.count
                run.statements.append(_skipped(planned, run.limit))
            else:
                sent += 1
                outcome = self._statement(planned, exercise_deadline)
                run.statements.append(outcome)
                if outcome.limit in (self._labels.exercise, self._labels.job):
                    run.limit = outcome.limit
        run.rolled_back_open_transaction = self._session.rollback_open_transaction()
        if exercise.probes and run.limit != self._labels.job:
            run.renamed = self._finder.resolve(exercise.probes, exercise.expected_probes)
        for probe in exercise.probes:
            if run.limit == self._labels.job:
                run.probes[probe.name] = _skipped(_probe(probe), run.limit)
                continue
            outcome = self._statement(_probe(probe, run.renamed), math.inf)
            run.probes[probe.name] = outcome
            if outcome.limit == self._labels.job:
                run.limit = self._labels.job
        run.elapsed_ms = (time.monotonic() - started) * 1000
        return run

    def _statement(self, planned: PlannedStatement, exercise_deadline: float) -> StatementOutcome:
        """Run under the earliest of the three clocks; one already run out skips it."""
        now = time.monotonic()
        deadline, label = min(
            (now + self._limits.statement_seconds, self._labels.statement),
            (exercise_deadline, self._labels.exercise),
            (self._job_deadline, self._labels.job),
        )
        if deadline <= now:
            return _skipped(planned, label)
        outcome = self._session.run(planned.sql, deadline=deadline, label=label)
        outcome.line, outcome.kind, outcome.file = planned.line, planned.kind, planned.file
        return outcome


def resource_labels(limits: Limits) -> dict[str, str]:
    """What the engine's out-of-memory and configuration-limit errors are, named."""
    return {
        "53200": f"node memory limit ({limits.node_memory_mb} MB per server process)",
        "53400": f"temp file limit ({limits.temp_file_limit})",
    }


def _probe(probe: Probe, renamed: Mapping[str, str] | None = None) -> PlannedStatement:
    sql = object_names.rename_relations(probe.sql, renamed or {})
    return PlannedStatement(sql=sql, line=None, kind="probe", meta=False)


def _skipped(planned: PlannedStatement, limit: str | None) -> StatementOutcome:
    return StatementOutcome(
        sql=planned.sql,
        line=planned.line,
        file=planned.file,
        kind=planned.kind,
        outcome=Outcome.SKIPPED,
        limit=limit,
    )


def _not_run(exercise: PlannedExercise, limit: str) -> ExerciseRun:
    return ExerciseRun(
        exercise=exercise.id,
        statements=[_skipped(s, limit) for s in exercise.statements],
        probes={p.name: _skipped(_probe(p), limit) for p in exercise.probes},
        limit=limit,
    )
