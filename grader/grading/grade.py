"""The pure core: `grade(submission, lab, evidence) -> Report`.

No network, no processes, no files: everything the engine did is in the traces the
runner recorded, and the commit history's verdict comes in already read. The CLI, the
Celery task and the dashboard's re-run are thin adapters that gather the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from grader.checks import REGISTRY, CheckContext, CheckResult
from grader.checks.base import VariantRun
from grader.checks.pasted import HOLD_CODES
from grader.core.findings import Finding, Severity
from grader.core.lab import CheckSpec, Exercise, Lab
from grader.core.report import Engine, ExerciseReport, Report, RunStatus, Status, Timings
from grader.core.trace import ExerciseRun, Outcome, RunTrace
from grader.submission.model import ExerciseAnswer, Submission


@dataclass(frozen=True)
class Evidence:
    """What the adapters gathered for one submission."""

    run: RunTrace | None  # the student's SQL on a fresh copy of the lab
    reference: RunTrace | None  # the reference solutions on another fresh copy
    template: Submission | None = None  # the untouched exercise file, to tell "not answered"
    history_findings: list[Finding] = field(default_factory=list)
    penalty: float = 0.0  # points deducted by process rules (late days...)
    commit: str | None = None
    total_ms: float = 0.0
    # variant name -> (the student's varied exercises, the reference's) on that data set
    variants: dict[str, tuple[RunTrace, RunTrace]] = field(default_factory=dict)


def grade(submission: Submission, lab: Lab, evidence: Evidence) -> Report:
    run = evidence.run
    report = Report(
        lab_id=lab.id,
        lab_version=lab.version,
        max_score=lab.max_score,
        commit=evidence.commit,
        findings=[*submission.findings, *evidence.history_findings],
        engine=_engine(run),
        timings=Timings(
            total_ms=evidence.total_ms,
            run_ms=run.elapsed_ms if run else 0.0,
            per_exercise_ms={k: v.elapsed_ms for k, v in (run.exercises if run else {}).items()},
        ),
    )
    failure = _infrastructure_failure(run, evidence.reference) or _variant_failure(evidence)
    if failure:
        report.status = RunStatus.ERROR
        report.error = failure
        return report
    if run is not None and run.limit:
        report.findings.append(
            Finding(
                code="limit.job", message=f"Stopped by the {run.limit}.", severity=Severity.WARNING
            )
        )
    for exercise in lab.exercises:
        report.exercises.append(_grade_exercise(submission, lab, evidence, exercise))
    earned = sum(e.score for e in report.exercises)
    report.ungraded_points = sum(
        e.max_score for e in report.exercises if e.status is Status.UNGRADED
    )
    report.review_points = round(
        sum(e.review_points for e in report.exercises if e.status is not Status.UNGRADED), 2
    )
    report.penalty = min(evidence.penalty, earned)
    report.score = round(earned - report.penalty, 2)
    return report


def _engine(run: RunTrace | None) -> Engine | None:
    if run is None:
        return None
    e = run.engine
    return Engine(
        backend=e.backend,
        postgres_version=e.postgres_version,
        citus_version=e.citus_version,
        chosen_because=e.chosen_because,
    )


def _infrastructure_failure(run: RunTrace | None, reference: RunTrace | None) -> str | None:
    if run is None or reference is None:
        return "the submission was not run on a grading cluster"
    if run.infrastructure_error:
        return run.infrastructure_error
    if reference.infrastructure_error:
        return f"reference run failed: {reference.infrastructure_error}"
    return None


def _variant_failure(evidence: Evidence) -> str | None:
    for name, (student, reference) in evidence.variants.items():
        for trace in (student, reference):
            if trace.infrastructure_error:
                return f"run on the variant data set {name} failed: {trace.infrastructure_error}"
    return None


def _variant_runs(lab: Lab, ev: Evidence, exercise_id: str) -> tuple[VariantRun, ...]:
    described = {v.name: v.description for v in lab.variants}
    return tuple(
        VariantRun(
            name=name,
            description=described.get(name, name),
            student=student.exercises.get(exercise_id),
            reference=reference.exercises.get(exercise_id),
        )
        for name, (student, reference) in ev.variants.items()
    )


def _answered(answer: ExerciseAnswer | None, template: ExerciseAnswer | None) -> bool:
    if answer is None:
        return False
    body = (answer.sql_text, answer.prose_text, "\n".join(b.text for b in answer.outputs))
    if template is not None:
        untouched = (
            template.sql_text,
            template.prose_text,
            "\n".join(b.text for b in template.outputs),
        )
        if _squash(body) == _squash(untouched):
            return False
    return bool(_squash(body).replace("_", ""))


def _squash(parts: tuple[str, ...]) -> str:
    return " ".join(" ".join(parts).split())


def _grade_exercise(submission: Submission, lab: Lab, ev: Evidence, ex: Exercise) -> ExerciseReport:
    answer = submission.answers.get(ex.id)
    template = ev.template.answers.get(ex.id) if ev.template else None
    out = ExerciseReport(
        id=ex.id,
        title=ex.title,
        part=ex.part,
        status=Status.MISSING,
        score=0.0,
        max_score=ex.points,
    )
    file = submission.exercise_file
    line = answer.heading_line if answer else None
    if not _answered(answer, template):
        out.findings.append(
            Finding(
                code="exercise.missing",
                message="Not answered yet.",
                exercise=ex.id,
                file=file if line else None,
                line=line,
            )
        )
        return out
    assert ev.run is not None  # guaranteed by _infrastructure_failure
    if ex.requires_citus and not ev.run.engine.has_citus:
        out.status = Status.UNGRADED
        out.findings.append(
            Finding(
                code="exercise.needs-citus",
                severity=Severity.WARNING,
                exercise=ex.id,
                file=file if line else None,
                line=line,
                message="Not graded: this cluster runs plain PostgreSQL without Citus. "
                + (ex.citus_reason or "This exercise depends on how Citus behaves."),
            )
        )
        return out
    student = ev.run.exercises.get(ex.id)
    ctx = CheckContext(
        lab=lab,
        exercise=ex,
        answer=answer,
        template=template,
        student=student,
        reference=ev.reference.exercises.get(ex.id) if ev.reference else None,
        engine=ev.run.engine,
        exercise_file=file,
        nodes=ev.run.nodes,
        variants=_variant_runs(lab, ev, ex.id),
    )
    out.findings.extend(_run_notes(ctx, student))
    total_weight = sum(c.weight for c in ex.checks) or 1.0
    earned = 0.0
    results = [(spec, _run_check(_for_check(ctx, spec), spec)) for spec in ex.checks]
    voided = frozenset().union(*(r.voids for _, r in results))
    out.integrity_hold = any(f.code in HOLD_CODES for _, r in results for f in r.findings)
    for spec, result in results:
        # while held, only the written part counts until a person clears the paste
        withheld = out.integrity_hold and not result.manual_review
        if spec.type not in voided and not withheld:
            earned += result.score * spec.weight / total_weight
        out.findings.extend(result.findings)
        out.manual_review = out.manual_review or result.manual_review
        if result.manual_review:
            out.review_points += ex.points * spec.weight / total_weight
    out.score = round(ex.points * earned, 2)
    out.review_points = round(out.review_points, 2)
    out.status = _status(out.score, ex.points)
    return out


def _for_check(ctx: CheckContext, spec: CheckSpec) -> CheckContext:
    """Pasted output is what the student's own objects gave, even where the exercise was
    judged again on the reference's (run/prerequisites)."""
    run = ctx.student
    if spec.type != "pasted" or run is None or run.own_statements is None:
        return ctx
    return replace(ctx, student=run.model_copy(update={"statements": run.own_statements}))


