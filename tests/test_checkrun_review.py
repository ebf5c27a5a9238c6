"""What a student's check run says of people's decisions: before release the grader's own
points and a word that the written answers are being reviewed, after release the confirmed
grade with the reviewers' comments, and a conclusion that settles once nothing awaits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grader.core.findings import Finding, Severity
from grader.core.report import Engine, ExerciseReport, Report, RunStatus, Status
from grader.dashboard.grades import apply_overrides
from grader.publish.checkrun_review import (
    BEING_REVIEWED,
    RELEASED,
    confirmed_conclusion,
    render_grade,
)
from grader.store.overrides import Override

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def exercise(
    ex_id: str, score: float, max_score: float, status: Status, *, written: float = 0
) -> ExerciseReport:
    return ExerciseReport(
        id=ex_id,
        title=f"Exercise {ex_id}",
        part=ex_id[0],
        status=status,
        score=score,
        max_score=max_score,
        manual_review=written > 0,
        review_points=written,
    )


def report(*exercises: ExerciseReport, penalty: float = 0) -> Report:
    return Report(
        lab_id="mediai",
        lab_version="1",
        score=sum(e.score for e in exercises) - penalty,
        max_score=sum(e.max_score for e in exercises),
        review_points=sum(e.review_points for e in exercises),
        ungraded_points=sum(e.max_score for e in exercises if e.status is Status.UNGRADED),
        penalty=penalty,
        engine=Engine(backend="local", postgres_version="15.20", citus_version="12.1.12"),
        commit="0123456789abcdef0123456789abcdef01234567",
        exercises=list(exercises),
    )


def override(n: int, exercise_id: str | None, score: float, reason: str) -> Override:
    return Override(n, 1, exercise_id, score, reason, "ta-grace", T0 + timedelta(minutes=n))


# 40 automatic points sure, a written answer worth 20 suggested at 12: 52 of 100 so far.
CLASS_REPORT = report(
    exercise("1.1a", 40, 80, Status.PARTIAL),
    exercise("Q1", 12, 20, Status.PARTIAL, written=20),
)


def test_before_release_the_grader_points_and_the_review_notice() -> None:
    reviewed = override(1, "Q1", 18, "Good use of the distribution key; one step missing.")
    grade = apply_overrides(CLASS_REPORT, [reviewed])
    content = render_grade(grade, pass_mark=50, released=False)
    assert content.title == "Score 52/100 (20 written points await review)"
    assert BEING_REVIEWED in content.summary
    assert "distribution key" not in content.summary + content.text  # not released yet
    assert content.conclusion == "neutral"  # 40 sure, 50 needed, 20 still open


def test_after_release_the_confirmed_points_and_the_comment() -> None:
    reviewed = override(1, "Q1", 18, "Good use of the distribution key; one step missing.")
    grade = apply_overrides(CLASS_REPORT, [reviewed])
    content = render_grade(grade, pass_mark=50, released=True)
    assert content.title == "Score 58/100 (confirmed)"
    assert RELEASED in content.summary and BEING_REVIEWED not in content.summary
    assert "| Q1 | Exercise Q1 | 12/20 (partial) | 18/20, reviewed |" in content.summary
    assert "**Q1 Exercise Q1** (18/20, ta-grace):" in content.summary
    assert "> Good use of the distribution key; one step missing." in content.summary
    assert content.conclusion == "success"


def test_the_newest_decision_of_an_exercise_is_the_one_shown() -> None:
    first = override(1, "Q1", 18, "First reading.")
    second = override(2, "Q1", 4, "On second reading the answer is copied from the handout.")
    content = render_grade(
        apply_overrides(CLASS_REPORT, [first, second]), pass_mark=50, released=True
    )
    assert content.title == "Score 44/100 (confirmed)"
    assert "copied from the handout" in content.summary and "First reading" not in content.summary
    assert content.conclusion == "failure"  # settled: nothing awaits any more


def test_released_but_not_reviewed_yet_stays_neutral_until_certain() -> None:
    grade = apply_overrides(CLASS_REPORT, [])
    content = render_grade(grade, pass_mark=50, released=True)
    assert content.title == "Score 52/100 (20 written points await review)"
    assert "| Q1 | Exercise Q1 | 12/20 (partial) | awaits review |" in content.summary
    assert content.conclusion == "neutral"
    # with a pass mark the sure points reach, or that even full marks cannot
    assert confirmed_conclusion(grade, pass_mark=40) == "success"
    assert confirmed_conclusion(grade, pass_mark=61) == "failure"


@pytest.mark.parametrize(
    ("pass_mark", "expected"), [(58, "success"), (58.5, "failure"), (0, "success")]
)
def test_settled_conclusion_against_the_pass_mark(pass_mark: float, expected: str) -> None:
    grade = apply_overrides(CLASS_REPORT, [override(1, "Q1", 18, "ok")])
    assert confirmed_conclusion(grade, pass_mark) == expected


def test_a_total_override_settles_everything_with_its_reason() -> None:
    ungraded = report(
        exercise("1.1a", 40, 70, Status.PARTIAL),
        exercise("2.1", 0, 10, Status.UNGRADED),
        exercise("Q1", 12, 20, Status.PARTIAL, written=20),
    )
    total = override(1, None, 70, "Graded by hand on a Citus cluster after the session.")
    content = render_grade(apply_overrides(ungraded, [total]), pass_mark=50, released=True)
    assert content.title == "Score 70/100 (confirmed)"
    assert "The total was set to 70 by ta-grace:" in content.summary
    assert "> Graded by hand on a Citus cluster" in content.summary
    assert content.conclusion == "success"


def test_ungraded_points_stay_open_until_a_person_grades_them() -> None:
    ungraded = report(
        exercise("1.1a", 45, 90, Status.PARTIAL), exercise("2.1", 0, 10, Status.UNGRADED)
    )
    open_grade = apply_overrides(ungraded, [])
    assert render_grade(open_grade, pass_mark=50, released=True).title == (
        "Score 45/100 (10 points ungraded)"
    )
    assert confirmed_conclusion(open_grade, pass_mark=50) == "neutral"
    done = apply_overrides(ungraded, [override(1, "2.1", 8, "Checked on Citus by hand.")])
    content = render_grade(done, pass_mark=50, released=True)
    assert content.title == "Score 53/100 (confirmed)" and content.conclusion == "success"


def test_penalty_stays_deducted_and_said() -> None:
    late = report(
        exercise("1.1a", 60, 80, Status.PARTIAL), exercise("Q1", 10, 20, Status.PARTIAL), penalty=10
    )
    content = render_grade(apply_overrides(late, []), pass_mark=50, released=True)
    assert content.title == "Score 60/100 (confirmed; 10 points of penalty deducted)"


def test_annotations_are_the_findings_before_and_after_release() -> None:
    finding = Finding(
        code="result.rows", message="Rows differ.", severity=Severity.ERROR,
        file="exercises/01.md", line=12, exercise="1.1a",
    )  # fmt: skip
    ex = exercise("1.1a", 40, 80, Status.PARTIAL).model_copy(update={"findings": [finding]})
    grade = apply_overrides(report(ex, exercise("Q1", 12, 20, Status.PARTIAL, written=20)), [])
    before = render_grade(grade, pass_mark=50, released=False).annotations
    after = render_grade(grade, pass_mark=50, released=True).annotations
    assert before == after and [a["start_line"] for a in after] == [12]


def test_a_failed_run_is_never_a_grade() -> None:
    failed = Report(lab_id="mediai", lab_version="1", status=RunStatus.ERROR, error="node down")
    content = render_grade(apply_overrides(failed, []), pass_mark=50, released=True)
    assert content.conclusion == "neutral" and content.title == "Not graded"


def test_a_lab_without_written_answers_says_nothing_of_review() -> None:
    plain = report(exercise("1.1a", 60, 100, Status.PARTIAL))
    content = render_grade(apply_overrides(plain, []), pass_mark=50, released=False)
    assert BEING_REVIEWED not in content.summary and content.conclusion == "success"
