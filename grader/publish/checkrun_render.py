"""A Report as a GitHub check run: title, summary, details, annotations, conclusion.

Pure: no network. Lengths follow GitHub's published limits (summary and text
65535 characters, annotation message and raw details 64 KB, annotation title 255
characters, 50 annotations per request); what is cut says so.

The conclusion never claims more than the grader knows: points awaiting a person's
review or that this engine could not grade count against neither side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from grader.core.findings import Finding, Severity
from grader.core.report import Report, RunStatus, Status
from grader.render.markdown import details, exercise_table
from grader.render.summary import fmt_points, headline
from grader.service.job import RERUN_ACTION_ID

MAX_TEXT = 65535
MAX_ANNOTATION_BYTES = 64 * 1024
MAX_ANNOTATION_TITLE = 255
ANNOTATIONS_PER_REQUEST = 50
RERUN_ACTION = {
    "label": "Re-run grading",
    "description": "Grade this commit again",
    "identifier": RERUN_ACTION_ID,
}

_LEVEL = {Severity.ERROR: "failure", Severity.WARNING: "warning", Severity.INFO: "notice"}


@dataclass(frozen=True)
class CheckRunContent:
    conclusion: str  # success, failure, neutral
    title: str
    summary: str
    text: str
    annotations: tuple[dict[str, Any], ...] = ()

    def annotation_batches(self) -> list[list[dict[str, Any]]]:
        """At least one batch (maybe empty), each within the per-request limit."""
        items = list(self.annotations)
        step = ANNOTATIONS_PER_REQUEST
        return [items[i : i + step] for i in range(0, len(items), step)] or [[]]

    def output(self, annotations: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "title": self.title,
            "summary": self.summary,
            "text": self.text,
            "annotations": annotations,
        }


def conclusion_for(report: Report, pass_mark: float) -> str:
    if report.status is RunStatus.ERROR or report.max_score <= 0:
        return "neutral"
    threshold = report.max_score * pass_mark / 100
    reviewed = [e for e in report.exercises if e.manual_review and e.status is not Status.UNGRADED]
    # Only the written part is provisional (reports from before review_points: the exercise).
    written = {e.id: e.review_points or e.max_score for e in reviewed}
    provisional = sum(min(e.score, written[e.id]) for e in reviewed)
    open_points = report.ungraded_points + sum(
        written[e.id] - min(e.score, written[e.id]) for e in reviewed
    )
    if report.score - provisional >= threshold:
        return "success"
    if report.score + open_points < threshold:
        return "failure"
    return "neutral"


def render_report(report: Report, *, pass_mark: float) -> CheckRunContent:
    student_side = [f for f in report.all_findings if not f.staff_only]
    annotations = tuple(a for a in (annotation(f) for f in student_side) if a is not None)
    return CheckRunContent(
        conclusion=conclusion_for(report, pass_mark),
        title=headline(report),
        summary=clip(_summary(report, pass_mark), MAX_TEXT),
        text=clip(details(report, staff=False), MAX_TEXT),
        annotations=annotations,
    )


def render_failure(cause: str, *, commit: str | None) -> CheckRunContent:
    """A run the grader could not complete: neutral, never a failing grade."""
    at = f" of `{commit[:12]}`" if commit else ""
    summary = (
        f"The grader could not grade this push{at}; this is not a grade.\n\n"
        f"Cause: {cause}\n\nPush again, or use **Re-run grading**, once the cause is fixed."
    )
    return CheckRunContent(
        conclusion="neutral", title="Not graded", summary=clip(summary, MAX_TEXT), text=""
    )


def annotation(finding: Finding) -> dict[str, Any] | None:
    """Only findings anchored to a line become annotations; the rest are in the text."""
    if finding.file is None or finding.line is None:
        return None
    end = max(finding.end_line or finding.line, finding.line)
    label = f"Exercise {finding.exercise}: {finding.code}" if finding.exercise else finding.code
    out: dict[str, Any] = {
        "path": finding.file,
        "start_line": finding.line,
        "end_line": end,
        "annotation_level": _LEVEL[finding.severity],
        "message": clip_bytes(finding.message, MAX_ANNOTATION_BYTES),
        "title": clip(label, MAX_ANNOTATION_TITLE),
    }
    if finding.detail:
        out["raw_details"] = clip_bytes(finding.detail, MAX_ANNOTATION_BYTES)
    return out


def clip(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    marker = f"\n\n… (cut: {len(text) - limit} more characters)"
    return text[: max(limit - len(marker), 0)] + marker


def clip_bytes(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    marker = " … (cut)"
    return data[: limit - len(marker.encode())].decode(errors="ignore") + marker


def _summary(report: Report, pass_mark: float) -> str:
    threshold = report.max_score * pass_mark / 100
    lines = [f"**{headline(report)}** · pass mark {fmt_points(pass_mark)}%"]
    lines[0] += f" ({fmt_points(threshold)} points)"
    if report.commit:
        lines[0] += f" · commit `{report.commit[:12]}`"
    if report.engine:
        citus = report.engine.citus_version
        engine = f"PostgreSQL {report.engine.postgres_version}"
        engine += f" with Citus {citus}" if citus else " without Citus"
        lines.append(f"Graded on {engine} ({report.engine.backend} cluster).")
    if report.ungraded_points > 0:
        lines.append(
            f"{fmt_points(report.ungraded_points)} points could not be graded on this engine; "
            "they count neither for nor against you until they are."
        )
    if report.penalty > 0:
        lines.append(f"Penalty: {fmt_points(report.penalty)} points, already deducted.")
    lines += ["", *exercise_table(report)]
    return "\n".join(lines)
