"""The check run of a grade people may have reviewed: what students see before and after
their assignment's grades are released.

Before release: the grader's own points, and a word that the written answers are being
reviewed; people's decisions stay with the staff. After release: the grade with every
override applied, the reviewer's comment beside each exercise, and a conclusion against the
pass mark that is settled (success or failure) once no points await a person.

Pure: no network, no store. Annotations are those of the grader's findings, so a check run
completed once is updated without sending them again (GitHub appends annotations).
"""

from __future__ import annotations

from grader.core.report import RunStatus, Status
from grader.dashboard.grades import ExerciseGrade, Grade
from grader.publish.checkrun_render import (
    MAX_TEXT,
    CheckRunContent,
    clip,
    render_failure,
    render_report,
)
from grader.render.markdown import cell, details
from grader.render.summary import fmt_points

BEING_REVIEWED = (
    "Your written answers are being reviewed by the teaching staff: their points are "
    "provisional until your grade is released here."
)
RELEASED = "Your grade was reviewed by the teaching staff and released."


def render_grade(grade: Grade, *, pass_mark: float, released: bool) -> CheckRunContent:
    report = grade.report
    if report.status is RunStatus.ERROR and not (released and grade.total_override):
        return render_failure(report.error or "unknown", commit=report.commit)
    if not released:
        content = render_report(report, pass_mark=pass_mark)
        if not report.needs_review:
            return content
        summary = clip(f"{content.summary}\n\n{BEING_REVIEWED}", MAX_TEXT)
        return CheckRunContent(
            content.conclusion, content.title, summary, content.text, content.annotations
        )
    automatic = render_report(report, pass_mark=pass_mark)
    title = confirmed_headline(grade)
    return CheckRunContent(
        conclusion=confirmed_conclusion(grade, pass_mark),
        title=title,
        summary=clip(_summary(grade, title, pass_mark), MAX_TEXT),
        text=clip(details(report, staff=False), MAX_TEXT),
        annotations=automatic.annotations,
    )


def open_points(grade: Grade) -> tuple[float, float]:
    """(points counted now but not yet confirmed, points that may still be added): the
    written part of answers awaiting review, and exercises nobody could grade yet."""
    if grade.total_override is not None:
        return 0.0, 0.0
    provisional = missing = 0.0
    for ex in grade.exercises:
        if ex.override is not None:
            continue
        if ex.status is Status.UNGRADED:
            missing += ex.max_score
        elif ex.review:
            # Reports from before review_points: the whole exercise is the written part.
            written = grade.report.exercise(ex.id).review_points or ex.max_score
            counted = min(ex.score, written)
            provisional += counted
            missing += written - counted
    return provisional, missing


def confirmed_conclusion(grade: Grade, pass_mark: float) -> str:
    total = grade.total
    if total is None or grade.max_score <= 0:
        return "neutral"
    threshold = grade.max_score * pass_mark / 100
    provisional, missing = open_points(grade)
    if total - provisional >= threshold:
        return "success"
    if total + missing < threshold:
        return "failure"
    return "neutral"


def confirmed_headline(grade: Grade) -> str:
    total = grade.total
    assert total is not None  # render_grade sends a failed run without a total elsewhere
    text = f"Score {fmt_points(total)}/{fmt_points(grade.max_score)}"
    if grade.total_override is not None:
        return text + " (confirmed)"
    awaiting = sum(
        grade.report.exercise(e.id).review_points or e.max_score
        for e in grade.exercises
        if e.awaiting_review and e.status is not Status.UNGRADED
    )
    ungraded = sum(
        e.max_score for e in grade.exercises if e.status is Status.UNGRADED and not e.override
    )
    notes = [] if awaiting or ungraded else ["confirmed"]
    if ungraded > 0:
        notes.append(f"{fmt_points(ungraded)} points ungraded")
    if awaiting > 0:
        notes.append(f"{fmt_points(awaiting)} written points await review")
    if grade.penalty > 0:
        notes.append(f"{fmt_points(grade.penalty)} points of penalty deducted")
    return text + f" ({'; '.join(notes)})"


def _summary(grade: Grade, title: str, pass_mark: float) -> str:
    threshold = grade.max_score * pass_mark / 100
    lines = [f"**{title}** · pass mark {fmt_points(pass_mark)}% ({fmt_points(threshold)} points)"]
    if grade.report.commit:
        lines[0] += f" · commit `{grade.report.commit[:12]}`"
    lines.append(RELEASED)
    total = grade.total_override
    if total is not None:
        lines += ["", f"The total was set to {fmt_points(total.score)} by {total.by_whom}:"]
        lines.append(_quote(total.reason))
    lines += ["", "| Exercise | Title | Grader | Confirmed |", "|---|---|---|---|"]
    lines += [_row(ex) for ex in grade.exercises]
    comments = [ex for ex in grade.exercises if ex.override is not None]
    if comments:
        lines += ["", "### Reviewers' comments"]
        for ex in comments:
            assert ex.override is not None
            points = f"{fmt_points(ex.score)}/{fmt_points(ex.max_score)}"
            lines += ["", f"**{ex.id} {ex.title}** ({points}, {ex.override.by_whom}):"]
            lines.append(_quote(ex.override.reason))
    return "\n".join(lines)


def _row(ex: ExerciseGrade) -> str:
    graded = f"{fmt_points(ex.graded)}/{fmt_points(ex.max_score)} ({ex.label})"
    if ex.override is not None:
        confirmed = f"{fmt_points(ex.score)}/{fmt_points(ex.max_score)}, reviewed"
    elif ex.awaiting_review:
        confirmed = "awaits review"
    elif ex.status is Status.UNGRADED:
        confirmed = "not graded"
    else:
        confirmed = f"{fmt_points(ex.score)}/{fmt_points(ex.max_score)}"
    return f"| {cell(ex.id)} | {cell(ex.title)} | {graded} | {confirmed} |"


def _quote(text: str) -> str:
    return "\n".join("> " + line for line in text.strip().splitlines())
