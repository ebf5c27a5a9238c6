"""Words shared by every rendering, so the terminal, the check run and the dashboard agree."""

from __future__ import annotations

from grader.report import Report, RunStatus, Status

STATUS_LABEL = {
    Status.PASSED: "passed",
    Status.PARTIAL: "partial",
    Status.FAILED: "failed",
    Status.MISSING: "missing",
    Status.ERROR: "error",
    Status.UNGRADED: "not graded",
}


def fmt_points(value: float) -> str:
    return f"{value:g}"


def headline(report: Report) -> str:
    """One honest line: the score, and what it does not yet include."""
    if report.status is RunStatus.ERROR:
        return f"Grading failed ({report.error}); it will be retried. No score was given."
    text = f"Score {fmt_points(report.score)}/{fmt_points(report.max_score)}"
    notes = []
    if report.ungraded_points:
        notes.append(f"{fmt_points(report.ungraded_points)} points not graded here: need Citus")
    if report.needs_review:
        count = len(report.needs_review)
        notes.append(
            "1 written answer awaits review"
            if count == 1
            else f"{count} written answers await review"
        )
    if report.penalty:
        notes.append(f"{fmt_points(report.penalty)} points of penalty included")
    return text + (f" ({'; '.join(notes)})" if notes else "")
