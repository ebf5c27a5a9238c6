"""Exercise 1.1b judged by what it checks: that the fragments add up to TrainingData.
Pure: hand-built traces of what the engine returns for SQL students really write."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.checks import REGISTRY, completeness
from grader.checks.base import CheckContext, CheckResult
from grader.core.lab import CheckSpec, Lab, load_lab
from grader.core.trace import ExerciseRun, StatementOutcome

LAB = Path(__file__).resolve().parents[1] / "rubrics" / "mediai"
VIEWS = ["trainingdata_paris", "trainingdata_tunis", "trainingdata_montreal", "trainingdata_tokyo"]
UNION = " UNION ALL ".join(f"SELECT '{v}', COUNT(*) FROM {v}" for v in VIEWS)
REFERENCE_SQL = UNION + " UNION ALL SELECT 'TrainingData', COUNT(*) FROM TrainingData"
SUM = " + ".join(f"(SELECT COUNT(*) FROM {v})" for v in VIEWS)


@pytest.fixture(scope="module")
def lab() -> Lab:
    return load_lab(LAB)


def _spec(lab: Lab) -> CheckSpec:
    exercise = next(e for e in lab.exercises if e.id == "1.1b")
    return next(c for c in exercise.checks if c.type == "completeness")


def _run(sql: str, columns: list[str], rows: list[list[str]]) -> ExerciseRun:
    stmt = StatementOutcome(
        sql=sql, line=5, kind="select", columns=columns, rows=[tuple(r) for r in rows]
    )
    return ExerciseRun(exercise="1.1b", statements=[stmt])


REFERENCE = _run(
    REFERENCE_SQL,
    ["fragment", "nb_rows"],
    [
        ["Paris", "4"],
        ["Tunis", "3"],
        ["Montreal", "3"],
        ["Tokyo", "3"],
        ["Total", "13"],
        ["TrainingData", "13"],
    ],
)


def _grade(lab: Lab, student: ExerciseRun) -> CheckResult:
    exercise = next(e for e in lab.exercises if e.id == "1.1b")
    ctx = CheckContext(
        lab=lab,
        exercise=exercise,
        answer=None,
        template=None,
        student=student,
        reference=REFERENCE,
        engine=None,
        exercise_file=lab.exercise_file,
    )
    return completeness.check(ctx, _spec(lab))


def _codes(result: CheckResult) -> list[str]:
    return [f.code for f in result.findings]


def test_the_rubric_uses_the_check_and_no_literal_count(lab: Lab) -> None:
    spec = _spec(lab)
    assert REGISTRY["completeness"] is completeness.check
    assert "13" not in repr(spec.params)


def test_the_reference_style_union_earns_full_points(lab: Lab) -> None:
    # The handout's own form: one row per fragment, then the table's count.
    result = _grade(lab, REFERENCE)
    assert result.score == 1.0 and not result.findings


def test_a_boolean_comparison_earns_full_points(lab: Lab) -> None:
    # A TA accepts a query whose answer is the comparison itself.
    sql = f"SELECT {SUM} = (SELECT COUNT(*) FROM TrainingData) AS complete"
    result = _grade(lab, _run(sql, ["complete"], [["t"]]))
    assert result.score == 1.0 and not result.findings


def test_a_difference_of_zero_earns_full_points(lab: Lab) -> None:
    sql = f"SELECT (SELECT COUNT(*) FROM TrainingData) - ({SUM}) AS missing_rows"
    result = _grade(lab, _run(sql, ["missing_rows"], [["0"]]))
    assert result.score == 1.0


def test_counts_through_a_view_the_student_made_are_still_counted(lab: Lab) -> None:
    made = StatementOutcome(
        sql=f"CREATE VIEW counts AS {REFERENCE_SQL}", kind="create_view", command_tag="CREATE VIEW"
    )
    shown = REFERENCE.statements[0].model_copy(update={"sql": "SELECT * FROM counts"})
    result = _grade(lab, ExerciseRun(exercise="1.1b", statements=[made, shown]))
    assert result.score == 1.0


def test_fragment_counts_without_the_table_earn_half(lab: Lab) -> None:
    # Half the demonstration: nothing says the table holds as many rows.
    rows = [["Paris", "4"], ["Tunis", "3"], ["Montreal", "3"], ["Tokyo", "3"]]
    result = _grade(lab, _run(UNION, ["site", "n"], rows))
    assert result.score == 0.5
    assert _codes(result) == ["completeness.missing"]
    assert "TrainingData" in result.findings[0].message


def test_typed_in_numbers_earn_nothing(lab: Lab) -> None:
    result = _grade(
        lab, _run("SELECT 4, 3, 3, 3, 13", ["a", "b", "c", "d", "e"], [["4", "3", "3", "3", "13"]])
    )
    assert result.score == 0.0 and _codes(result) == ["completeness.hard-coded"]
    assert "typed in" in result.findings[0].message


def test_a_literal_true_without_the_views_earns_nothing(lab: Lab) -> None:
    result = _grade(lab, _run("SELECT true AS complete", ["complete"], [["t"]]))
    assert result.score == 0.0 and _codes(result) == ["completeness.hard-coded"]


def test_wrong_fragment_counts_earn_nothing(lab: Lab) -> None:
    # Counting only the rows with a score: the numbers no longer add up to the table's.
    sql = REFERENCE_SQL.replace("COUNT(*)", "COUNT(score)")
    rows = [["Paris", "2"], ["Tunis", "3"], ["Montreal", "1"], ["Tokyo", "3"], ["TD", "13"]]
    result = _grade(lab, _run(sql, ["f", "n"], rows))
    assert result.score == 0.0 and _codes(result) == ["completeness.missing"]
    assert "4, 3, 3, 3" in result.findings[0].message and "13" in result.findings[0].message


def test_a_forgotten_fragment_is_named(lab: Lab) -> None:
    sql = REFERENCE_SQL.replace("trainingdata_tokyo", "trainingdata_tunis")
    result = _grade(
        lab, _run(sql, ["f", "n"], [["P", "4"], ["T", "3"], ["M", "3"], ["T2", "3"], ["TD", "13"]])
    )
    assert result.score == 0.5 and "completeness.unread" in _codes(result)
    assert "trainingdata_tokyo" in result.findings[-1].message


def test_a_comparison_that_answers_false_earns_half(lab: Lab) -> None:
    sql = f"SELECT {SUM} = (SELECT COUNT(*) FROM TrainingData) - 1 AS complete"
    result = _grade(lab, _run(sql, ["complete"], [["f"]]))
    assert result.score == 0.5 and _codes(result) == ["completeness.missing"]


def test_no_result_earns_nothing(lab: Lab) -> None:
    result = _grade(lab, ExerciseRun(exercise="1.1b"))
    assert result.score == 0.0 and _codes(result) == ["completeness.none"]
