"""The statement runner: a job's planned SQL executed like psql running a script.

One session as the lab role on the coordinator, autocommit on. BEGIN, COMMIT, ROLLBACK and
PREPARE TRANSACTION are sent as the statements they are; an error does not stop the
script, and inside a failed transaction block the next statements fail as psql shows them.
After each exercise an open or failed block is rolled back, so the next exercise and the
rubric's probes start from a clean transaction state.

Every limit runs on the grader's clock, from outside the session (see run_watchdog), and
is named with its value where it fires.

A node's server process killed for memory (the container's limit, the machine's
out-of-memory killer) makes the node restart every session, the statement's included. That
is the student's statement at a limit, not a lost engine: the exercise ends with the
backend's node memory limit, and the exercises after it run on a fresh copy of the lab,
where objects of earlier exercises they read come from the reference (as for a broken
prerequisite).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import psycopg

from grader.cluster.base import Cluster, JobDatabase, MemoryWatch
from grader.core.errors import InfrastructureError
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


# How long a node killed for memory may take to be seen as such and to take sessions again.
_KILL_SEEN_SECONDS = 10.0
_RECOVERY_SECONDS = 60.0
_POLL_SECONDS = 0.1
# A statement whose error says a connection went away may have lost a worker that was killed:
# the worker's postmaster reports the kill a moment after the coordinator saw the error.
_LOST_CONNECTION = ("server closed the connection", "crash of another server process")


@dataclass(frozen=True)
class NodeRecovery:
    """What the runner needs to go on after a node was killed for memory: the backend's watch,
    and a fresh copy of the lab (made, and dropped with the job's others, by the caller)."""

    watch: MemoryWatch
    fresh_copy: Callable[[], JobDatabase]

    @classmethod
    def of(cls, cluster: Cluster, fresh_copy: Callable[[], JobDatabase]) -> NodeRecovery | None:
        watch = cluster.memory_watch()
        return None if watch is None else cls(watch, fresh_copy)


class _Kills:
    """The node kills seen since a copy was opened."""

    def __init__(self, watch: MemoryWatch) -> None:
        self.watch = watch
        self._seen = watch.kills()

    def since_opened(self, wait_seconds: float) -> bool:
        deadline = time.monotonic() + wait_seconds
        while self.watch.kills() <= self._seen:
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_SECONDS)
        return True


class _Copy:
    """One copy of the lab with its session, the catalogue before any student SQL, and the
    node kills seen when it was opened."""

    def __init__(
        self,
        job: JobDatabase,
        limits: Limits,
        synonyms: Mapping[str, str],
        recovery: NodeRecovery | None,
    ) -> None:
        self.job = job
        labels = resource_labels(limits)
        if recovery is not None:
            labels["53200"] = recovery.watch.statement_limit
        self.session = Session(
            job.student_dsn,
            job.admin_dsn,
            rows_kept=limits.max_rows_kept,
            server_timeout_ms=math.ceil((limits.statement_seconds + 3 * GRACE_SECONDS) * 1000),
            resource_labels=labels,
        )
        try:
            self.finder = object_names.ObjectFinder(self.session, synonyms)
            self.kills = _Kills(recovery.watch) if recovery is not None else None
        except BaseException:
            self.session.close()
            raise


def _fresh_copy(
    limits: Limits, synonyms: Mapping[str, str], recovery: NodeRecovery, cause: str
) -> _Copy:
    """A new copy, tried again while a killed worker may still be recovering; if none can be
    had, the error names the kill first, so ending the job never hides why it ended."""
    deadline = time.monotonic() + _RECOVERY_SECONDS
    while True:
        try:
            return _Copy(recovery.fresh_copy(), limits, synonyms, recovery)
        except InfrastructureError as exc:
            if time.monotonic() >= deadline:
                raise InfrastructureError(
                    f"{cause}; then no fresh copy of the lab could be made: {exc.message}"
                ) from exc
            time.sleep(0.5)


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
    recovery: NodeRecovery | None = None,
) -> tuple[dict[str, ExerciseRun], str | None]:
    """Run every exercise in order; the runs by exercise id, and the job limit if it fired.

    With `recovery`, a node killed for memory ends its exercise at the node memory limit and
    the rest run on a fresh copy. Raises InfrastructureError when the engine itself is lost
    mid-job.
    """
    labels = _Labels.of(limits)
    job_deadline = time.monotonic() + limits.job_seconds
    runs: dict[str, ExerciseRun] = {}
    on_copy: dict[str, ExerciseRun] = {}  # the runs whose objects are in the current copy
    job_limit: str | None = None
    # The catalogue before any student SQL: what the student made is what is new after.
    copy = _Copy(job, limits, synonyms or {}, recovery)
    killed: str | None = None  # a node was killed for memory: the next exercise needs a copy
    try:
        for exercise in exercises:
            if job_limit is None and time.monotonic() >= job_deadline:
                job_limit = labels.job
            if job_limit is not None:
                runs[exercise.id] = _not_run(exercise, job_limit)
                continue
            if killed is not None and recovery is not None:
                _wait_until_serving(copy.job.admin_dsn, killed)
                copy = _fresh_copy(limits, synonyms or {}, recovery, killed)
                killed, on_copy = None, {}
            if on_progress is not None:
                on_progress(f"running exercise {exercise.id}")
            runner = _Exercise(copy, limits, labels, job_deadline)
            run = runner.run(exercise)
            missing = broken(exercise.prerequisites, on_copy)
            if missing and run.limit is None:
                run = runner.rerun_on_reference(exercise, run, missing, runs, copy.job.admin_dsn)
            runs[exercise.id] = run
            on_copy[exercise.id] = run
            if run.limit == labels.job:
                job_limit = labels.job
            if recovery is not None and run.limit == recovery.watch.node_limit:
                copy.session.close()
                killed = f"exercise {exercise.id} stopped by the {run.limit}"
    finally:
        copy.session.close()
    if killed is not None:  # the job's copies are dropped next, on a node that must serve again
        _wait_until_serving(copy.job.admin_dsn, killed)
    return runs, job_limit


