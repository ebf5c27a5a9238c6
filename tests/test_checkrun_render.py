"""A Report rendered as a check run: title honesty, conclusion rules, annotations, limits."""

from __future__ import annotations

import pytest
from openapi_check import OPENAPI, OpenAPIChecker

from grader.core.findings import Finding, Severity
from grader.core.report import Engine, ExerciseReport, Report, RunStatus, Status
from grader.publish.checkrun_render import (
    ANNOTATIONS_PER_REQUEST,
    MAX_ANNOTATION_BYTES,
    MAX_TEXT,
    RERUN_ACTION,
    clip,
    conclusion_for,
    render_failure,
    render_report,
)

EXERCISE_FILE = "exercises/01-TP-Pratique-MediAI.md"


def exercise(
    ex_id: str,
    score: float,
    max_score: float,
    status: Status,
    *,
    review: bool = False,
    findings: list[Finding] | None = None,
) -> ExerciseReport:
    return ExerciseReport(
        id=ex_id,
        title=f"Exercise {ex_id}",
        part=ex_id[0],
        status=status,
        score=score,
        max_score=max_score,
        manual_review=review,
        findings=findings or [],
    )


def report(
    *exercises: ExerciseReport, ungraded: float = 0, citus: str | None = "12.1.12"
) -> Report:
    return Report(
        lab_id="mediai",
        lab_version="1",
        score=sum(e.score for e in exercises),
        max_score=sum(e.max_score for e in exercises),
        ungraded_points=ungraded,
        engine=Engine(backend="local", postgres_version="15.20", citus_version=citus),
        commit="0123456789abcdef0123456789abcdef01234567",
        exercises=list(exercises),
    )


def test_title_says_what_could_not_be_graded() -> None:
    r = report(
        exercise("1.1a", 46, 74, Status.PARTIAL),
        exercise("2.1", 0, 26, Status.UNGRADED),
        ungraded=26,
        citus=None,
    )
    content = render_report(r, pass_mark=50)
    assert content.title == "Score 46/100 (26 points ungraded: need Citus)"
    assert "without Citus" in content.summary
    assert "| 2.1 | Exercise 2.1 | not graded | 0/26 |" in content.summary


def test_title_with_everything_graded() -> None:
    r = report(exercise("1.1a", 72.5, 100, Status.PARTIAL))
    assert render_report(r, pass_mark=50).title == "Score 72.5/100"


@pytest.mark.parametrize(
    ("exercises", "ungraded", "expected"),
    [
        ([exercise("1.1a", 60, 100, Status.PARTIAL)], 0, "success"),
        ([exercise("1.1a", 40, 100, Status.PARTIAL)], 0, "failure"),
        # 40 certain + 26 ungraded could pass or fail: the check does not pretend to know
        (
            [exercise("1.1a", 40, 74, Status.PARTIAL), exercise("2.1", 0, 26, Status.UNGRADED)],
            26,
            "neutral",
        ),
        # 55 points, 10 of them provisional: 45 certain, could fall under 50
        (
            [
                exercise("1.1a", 45, 80, Status.PARTIAL),
                exercise("Q1", 10, 20, Status.PASSED, review=True),
            ],
            0,
            "neutral",
        ),
        # passes without the provisional points: success whatever the review says
        (
            [
                exercise("1.1a", 70, 80, Status.PARTIAL),
                exercise("Q1", 10, 20, Status.PASSED, review=True),
            ],
            0,
            "success",
        ),
        # even full marks on the pending points would not reach 50: failure is certain
        (
            [exercise("1.1a", 10, 90, Status.PARTIAL), exercise("2.1", 0, 10, Status.UNGRADED)],
            10,
            "failure",
        ),
    ],
)
def test_conclusion_never_claims_more_than_known(
    exercises: list[ExerciseReport], ungraded: float, expected: str
) -> None:
    assert conclusion_for(report(*exercises, ungraded=ungraded), pass_mark=50) == expected


def test_error_report_is_neutral_with_its_cause() -> None:
    r = Report(lab_id="mediai", lab_version="1", status=RunStatus.ERROR, error="node down")
    assert conclusion_for(r, 50) == "neutral"
    content = render_failure("node down", commit="0123456789abcdef")
    assert content.conclusion == "neutral"
    assert content.title == "Not graded"
    assert "node down" in content.summary and "not a grade" in content.summary


