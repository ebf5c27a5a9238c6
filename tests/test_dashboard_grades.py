"""The dashboard's arithmetic and words, without a store: overrides on top of a report, the
flags read from findings, the histogram and the gradebook's cells."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from grader.core.findings import Finding, Severity
from grader.core.report import ExerciseReport, Report, RunStatus, Status
from grader.dashboard.charts import bins, histogram_svg, share_colour
from grader.dashboard.csv_export import gradebook_csv
from grader.dashboard.flags import grade_flags
from grader.dashboard.grades import apply_overrides
from grader.dashboard.queries import StudentRow
from grader.dashboard.stats import Column, columns, exercise_stats, summary
from grader.store.overrides import Override
from grader.store.repositories import Repository

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _exercise(
    ex_id: str, status: Status, score: float, max_score: float, **kw: object
) -> ExerciseReport:
    return ExerciseReport.model_validate(
        {"id": ex_id, "title": f"Exercise {ex_id}", "part": "1", "status": status,
         "score": score, "max_score": max_score, **kw}
    )  # fmt: skip


def _report(penalty: float = 0.0, findings: list[Finding] | None = None) -> Report:
    exercises = [
        _exercise("1.1a", Status.PARTIAL, 5, 8),
        _exercise("1.4", Status.UNGRADED, 0, 6),
        _exercise("Q1", Status.PASSED, 2, 2, manual_review=True),
        _exercise(
            "3.3",
            Status.PARTIAL,
            4,
            8,
            findings=[Finding(code="pasted.unreproducible", message="not what the engine returns",
                              exercise="3.3", file="ex.md", line=12)],
        ),
    ]  # fmt: skip
    earned = sum(e.score for e in exercises)
    return Report(
        lab_id="mediai",
        lab_version="1",
        score=earned - penalty,
        max_score=20,
        penalty=penalty,
        ungraded_points=6,
        exercises=exercises,
        findings=findings or [],
    )


def _override(i: int, exercise: str | None, score: float, minutes: int = 0) -> Override:
    return Override(
        i, 1, exercise, score, f"reason {i}", "ta-grace", T0 + timedelta(minutes=minutes)
    )


def test_an_exercise_override_moves_the_total_by_its_difference() -> None:
    grade = apply_overrides(_report(penalty=2), [_override(1, "1.1a", 7)])
    assert grade.report.score == 9
    assert grade.total == 11  # 5 -> 7 on 1.1a; the penalty stays deducted
    ex = grade.exercise("1.1a")
    assert ex is not None and (ex.score, ex.graded, ex.override) == (7, 5, grade.overrides[0])
    assert grade.overridden


def test_the_newest_override_of_a_target_wins_and_a_total_override_sets_the_total() -> None:
    overrides = [
        _override(3, None, 15, minutes=2),
        _override(2, "1.1a", 8, minutes=1),
        _override(1, "1.1a", 0, minutes=0),
    ]
    grade = apply_overrides(_report(), overrides)
    assert [o.id for o in grade.overrides] == [1, 2, 3]  # kept, oldest first
    ex = grade.exercise("1.1a")
    assert ex is not None and ex.score == 8
    assert grade.total == 15
    assert grade.awaiting_review == []  # a person set the total: nothing left to review


def test_review_is_settled_by_an_override_and_totals_stay_within_bounds() -> None:
    assert apply_overrides(_report(), []).awaiting_review == ["Q1"]
    grade = apply_overrides(_report(), [_override(1, "Q1", 1)])
    assert grade.awaiting_review == [] and grade.total == 10
    low = apply_overrides(_report(penalty=11), [_override(2, "3.3", 0)])
    assert low.total == 0  # never below zero


def test_a_failed_grading_has_no_total_and_no_shares() -> None:
    failed = Report(lab_id="mediai", lab_version="1", status=RunStatus.ERROR, error="node down")
    grade = apply_overrides(failed, [])
    assert grade.total is None
    [flag] = grade_flags(grade)
    assert (flag.code, flag.detail) == ("error", "node down")
    assert apply_overrides(failed, [_override(1, None, 12)]).total == 12
    ungraded = apply_overrides(_report(), []).exercise("1.4")
    assert ungraded is not None and ungraded.share is None and ungraded.label == "not graded"


def test_flags_name_the_history_pasted_review_and_override_findings() -> None:
    history = [
        Finding(code="history.late", message="abc came 2 days late", severity=Severity.ERROR),
        Finding(code="history.last-minute-dump", message="final commit adds 100%"),
        Finding(code="history.protected-modified", message="solutions/README.md changed"),
        Finding(code="history.progressive-ok", message="fine", severity=Severity.INFO),
    ]
    grade = apply_overrides(_report(findings=history), [_override(1, "1.1a", 6)])
    flags = {f.code: f for f in grade_flags(grade)}
    assert list(flags) == ["late", "dump", "tampered", "pasted", "ungraded", "review", "overridden"]
    assert flags["late"].detail == "abc came 2 days late"
    assert flags["pasted"].detail == "3.3: not what the engine returns"
    assert flags["ungraded"].detail == "6 points not graded (1.4)"
    assert flags["overridden"].detail == "by ta-grace"


def test_bins_put_the_maximum_in_the_last_bin() -> None:
    groups = bins([0, 9.99, 10, 55, 100, 100], 100)
    assert [b.count for b in groups] == [2, 1, 0, 0, 0, 1, 0, 0, 0, 2]
    assert (groups[0].label, groups[-1].label) == ("0\N{EN DASH}10", "90\N{EN DASH}100")
    assert [b.count for b in bins([1.5], 0)] == [0, 1, 0, 0, 0, 0, 0, 0, 0, 0]


def test_the_histogram_is_described_in_words_and_escapes_its_text() -> None:
    svg = str(histogram_svg(bins([3, 4, 5, 8], 8, 4), title="<b>Q & A</b>", x_label="points",
                            chart_id="t"))  # fmt: skip
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "&lt;b&gt;Q &amp; A&lt;/b&gt;" in svg and "<b>" not in svg
    assert 'aria-labelledby="t-t t-d"' in svg
    assert "Students per range of points: 0\N{EN DASH}2: 0; 2\N{EN DASH}4: 1;" in svg
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    assert heights[2] == 2 * heights[1] > 0 and heights[0] == 0


def test_colours_run_from_red_to_green() -> None:
    assert share_colour(0) == "hsl(0, 70%, 82%)"
    assert share_colour(1) == "hsl(120, 70%, 82%)"
    assert share_colour(7) == share_colour(1)


def _row(login: str, report: Report | None, overrides: list[Override]) -> StudentRow:
    repo = Repository(1, f"org/tp-{login}", "org", f"tp-{login}", None, 1)
    grade = None if report is None else apply_overrides(report, overrides)
    flags = [] if grade is None else grade_flags(grade)
    return StudentRow(repo, login, None, None, grade, flags)


def test_the_gradebook_applies_overrides_and_leaves_ungraded_cells_empty() -> None:
    rows = [_row("=cmd", _report(), [_override(1, "1.1a", 7)]), _row("erin", None, [])]
    text = gradebook_csv(rows, columns(rows))
    lines = text.split("\r\n")
    assert lines[0] == (
        "login,identifier,name,repository,graded_commit,pushed_at,status,1.1a,1.4,Q1,3.3,"
        "awaiting_review,total,max_score,late_penalty,flags"
    )
    assert lines[1].startswith("'=cmd,,,org/tp-=cmd,,,no grade,7,,2,4,2,13,20,0,")
    assert lines[2] == "erin,,,org/tp-erin,,,no grade,,,,,,,,,"


def test_class_and_exercise_statistics() -> None:
    rows = [
        _row("a", _report(), []),
        _row("b", _report(), [_override(1, "3.3", 8)]),
        _row("c", None, []),
    ]
    facts = summary(rows, pass_mark=60)
    assert (facts.students, facts.graded, facts.mean, facts.passing) == (3, 2, 13, 1)
    stats = exercise_stats(rows, Column("3.3", "Exercise 3.3", "1", 8))
    assert stats.statuses == [("partial", 2)]
    assert stats.scores == [4, 8] and stats.mean == 6
    [common] = stats.errors
    assert (common.code, common.logins) == ("pasted.unreproducible", ["a", "b"])