def _wait_until_serving(admin_dsn: str, cause: str) -> None:
    deadline = time.monotonic() + _RECOVERY_SECONDS
    while True:
        try:
            psycopg.connect(admin_dsn, connect_timeout=5).close()
            return
        except psycopg.OperationalError as exc:
            if time.monotonic() >= deadline:
                raise InfrastructureError(
                    f"{cause}; then the node did not take sessions again: {exc}"
                ) from exc
            time.sleep(_POLL_SECONDS)


class _Exercise:
    def __init__(self, copy: _Copy, limits: Limits, labels: _Labels, job_deadline: float):
        self._session = copy.session
        self._kills = copy.kills
        self._limits = limits
        self._labels = labels
        self._job_deadline = job_deadline
        self._finder = copy.finder
        self._node_limit = copy.kills.watch.node_limit if copy.kills else None
        # Limits after which nothing more runs in this exercise, probes included.
        self._final = {labels.job} | ({self._node_limit} if self._node_limit else set())

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
        graded: ExerciseRun | None = None
        try:
            graded = self.run(exercise)
        finally:
            # A session killed for memory is gone, and what it held with it.
            if graded is None or self._node_limit is None or graded.limit != self._node_limit:
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
                if outcome.limit in (self._labels.exercise, *self._final):
                    run.limit = outcome.limit
        if run.limit is not None and run.limit == self._node_limit:
            # The session and what it held are gone: nothing to roll back, nothing to probe.
            run.probes = {p.name: _skipped(_probe(p), run.limit) for p in exercise.probes}
            run.elapsed_ms = (time.monotonic() - started) * 1000
            return run
        run.rolled_back_open_transaction = self._session.rollback_open_transaction()
        if exercise.probes and run.limit != self._labels.job:
            run.renamed = self._finder.resolve(exercise.probes, exercise.expected_probes)
        for probe in exercise.probes:
            if run.limit in self._final:
                run.probes[probe.name] = _skipped(_probe(probe), run.limit)
                continue
            outcome = self._statement(_probe(probe, run.renamed), math.inf)
            run.probes[probe.name] = outcome
            if outcome.limit in self._final:
                run.limit = outcome.limit
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
        try:
            outcome = self._session.run(planned.sql, deadline=deadline, label=label)
        except InfrastructureError as lost:
            if self._kills is None or not self._kills.since_opened(_KILL_SEEN_SECONDS):
                raise
            outcome = StatementOutcome(sql=planned.sql, error=lost.message)
            self._killed(outcome)
        else:
            if outcome.outcome is Outcome.ERROR and self._kills is not None:
                wait = _KILL_SEEN_SECONDS if _lost_connection(outcome.error) else 0.0
                if self._kills.since_opened(wait):
                    self._killed(outcome)
        outcome.line, outcome.kind, outcome.file = planned.line, planned.kind, planned.file
        return outcome

    def _killed(self, outcome: StatementOutcome) -> None:
        """The statement at the node memory limit, with what the session saw of it."""
        assert self._kills is not None
        outcome.outcome, outcome.limit = Outcome.LIMIT, self._kills.watch.node_limit
        outcome.error = (
            f"{outcome.error or 'connection lost'}\n(a server process of a node was killed for "
            "memory while this statement ran; the node restarted its sessions, and the next "
            "exercises run on a fresh copy of the lab)"
        )


def _lost_connection(error: str | None) -> bool:
    return error is not None and any(text in error for text in _LOST_CONNECTION)


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