def test_annotations_on_exact_lines_with_levels() -> None:
    findings = [
        Finding(
            code="result.missing-rows",
            message="2 rows missing",
            exercise="1.1a",
            file=EXERCISE_FILE,
            line=42,
            end_line=48,
            severity=Severity.ERROR,
            detail="expected | got",
        ),
        Finding(
            code="answer.short",
            message="short",
            exercise="Q1",
            file=EXERCISE_FILE,
            line=300,
            severity=Severity.WARNING,
        ),
        Finding(
            code="review",
            message="read by a person",
            exercise="Q1",
            file=EXERCISE_FILE,
            line=301,
            severity=Severity.INFO,
        ),
        Finding(code="no-line", message="not anchored", exercise="1.1a"),
    ]
    r = report(exercise("1.1a", 1, 10, Status.PARTIAL, findings=findings))
    annotations = render_report(r, pass_mark=50).annotations
    assert [(a["start_line"], a["end_line"], a["annotation_level"]) for a in annotations] == [
        (42, 48, "failure"),
        (300, 300, "warning"),
        (301, 301, "notice"),
    ]
    assert annotations[0]["path"] == EXERCISE_FILE
    assert annotations[0]["raw_details"] == "expected | got"
    assert annotations[0]["title"] == "Exercise 1.1a: result.missing-rows"
    assert "not anchored" in render_report(r, pass_mark=50).text


def test_annotations_batched_by_fifty() -> None:
    findings = [
        Finding(code="c", message=f"m{i}", exercise="1.1a", file=EXERCISE_FILE, line=i + 1)
        for i in range(120)
    ]
    content = render_report(
        report(exercise("1.1a", 0, 10, Status.FAILED, findings=findings)), pass_mark=50
    )
    batches = content.annotation_batches()
    assert [len(b) for b in batches] == [50, 50, 20]
    assert all(len(b) <= ANNOTATIONS_PER_REQUEST for b in batches)
    assert render_report(
        report(exercise("1.1a", 1, 1, Status.PASSED)), pass_mark=50
    ).annotation_batches() == [[]]


def test_long_texts_are_cut_with_a_marker() -> None:
    huge = "x" * 200_000
    findings = [
        Finding(code="c", message=huge, exercise="1.1a", file=EXERCISE_FILE, line=1, detail=huge)
    ]
    content = render_report(
        report(exercise("1.1a", 0, 10, Status.FAILED, findings=findings)), pass_mark=50
    )
    assert len(content.text) <= MAX_TEXT and "cut:" in content.text
    message = content.annotations[0]["message"]
    assert len(message.encode()) <= MAX_ANNOTATION_BYTES and message.endswith("(cut)")
    assert clip("short", 10) == "short"


def test_multibyte_annotation_cut_stays_valid_utf8() -> None:
    findings = [
        Finding(code="c", message="é" * 40_000, exercise="1.1a", file=EXERCISE_FILE, line=1)
    ]
    content = render_report(
        report(exercise("1.1a", 0, 10, Status.FAILED, findings=findings)), pass_mark=50
    )
    assert len(content.annotations[0]["message"].encode("utf-8")) <= MAX_ANNOTATION_BYTES


def test_pipes_in_titles_do_not_break_the_table() -> None:
    ex = exercise("3.2", 5, 5, Status.PASSED).model_copy(update={"title": "a | b"})
    assert "| 3.2 | a \\| b | passed | 5/5 |" in render_report(report(ex), pass_mark=50).summary


@pytest.mark.skipif(
    not OPENAPI.is_file(), reason=f"GitHub's OpenAPI excerpt not found at {OPENAPI}"
)
def test_rendered_output_conforms_to_the_published_schema() -> None:
    findings = [
        Finding(code="c", message="m", exercise="1.1a", file=EXERCISE_FILE, line=i + 1, detail="d")
        for i in range(60)
    ]
    content = render_report(
        report(exercise("1.1a", 3, 10, Status.PARTIAL, findings=findings)), pass_mark=50
    )
    checker = OpenAPIChecker()
    op, params = checker.match("PATCH", "/repos/o/r/check-runs/1") or (None, {})
    assert op is not None
    first, last = content.annotation_batches()
    body = {
        "status": "completed",
        "conclusion": content.conclusion,
        "completed_at": "2025-01-01T00:00:00Z",
        "output": content.output(last),
        "actions": [RERUN_ACTION],
    }
    assert checker.request_errors(op, params, body) == []
    too_many = {"output": content.output(first + last)}
    assert any("too long" in e for e in checker.request_errors(op, params, too_many))
