"""The pure core on hand-built evidence: no database, so every rule is pinned exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.core.lab import CheckSpec, Exercise, Lab, Probe, SetupSpec
from grader.core.report import RunStatus, Status
from grader.core.trace import EngineInfo, ExerciseRun, Outcome, RunTrace, StatementOutcome
from grader.grading.grade import Evidence, grade
from grader.submission.model import Block, ExerciseAnswer, Submission

PLAIN = EngineInfo(backend="local", postgres_version="15.20")
CITUS = EngineInfo(backend="local", postgres_version="15.20", citus_version="12.1.12")
FILE = "exercises/lab.md"


def lab(*exercises: Exercise) -> Lab:
    return Lab(
        id="t",
        title="Test lab",
        version="1",
        database="t",
        exercise_file=FILE,
        distribution_keys={"patients": "country"},
        setup=SetupSpec(schema_sql="s.sql", distribute_sql="d.sql", seed_sql="x.sql"),
        exercises=list(exercises),
        root=Path("."),
    )


def exercise(id: str, *checks: CheckSpec, points: float = 10, **kw: object) -> Exercise:
    return Exercise(
        id=id, part=id[0], title=f"Exercise {id}", points=points, checks=list(checks), **kw
    )  # type: ignore[arg-type]


def answer(id: str, sql: str = "", prose: str = "", blanks: tuple[int, ...] = ()) -> ExerciseAnswer:
    return ExerciseAnswer(
        id=id,
        title="",
        heading_line=10,
        end_line=30,
        sql=[Block(sql, 12, 14, "sql")] if sql else [],
        prose=[Block(prose, 20, 21, "", fenced=False)] if prose else [],
        blank_lines=list(blanks),
    )


def result(
    rows: list[tuple[str | None, ...]], columns: list[str], line: int = 12
) -> StatementOutcome:
    return StatementOutcome(
        sql="select", line=line, kind="select", columns=columns, rows=rows, row_count=len(rows)
    )


def trace(engine: EngineInfo = PLAIN, **runs: ExerciseRun) -> RunTrace:
    return RunTrace(engine=engine, exercises={k.replace("_", "."): v for k, v in runs.items()})


def grade_one(
    ex: Exercise,
    ans: ExerciseAnswer | None,
    student: ExerciseRun | None,
    reference: ExerciseRun | None,
    engine: EngineInfo = PLAIN,
):  # type: ignore[no-untyped-def]
    sub = Submission(exercise_file=FILE, answers={ex.id: ans} if ans else {})
    ev = Evidence(
        run=RunTrace(engine=engine, exercises={ex.id: student} if student else {}),
        reference=RunTrace(engine=engine, exercises={ex.id: reference} if reference else {}),
    )
    return grade(sub, lab(ex), ev)


RESULT = CheckSpec(type="result")


def test_equal_bag_of_rows_scores_full_points() -> None:
    ref = ExerciseRun(
        exercise="3.2", statements=[result([("Paris", "2"), ("Tunis", "3")], ["a", "b"])]
    )
    got = ExerciseRun(
        exercise="3.2", statements=[result([("Tunis", "3.000"), ("Paris", "2")], ["x", "y"])]
    )
    report = grade_one(exercise("3.2", RESULT), answer("3.2", "select 1"), got, ref)
    ex = report.exercise("3.2")
    assert (ex.status, ex.score) == (Status.PASSED, 10)


def test_missing_and_extra_rows_are_shown() -> None:
    ref = ExerciseRun(
        exercise="3.2", statements=[result([("Paris", "2"), ("Tunis", "3")], ["a", "b"])]
    )
    got = ExerciseRun(
        exercise="3.2", statements=[result([("Paris", "2"), ("Tokio", "1")], ["a", "b"])]
    )
    ex = grade_one(exercise("3.2", RESULT), answer("3.2", "select 1"), got, ref).exercise("3.2")
    assert ex.status is Status.FAILED
    finding = next(f for f in ex.findings if f.code == "result.rows")
    assert (finding.file, finding.line) == (FILE, 12)
    assert finding.detail and "Tunis" in finding.detail and "Tokio" in finding.detail


def test_order_is_checked_only_when_asked_and_ties_may_swap() -> None:
    spec = CheckSpec.model_validate({"type": "result", "ordered": True, "order_key": [1]})
    ref_rows = [("a", "0.9"), ("b", "0.9"), ("c", "0.5")]
    ref = ExerciseRun(exercise="3.2", statements=[result(ref_rows, ["m", "s"])])
    tie_swapped = ExerciseRun(
        exercise="3.2", statements=[result([("b", "0.9"), ("a", "0.9"), ("c", "0.5")], ["m", "s"])]
    )
    wrong = ExerciseRun(
        exercise="3.2", statements=[result([("c", "0.5"), ("a", "0.9"), ("b", "0.9")], ["m", "s"])]
    )
    ans = answer("3.2", "select 1")
    assert grade_one(exercise("3.2", spec), ans, tie_swapped, ref).score == 10
    assert grade_one(exercise("3.2", spec), ans, wrong, ref).score == 5


def test_numeric_tolerance_is_the_rubrics() -> None:
    spec = CheckSpec.model_validate({"type": "result", "tolerance": 0.01})
    ref = ExerciseRun(exercise="3.2", statements=[result([("0.9812",)], ["avg"])])
    rounded = ExerciseRun(exercise="3.2", statements=[result([("0.98",)], ["avg"])])
    far = ExerciseRun(exercise="3.2", statements=[result([("0.95",)], ["avg"])])
    ans = answer("3.2", "select 1")
    assert grade_one(exercise("3.2", spec), ans, rounded, ref).score == 10
    assert grade_one(exercise("3.2", spec), ans, far, ref).score == 0


def test_missing_object_is_named_from_the_engines_error() -> None:
    probe = Probe(name="trainingdata_tokyo", sql="SELECT * FROM trainingdata_tokyo")
    spec = CheckSpec.model_validate({"type": "objects", "probes": ["trainingdata_tokyo"]})
    ex = exercise("1.1a", spec, probes=[probe])
    ok = StatementOutcome(sql=probe.sql, kind="select", columns=["id"], rows=[("1",)], row_count=1)
    err = StatementOutcome(
        sql=probe.sql,
        kind="select",
        outcome=Outcome.ERROR,
        error='relation "trainingdata_tokyo" does not exist',
    )
    report = grade_one(
        ex,
        answer("1.1a", "create view"),
        ExerciseRun(exercise="1.1a", probes={"trainingdata_tokyo": err}),
        ExerciseRun(exercise="1.1a", probes={"trainingdata_tokyo": ok}),
    )
    finding = next(f for f in report.exercise("1.1a").findings if f.code == "objects.missing")
    assert "does not exist" in finding.message and report.score == 0


def test_citus_exercise_is_ungraded_on_plain_postgresql_and_says_why() -> None:
    ex = exercise("1.4", RESULT, requires_citus=True, citus_reason="It reads Citus metadata.")
    ref = ExerciseRun(exercise="1.4", statements=[result([("32",)], ["count"])])
    plain = grade_one(ex, answer("1.4", "select 1"), ref, ref)
    assert plain.exercise("1.4").status is Status.UNGRADED
    assert plain.ungraded_points == 10 and plain.score == 0
    assert "Citus metadata" in plain.exercise("1.4").findings[0].message
    citus = grade_one(ex, answer("1.4", "select 1"), ref, ref, engine=CITUS)
    assert citus.exercise("1.4").status is Status.PASSED and citus.ungraded_points == 0


def test_unanswered_template_is_missing_not_failed() -> None:
    ex = exercise("1.2a", CheckSpec(type="written"))
    template = answer("1.2a", prose="___")
    sub = Submission(exercise_file=FILE, answers={"1.2a": template})
    ev = Evidence(
        run=trace(),
        reference=trace(),
        template=Submission(exercise_file=FILE, answers={"1.2a": template}),
    )
    ex_report = grade(sub, lab(ex), ev).exercise("1.2a")
    assert ex_report.status is Status.MISSING and ex_report.score == 0


def test_written_answer_is_provisional_and_short_ones_get_half() -> None:
    spec = CheckSpec.model_validate({"type": "written", "min_words": 10, "min_sentences": 3})
    ex = exercise("Q1", spec, points=2)
    long = (
        "The hardest part was distributing the tables. The call failed on a column name. "
        "I fixed it by using the folded lower-case name."
    )
    full = grade_one(ex, answer("Q1", prose=long), None, None).exercise("Q1")
    assert (full.score, full.manual_review) == (2, True)
    short = grade_one(ex, answer("Q1", prose="It was hard but I did it in the end."), None, None)
    assert short.exercise("Q1").score == 1
    assert "sentence" in short.exercise("Q1").findings[0].message


def test_blanks_point_at_their_lines() -> None:
    ex = exercise("1.1a", CheckSpec(type="blanks"))
    report = grade_one(ex, answer("1.1a", "where x = ___", blanks=(13, 15)), None, None)
    lines = [f.line for f in report.exercise("1.1a").findings]
    assert lines == [13, 15] and report.score == 0


def test_expected_error_counts_as_right() -> None:
    spec = CheckSpec.model_validate({"type": "executes", "expect_error": "cannot use 2PC"})
    err = StatementOutcome(
        sql="PREPARE TRANSACTION 'x'",
        line=40,
        kind="prepare_transaction",
        outcome=Outcome.ERROR,
        error="cannot use 2PC in transactions involving multiple servers",
    )
    other = err.model_copy(update={"error": 'syntax error at or near "___"'})
    ex = exercise("4.2", spec)
    ans = answer("4.2", "begin")
    assert (
        grade_one(ex, ans, ExerciseRun(exercise="4.2", statements=[err]), None, CITUS).score == 10
    )
    assert (
        grade_one(ex, ans, ExerciseRun(exercise="4.2", statements=[other]), None, CITUS).score == 0
    )


def test_infrastructure_failure_is_an_error_report_never_a_zero() -> None:
    ex = exercise("3.2", RESULT)
    sub = Submission(exercise_file=FILE, answers={"3.2": answer("3.2", "select 1")})
    broken = RunTrace(engine=PLAIN, infrastructure_error="node worker2 did not start")
    report = grade(sub, lab(ex), Evidence(run=broken, reference=trace()))
    assert report.status is RunStatus.ERROR and "worker2" in (report.error or "")
    assert report.exercises == []


def test_a_crashing_check_costs_one_check_not_the_report(monkeypatch: pytest.MonkeyPatch) -> None:
    from grader import checks

    def boom(ctx: object, spec: object) -> object:
        raise RuntimeError("bug")

    monkeypatch.setitem(checks.REGISTRY, "blanks", boom)
    ex = exercise("1.1a", CheckSpec(type="blanks"), CheckSpec(type="written", min_words=1))
    report = grade_one(ex, answer("1.1a", prose="A fine answer."), None, None)
    codes = [f.code for f in report.exercise("1.1a").findings]
    assert "check.crashed" in codes and report.exercise("1.1a").score == 5


def test_penalty_is_deducted_but_never_below_zero() -> None:
    ex = exercise("Q1", CheckSpec(type="written", min_words=1), points=2)
    sub = Submission(
        exercise_file=FILE, answers={"Q1": answer("Q1", prose="I answered this question in full.")}
    )
    report = grade(sub, lab(ex), Evidence(run=trace(), reference=trace(), penalty=5))
    assert (report.score, report.penalty) == (0, 2)
