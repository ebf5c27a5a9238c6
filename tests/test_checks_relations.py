"""Results compared as relations: columns matched by name, then by content, on SQL a
student really writes, run on the engine beside the reference; each verdict is a TA's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from local_cluster_support import VARIANTS, exercise, needs_postgres, started, write_tiny_lab

from grader.checks import result
from grader.checks.base import CheckContext, CheckResult
from grader.checks.columns import align, column_key
from grader.cluster.base import JobDatabase
from grader.core.lab import CheckSpec, Exercise, Lab
from grader.core.trace import ExerciseRun, StatementOutcome
from grader.run.execute import execute
from grader.settings import Limits

RESULT = CheckSpec(type="result")
LIMITS = Limits(statement_seconds=5, exercise_seconds=20, job_seconds=60, max_rows_kept=50)

# Per patient: how many visits, and the mean score of the scored ones.
REFERENCE = """SELECT p.name, count(v.idVisit) AS visits, round(avg(v.score), 2) AS avg_score
FROM Patients p JOIN Visits v ON v.idPatient = p.idPatient AND v.country = p.country
GROUP BY p.name"""


def _ctx(lab: Lab, student: ExerciseRun, reference: ExerciseRun, spec: CheckSpec) -> CheckContext:
    ex = Exercise(id="1.1", part="1", title="Visits per patient", points=10, checks=[spec])
    return CheckContext(
        lab=lab,
        exercise=ex,
        answer=None,
        template=None,
        student=student,
        reference=reference,
        engine=None,
        exercise_file=lab.exercise_file,
    )


def _outcome(columns: list[str], rows: list[list[str | None]]) -> ExerciseRun:
    stmt = StatementOutcome(
        sql="select", line=3, kind="select", columns=columns, rows=[tuple(r) for r in rows]
    )
    return ExerciseRun(exercise="1.1", statements=[stmt])


# -- pure: the matching itself ------------------------------------------------------------


def test_names_match_across_case_quotes_and_table_prefixes() -> None:
    assert column_key('p."Name"') == column_key("NAME") == "name"


def test_content_finds_the_permutation_that_makes_the_bags_equal() -> None:
    # Two integer columns whose values coincide one by one but not as rows: only the right
    # permutation makes the bags of rows equal.
    expected = [["1", "2"], ["2", "1"], ["3", "3"]]
    actual = [["1", "2"], ["2", "1"], ["3", "3"]]
    found = align(["a", "b"], expected, ["x", "y"], actual, 0.0)
    assert found.pairs == (0, 1) and not found.extra
    swapped = [[r[1], r[0], "z"] for r in [["1", "9"], ["2", "8"]]]
    found = align(["a", "b"], [["1", "9"], ["2", "8"]], ["y", "x", "extra"], swapped, 0.0)
    assert found.pairs == (1, 0) and found.extra == (2,)


def test_a_diff_is_shown_under_the_students_names(lab: Lab) -> None:
    ref = _outcome(["name", "visits"], [["Ann", "2"], ["Bob", "1"]])
    stu = _outcome(["nombre_visites", "patient"], [["2", "Ann"], ["3", "Bob"]])
    res = result.check(_ctx(lab, stu, ref, RESULT), RESULT)
    assert res.score == 0
    detail = next(f.detail for f in res.findings if f.code == "result.rows") or ""
    assert "patient" in detail and "nombre_visites" in detail


def test_a_fixed_column_order_is_named_in_the_finding(lab: Lab) -> None:
    spec = CheckSpec.model_validate({"type": "result", "fixed_columns": True})
    ref = _outcome(["name", "visits"], [["Ann", "2"]])
    stu = _outcome(["visits", "name"], [["2", "Ann"]])
    res = result.check(_ctx(lab, stu, ref, spec), spec)
    assert res.score == 0.75
    order = next(f for f in res.findings if f.code == "result.column-order")
    assert "name, visits" in order.message


# -- on the engine: what a TA gives ------------------------------------------------------

# (label, student SQL, score a TA gives, finding code expected or None)
CASES = [
    ("columns reordered", """SELECT round(avg(v.score), 2) AS avg_score, p.name,
        count(v.idVisit) AS visits FROM Patients p JOIN Visits v
        ON v.idPatient = p.idPatient AND v.country = p.country GROUP BY p.name""", 1.0, None),
    ("French aliases, JOIN USING", """SELECT name AS nom, count(idVisit) AS nb_visites,
        round(avg(score), 2) AS score_moyen FROM Patients JOIN Visits USING (idPatient, country)
        GROUP BY name""", 1.0, None),
    ("quoted aliases in capitals", """SELECT p.name AS "NAME", count(*) AS "VISITS",
        round(avg(v.score), 2) AS "AVG_SCORE" FROM Patients p, Visits v
        WHERE v.idPatient = p.idPatient AND v.country = p.country GROUP BY p.name""", 1.0, None),
    ("window function", """SELECT DISTINCT p.name,
        count(*) OVER w AS visits, round(avg(v.score) OVER w, 2) AS avg_score
        FROM Patients p JOIN Visits v ON v.idPatient = p.idPatient AND v.country = p.country
        WINDOW w AS (PARTITION BY p.name)""", 1.0, None),
    ("IN subquery with a CTE", """WITH seen AS (SELECT idPatient, country, idVisit, score
        FROM Visits WHERE (idPatient, country) IN (SELECT idPatient, country FROM Patients))
        SELECT (SELECT name FROM Patients p WHERE p.idPatient = s.idPatient
        AND p.country = s.country) AS name, count(*) AS visits, round(avg(score), 2) AS avg_score
        FROM seen s GROUP BY 1""", 1.0, None),
    # An extra column: the rows are right, the relation is not what was asked; half.
    ("extra column", """SELECT p.name, p.country, count(v.idVisit) AS visits,
        round(avg(v.score), 2) AS avg_score FROM Patients p JOIN Visits v
        ON v.idPatient = p.idPatient AND v.country = p.country GROUP BY p.name, p.country""",
     0.5, "result.extra-columns"),
    ("missing column", """SELECT p.name, count(v.idVisit) AS visits FROM Patients p
        JOIN Visits v ON v.idPatient = p.idPatient AND v.country = p.country GROUP BY p.name""",
     0.5, "result.missing-columns"),
    # A filter the exercise does not ask for drops visits: wrong counts, no points.
    ("wrong filter", """SELECT p.name, count(v.idVisit) AS visits,
        round(avg(v.score), 2) AS avg_score FROM Patients p JOIN Visits v
        ON v.idPatient = p.idPatient AND v.country = p.country WHERE v.urgent
        GROUP BY p.name""", 0.0, "result.rows"),
    ("missing rows", REFERENCE + " ORDER BY 1 LIMIT 2", 0.0, "result.rows"),
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return write_tiny_lab(tmp_path_factory.mktemp("relations-lab"))


@pytest.fixture(scope="module", params=VARIANTS)
def job(request: pytest.FixtureRequest, lab: Lab) -> Iterator[JobDatabase]:
    with started(request.param) as running:
        running.prepare_lab(lab)
        created = running.new_job(lab, "relations")
        yield created
        running.end_job(created)


def _run(job: JobDatabase, sql: str) -> ExerciseRun:
    runs, limit = execute(job, [exercise("1.1", sql)], LIMITS)
    assert limit is None
    return runs["1.1"]


@pytest.mark.postgres
@needs_postgres
@pytest.mark.parametrize(("label", "sql", "score", "code"), CASES, ids=[c[0] for c in CASES])
def test_a_ta_verdict_per_variant(
    job: JobDatabase, lab: Lab, label: str, sql: str, score: float, code: str | None
) -> None:
    res: CheckResult = result.check(_ctx(lab, _run(job, sql), _run(job, REFERENCE), RESULT), RESULT)
    codes = {f.code for f in res.findings}
    assert res.score == score, (label, [f.message for f in res.findings])
    if code is None:
        assert not codes, codes
    else:
        assert code in codes, codes
        if code != "result.rows":  # a column off is never "n missing, n unexpected rows"
            assert "result.rows" not in codes, codes