def _run_check(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    check = REGISTRY.get(spec.type)
    if check is None:
        return CheckResult.none(
            ctx.finding("check.unknown", f"The rubric names an unknown check {spec.type!r}.")
        )
    try:
        return check(ctx, spec)
    except Exception as exc:  # a grader bug must cost the report one check, not the whole grade
        return CheckResult.none(
            ctx.finding(
                "check.crashed",
                f"The {spec.type} check failed inside the grader ({type(exc).__name__}); "
                "this is not your fault and will be looked at.",
                severity=Severity.WARNING,
                detail=repr(exc),
            )
        )


def _run_notes(ctx: CheckContext, run: ExerciseRun | None) -> list[Finding]:
    notes: list[Finding] = []
    if run is None:
        return notes
    if run.limit:
        notes.append(
            ctx.finding("limit.exercise", f"Stopped by the {run.limit}.", severity=Severity.WARNING)
        )
    for stmt in run.statements:
        if stmt.outcome is Outcome.SKIPPED and stmt.kind == "meta":
            notes.append(
                ctx.finding(
                    "run.meta-skipped",
                    f"psql meta-command not run by the grader: {stmt.sql.strip()[:40]}",
                    severity=Severity.INFO,
                    line=stmt.line,
                    file=stmt.file,
                )
            )
        elif stmt.limit:
            notes.append(
                ctx.finding(
                    "limit.statement",
                    f"Stopped by the {stmt.limit}.",
                    line=stmt.line,
                    file=stmt.file,
                )
            )
    if run.on_reference:
        earlier = ", ".join(run.on_reference)
        notes.append(
            ctx.finding(
                "run.on-reference",
                f"The objects of {earlier} that this exercise reads were missing or wrong, so "
                f"your SQL here also ran on the reference's objects of {earlier}: this exercise "
                "is judged on its own, and your pasted output against your own objects.",
                severity=Severity.INFO,
            )
        )
    if run.rolled_back_open_transaction:
        notes.append(
            ctx.finding(
                "run.open-transaction",
                "A transaction was left open at the end of this exercise; "
                "the grader rolled it back.",
                severity=Severity.WARNING,
            )
        )
    return notes


def _status(score: float, points: float) -> Status:
    if score >= points - 1e-9:
        return Status.PASSED
    return Status.PARTIAL if score > 0 else Status.FAILED
