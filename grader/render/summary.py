"""Words shared by every rendering, so the terminal, the check run and the dashboard agree."""

from __future__ import annotations

from grader.core.report import Engine, ExerciseReport, Report, RunStatus, Status
from grader.core.trace import EngineInfo

STATUS_LABEL = {
    Status.PASSED: "passed",
    Status.PARTIAL: "partial",
    Status.FAILED: "failed",
    Status.MISSING: "missing",
    Status.ERROR: "error",
    Status.UNGRADED: "not graded",
}


def fmt_points(value: float) -> str:
    return f"{value:g}" if value == round(value, 2) else f"{value:.2f}"


def result_label(ex: ExerciseReport) -> str:
    label = STATUS_LABEL[ex.status]
    return f"{label}, awaits review" if ex.manual_review else label


def headline(report: Report) -> str:
    """One honest line: the score, and what it does not yet include."""
    if report.status is RunStatus.ERROR:
        return f"Grading failed ({report.error}); it will be retried. No score was given."
    text = f"Score {fmt_points(report.score)}/{fmt_points(report.max_score)}"
    notes = []
    if report.ungraded_points > 0:
        why = ": need Citus" if report.engine and report.engine.citus_version is None else ""
        notes.append(f"{fmt_points(report.ungraded_points)} points ungraded{why}")
    if report.review_points > 0:
        notes.append(f"{fmt_points(report.review_points)} written points await review")
    if report.penalty > 0:
        notes.append(f"{fmt_points(report.penalty)} points of penalty deducted")
    return text + (f" ({'; '.join(notes)})" if notes else "")


def backend_line(engine: Engine | EngineInfo) -> str:
    """Which backend graded, on what engine, and why that backend was chosen."""
    if engine.citus_version:
        what = f"with Citus {engine.citus_version} on PostgreSQL {engine.postgres_version}"
    else:
        what = f"on plain PostgreSQL {engine.postgres_version}"
    why = f" ({engine.chosen_because})" if engine.chosen_because else ""
    return f"backend: {engine.backend} {what}{why}"
