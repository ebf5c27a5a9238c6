"""The one adapter that gathers evidence and calls the pure `grade()`.

A `GradingSession` holds a lab and a started cluster for many submissions: the CLI
opens one per command, a Celery worker one per process. The reference solutions run
once per session on their own fresh copy, and every submission gets another. Where the
lab ships variant data sets, the exercises judged on them run again there, the student's
and (once per session) the reference's, each on a copy of that variant's template.
Whatever happens, `grade_checkout` returns a Report: an infrastructure failure or a
grader bug becomes status `error` with its cause (to be retried), never a zero.

A session is safe to share between threads: a worker grades several submissions at once on
its one cluster, each on copies of its own (see grader/cluster/source.py).
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
import traceback
import uuid
import weakref
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from grader.cluster.base import Cluster, JobDatabase
from grader.cluster.source import ClusterSource, open_source
from grader.core.errors import GraderError, InfrastructureError
from grader.core.findings import Finding, Severity
from grader.core.lab import Lab, default_lab_path, load_lab
from grader.core.report import Report, RunStatus
from grader.core.trace import EngineInfo, RunTrace
from grader.grading.grade import Evidence, grade
from grader.history.assess import assess_repository
from grader.history.deadline import DeadlinePolicy, PushRecord
from grader.history.evaluate import HistoryVerdict
from grader.history.git_log import export_tree, head_commit
from grader.run.execute import NodeRecovery, PlannedExercise, execute
from grader.run.plan import plan_reference, plan_submission
from grader.settings import Settings
from grader.submission.model import Submission
from grader.submission.reader import read_submission

_NO_HISTORY = Finding(
    code="history.none",
    message="Not a git clone: deadline, progressive commits and protected files not checked.",
    severity=Severity.INFO,
)


def _penalty(verdict: HistoryVerdict | None, lab: Lab) -> float:
    if verdict is None:
        return 0.0
    if not verdict.selection.accepted:  # pushed only after the cut-off
        return lab.max_score
    return verdict.penalty


log = logging.getLogger(__name__)
Progress = Callable[[str], None]


class GradingSession:
    def __init__(self, settings: Settings, lab: Lab, source: ClusterSource) -> None:
        self.settings = settings
        self.lab = lab
        self.source = source
        self._prepared: weakref.WeakSet[Cluster] = weakref.WeakSet()  # hold the lab's template
        self._reference: RunTrace | None = None
        self._variant_references: dict[str, RunTrace] = {}
        self._template: Submission | None = None
        # One thread drops finished jobs' copies, so a grade does not wait for it.
        self._cleaner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="job-cleanup")
        self._leftovers: list[tuple[Cluster, JobDatabase]] = []
        # Jobs start side by side: the lab is prepared, and each reference run, only once.
        self._preparing = threading.Lock()
        self._referencing = threading.Lock()
        self._leftovers_lock = threading.Lock()

    @classmethod
    def open(cls, settings: Settings, lab: Lab | None = None) -> GradingSession:
        """Start the backend's clusters, load the lab and run its reference solutions (on
        the seed and on each variant data set), so the first job does not wait for them."""
        session = cls(
            settings, lab or load_lab(settings.lab_dir or default_lab_path()), open_source(settings)
        )
        try:
            session.engine_info()
            session.reference()
            for name in session._variant_names():
                session.variant_reference(name)
        except BaseException:
            session.close()
            raise
        return session

    def close(self) -> None:
        self._cleaner.shutdown(wait=True)
        self.source.close()

    def engine_info(self) -> EngineInfo:
        with self._cluster() as cluster:
            return cluster.engine_info()

    @contextmanager
    def _cluster(self) -> Iterator[Cluster]:
        with self.source.lease() as cluster:
            with self._preparing:
                if cluster not in self._prepared:
                    cluster.prepare_lab(self.lab)
                    self._prepared.add(cluster)
            yield cluster

    def __enter__(self) -> GradingSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _max_bytes(self) -> int:
        return self.settings.limits.max_exercise_file_bytes

    @property
    def template(self) -> Submission:
        if self._template is None:
            self._template = read_submission(
                self.lab.root / "template", self.lab, max_bytes=self._max_bytes
            )
        return self._template

    def reference(self) -> RunTrace:
        with self._referencing:
            if self._reference is None or self._reference.infrastructure_error:
                (self._reference,) = self._run(_Job(plan_reference(self.lab), "reference"))
            return self._reference

    def _variant_names(self) -> list[str]:
        """The variant data sets a submission also runs on."""
        return [v.name for v in self.lab.variants] if self.lab.varied_exercises else []

    def variant_reference(self, variant: str) -> RunTrace:
        with self._referencing:
            cached = self._variant_references.get(variant)
            if cached is None or cached.infrastructure_error:
                plan = _varied(plan_reference(self.lab), self.lab)
                (cached,) = self._run(_Job(plan, "reference", variant=variant))
                self._variant_references[variant] = cached
            return cached

    def _submission_runs(
        self, submission: Submission, on_progress: Progress | None
    ) -> tuple[RunTrace, dict[str, tuple[RunTrace, RunTrace]]]:
        """The student's run on the seed, and the varied exercises on each variant data
        set: one job copy per variant, its exercises in sequence as in the seed's run."""
        plan = plan_submission(submission, self.lab, self.reference())
        names = self._variant_names()
        references = {name: self.variant_reference(name) for name in names}
        run, *on_variants = self._run(
            _Job(plan, "job", on_progress),
            *(
                _Job(
                    _varied(plan_submission(submission, self.lab, references[name]), self.lab),
                    "variant",
                    variant=name,
                )
                for name in names
            ),
        )
        return run, {
            name: (trace, references[name]) for name, trace in zip(names, on_variants, strict=True)
        }

    def grade_checkout(
        self,
        checkout: Path,
        *,
        pushes: Sequence[PushRecord] = (),
        policy: DeadlinePolicy | None = None,
        on_progress: Progress | None = None,
    ) -> Report:
        """Grade a student's clone (or a plain folder, where no history rule can apply)."""
        started = time.monotonic()
        try:
            with tempfile.TemporaryDirectory(prefix="grader-tree-") as scratch:
                tree, history = self._graded_tree(checkout, pushes, policy, Path(scratch))
                submission = read_submission(tree, self.lab, max_bytes=self._max_bytes)
                reference = self.reference()
                run, variants = self._submission_runs(submission, on_progress)
            evidence = Evidence(
                run=run,
                reference=reference,
                template=self.template,
                history_findings=history.findings if history else [_NO_HISTORY],
                penalty=_penalty(history, self.lab),
                commit=history.selection.sha if history else None,
                total_ms=(time.monotonic() - started) * 1000,
                variants=variants,
            )
            return grade(submission, self.lab, evidence)
        except Exception as exc:  # otter's rule: a grading crash still yields a report
            if isinstance(exc, GraderError):
                cause = exc.message
            else:
                cause = "".join(traceback.format_exception_only(exc)).strip()
            return Report(
                lab_id=self.lab.id,
                lab_version=self.lab.version,
                status=RunStatus.ERROR,
                error=cause,
                max_score=self.lab.max_score,
            )

    def _graded_tree(
        self,
        checkout: Path,
        pushes: Sequence[PushRecord],
        policy: DeadlinePolicy | None,
        scratch: Path,
    ) -> tuple[Path, HistoryVerdict | None]:
        """The folder to grade: the clone itself, or the tree of an earlier commit when
        the history rules pick one (the last pushed before the deadline)."""
        if not (checkout / ".git").exists():
            return checkout, None
        verdict = assess_repository(checkout, self.lab, policy, pushes)
        sha = verdict.selection.sha
        if sha is None or sha == head_commit(checkout):
            return checkout, verdict
        export_tree(checkout, sha, scratch)
        return scratch, verdict

    def _run(self, *jobs: _Job) -> list[RunTrace]:
        """The jobs side by side on one leased cluster, each on its own copy: a variant's
        job holds only result and object exercises, never a prepared transaction whose
        name could collide with the seed job's.

        The copies are dropped after the traces are returned, while the report is being
        made, still under the lease, by one thread for the whole session: the grade in
        hand does not wait for its drop, and drops never crowd out the jobs running."""
        stack = ExitStack()
        cluster = stack.enter_context(self._cluster())
        made: list[JobDatabase] = []
        try:
            self._end_leftovers(cluster)
            if len(jobs) == 1:
                traces = [self._run_on(cluster, jobs[0], made)]
            else:
                with ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="job") as pool:
                    traces = list(pool.map(lambda job: self._run_on(cluster, job, made), jobs))
        except BaseException:
            self._end_jobs(cluster, made, stack)
            raise
        self._cleaner.submit(self._end_jobs, cluster, made, stack)
        return traces

    def _end_jobs(self, cluster: Cluster, jobs: Sequence[JobDatabase], lease: ExitStack) -> None:
        try:
            for job in jobs:
                try:
                    cluster.end_job(job)
                except Exception as exc:
                    # The grade in hand stands; the next job on this cluster tries again
                    # first, and fails (to be retried) rather than run beside the leftover.
                    log.warning("could not drop the job copy %s: %s", job.name, exc)
                    with self._leftovers_lock:
                        self._leftovers.append((cluster, job))
        finally:
            lease.close()

    def _end_leftovers(self, cluster: Cluster) -> None:
        with self._leftovers_lock:
            mine = [(c, j) for c, j in self._leftovers if c is cluster]
            for taken in mine:  # one job retries each: the others do not wait for it
                self._leftovers.remove(taken)
        for index, (_, job) in enumerate(mine):
            try:
                cluster.end_job(job)
            except Exception as exc:
                with self._leftovers_lock:
                    self._leftovers.extend(mine[index:])
                raise InfrastructureError(
                    f"an earlier job's copy {job.name} could not be dropped: {exc}"
                ) from exc

    def _run_on(self, cluster: Cluster, spec: _Job, made: list[JobDatabase]) -> RunTrace:
        started = time.monotonic()
        engine = cluster.engine_info()
        nodes = {f"{n.host}:{n.port}": n.role for n in cluster.nodes()}

        def new_copy() -> JobDatabase:  # another after a node was killed for memory
            copy = cluster.new_job(self.lab, f"{spec.kind}_{uuid.uuid4().hex[:12]}", spec.variant)
            made.append(copy)
            return copy

        job = new_copy()
        try:
            exercises, limit = execute(
                job,
                spec.plan,
                self.settings.limits,
                on_progress=spec.on_progress,
                synonyms=self.lab.names.synonyms,
                recovery=NodeRecovery.of(cluster, new_copy),
            )
        except GraderError as exc:
            return RunTrace(engine=engine, nodes=nodes, infrastructure_error=exc.message)
        return RunTrace(
            engine=engine,
            exercises=exercises,
            nodes=nodes,
            limit=limit,
            elapsed_ms=(time.monotonic() - started) * 1000,
        )


@dataclass(frozen=True)
class _Job:
    plan: list[PlannedExercise]
    kind: str  # names the job's copy: "job", "variant", "reference"
    on_progress: Progress | None = None
    variant: str | None = None  # None: the lab's seed


def _varied(plan: list[PlannedExercise], lab: Lab) -> list[PlannedExercise]:
    varied = {e.id for e in lab.varied_exercises}
    return [p for p in plan if p.id in varied]
