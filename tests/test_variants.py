"""Hard-coding caught by data variation, on the real Citus engine: answers typed from the
seed's rows lose their result/objects points with a named finding; correct answers, written
like the reference or otherwise, keep every point on the variant data sets too.

Each submission is the complete example with some answers rewritten as a student might.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from local_cluster_support import HAS_CITUS, needs_postgres

from grader.checks import variants
from grader.checks.base import CheckContext, CheckResult, VariantRun
from grader.cluster.base import JobDatabase
from grader.cluster.spare_copies import SpareCopies
from grader.core.lab import default_lab_path, load_lab
from grader.core.report import ExerciseReport, Report, RunStatus
from grader.core.trace import ExerciseRun, StatementOutcome
from grader.pipeline.session import GradingSession
from grader.settings import Settings

CITUS_MARKS = [
    needs_postgres,
    pytest.mark.postgres,
    pytest.mark.citus,
    pytest.mark.slow,
    pytest.mark.skipif(not HAS_CITUS, reason="the Citus extension is not installed"),
]
T = TypeVar("T")


def on_citus(test: T) -> T:
    for mark in CITUS_MARKS:
        test = mark(test)
    return test


LAB = load_lab(default_lab_path())
COMPLETE = LAB.root / "examples" / "complete"

# 3.2's seed result, typed in: right on the seed, and nowhere else.
SEED_32 = [
    ("Tokyo", "CardioScan-2", 1, "0.9547"),
    ("Tunis", "NephroAI-1", 2, "0.9458"),
    ("Paris", "PulmoVision-1", 1, "0.9412"),
    ("Montreal", "NephroAI-1", 1, "0.9378"),
    ("Tokyo", "DiagNet-3", 1, "0.9215"),
    ("Paris", "CardioScan-2", 1, "0.9123"),
    ("Montreal", "DiagNet-3", 1, "0.9056"),
    ("Tokyo", "NephroAI-1", 1, "0.9002"),
    ("Tunis", "CardioScan-2", 1, "0.8892"),
    ("Tokyo", "PulmoVision-1", 1, "0.8839"),
    ("Paris", "DiagNet-3", 1, "0.8765"),
    ("Montreal", "PulmoVision-1", 1, "0.8713"),
    ("Tunis", "DiagNet-3", 1, "0.8457"),
]
VALUES_32 = (
    "SELECT * FROM (VALUES\n"
    + ",\n".join(f"  ('{s}', '{m}', {n}, {a})" for s, m, n, a in SEED_32)
    + "\n) AS t(site, model, nb_exams, avg_score)\nORDER BY avg_score DESC;"
)
UNION_32 = (
    "\nUNION ALL\n".join(
        f"SELECT '{s}' AS site, '{m}' AS model, {n} AS nb_exams, {a} AS avg_score"
        for s, m, n, a in SEED_32
    )
    + "\nORDER BY avg_score DESC;"
)
CTE_32 = """
WITH scored AS (
  SELECT p.siteorigin AS "Site", m.aimodelused AS "Model", m.aiscore
  FROM medicalrecords m
  JOIN patients p ON p.idpatient = m.idpatient AND p.country = m.country
)
SELECT "Site", "Model", count(*) AS exams, round(avg(aiscore), 4) AS average
FROM scored
GROUP BY "Site", "Model"
ORDER BY average DESC;
"""
LIMIT_32 = """
SELECT p.siteOrigin, mr.aiModelUsed, COUNT(*) AS nb_exams, ROUND(AVG(mr.aiScore), 4) AS avg_score
FROM MedicalRecords mr
JOIN Patients p ON p.idPatient = mr.idPatient AND p.country = mr.country
GROUP BY p.siteOrigin, mr.aiModelUsed
ORDER BY avg_score DESC
LIMIT 13;
"""


def views_11a(predicates: dict[str, str]) -> str:
    return "\n".join(
        f"CREATE OR REPLACE VIEW TrainingData_{site} AS SELECT * FROM TrainingData WHERE {where};"
        for site, where in predicates.items()
    )


IDS_11A = views_11a(
    {
        "Paris": "idData IN (1, 2, 3, 4)",
        "Tunis": "idData IN (5, 6, 7)",
        "Montreal": "idData IN (8, 9, 10)",
        "Tokyo": "idData IN (11, 12, 13)",
    }
)
# Columns listed, IN with one value, a function on the column: all correct.
OTHER_11A = (
    "\n".join(
        f"CREATE VIEW trainingdata_{site.lower()} AS\n"
        "  SELECT iddata, siteorigin, modelname, datasetname, nbsamples, accuracy, collectedat\n"
        f"  FROM trainingdata WHERE {where};"
        for site, where in {
            "Paris": "siteorigin IN ('Paris')",
            "Tunis": "siteorigin = ANY (ARRAY['Tunis'])",
            "Montreal": "lower(siteorigin) = 'montreal'",
            "Tokyo": "siteorigin LIKE 'Tok%'",
        }.items()
    )
    + "\nSELECT idData, siteOrigin, modelName, nbSamples FROM TrainingData_Tokyo ORDER BY idData;"
)


def rewrite(folder: Path, answers: dict[str, str]) -> Path:
    """The complete example with the first SQL block of each named exercise replaced."""
    shutil.copytree(COMPLETE, folder)
    path = folder / LAB.exercise_file
    text = path.read_text(encoding="utf-8")
    for exercise, sql in answers.items():
        heading = re.search(rf"^### Exercise {re.escape(exercise)} .*$", text, re.M)
        assert heading is not None, exercise
        block = re.compile(r"```sql\n.*?```", re.S).search(text, heading.end())
        assert block is not None, exercise
        text = text[: block.start()] + f"```sql\n{sql.strip()}\n```" + text[block.end() :]
    path.write_text(text, encoding="utf-8")
    return folder


def test_the_varied_exercises_are_the_result_and_object_ones_not_bound_to_citus() -> None:
    varied = {e.id for e in LAB.varied_exercises}
    assert varied == {"1.1a", "1.2b", "1.3", "3.2"}
    for ex in LAB.varied_exercises:
        assert not ex.requires_citus, ex.id
        assert {c.type for c in ex.checks} & {"result", "objects"}, ex.id
        # It takes points away; it must not dilute the other checks' weights.
        assert all(c.weight == 0 for c in ex.checks if c.type == "variants"), ex.id
    assert [v.name for v in LAB.variants] == ["reshuffled"]


@pytest.fixture(scope="module")
def session() -> Iterator[GradingSession]:
    settings = Settings()
    settings.local.citus = "on"
    with GradingSession.open(settings, LAB) as opened:
        yield opened


def exercise(report: Report, exercise_id: str) -> ExerciseReport:
    assert report.status is RunStatus.COMPLETED, report.error
    return next(e for e in report.exercises if e.id == exercise_id)


def codes(report: Report, exercise_id: str) -> set[str]:
    return {f.code for f in exercise(report, exercise_id).findings}


@on_citus
def test_the_reference_like_answers_keep_every_point(session: GradingSession) -> None:
    # The complete example answers every varied exercise as the reference does: the same
    # SQL gives the reference's rows on the variant data set, so nothing is taken.
    report = session.grade_checkout(COMPLETE)
    for varied in LAB.varied_exercises:
        got = exercise(report, varied.id)
        assert got.score == got.max_score, (varied.id, got.findings)
        assert not any(c.endswith(".seed-only") for c in codes(report, varied.id))


@on_citus
def test_values_typed_from_the_seed_lose_the_result_points(
    session: GradingSession, tmp_path: Path
) -> None:
    # A TA reads 3.2's VALUES list as the pasted result retyped: no query computes it, so
    # the result points (5 of 10) go; 1.1a's views pick Paris's rows by their seed ids,
    # which is not a fragmentation by site: the objects points (4 of 8) go.
    report = session.grade_checkout(
        rewrite(tmp_path / "values", {"1.1a": IDS_11A, "3.2": VALUES_32})
    )
    assert "result.seed-only" in codes(report, "3.2")
    assert exercise(report, "3.2").score <= 10 - 5
    assert "objects.seed-only" in codes(report, "1.1a")
    assert exercise(report, "1.1a").score <= 8 - 4
    finding = next(f for f in exercise(report, "3.2").findings if f.code == "result.seed-only")
    assert "only on the lab's own data" in finding.message
    assert finding.detail and "reshuffled" in finding.detail


@on_citus
def test_literals_and_a_limit_that_cuts_right_lose_the_result_points(
    session: GradingSession, tmp_path: Path
) -> None:
    # UNION ALL of literals is the same typed-in result; LIMIT 13 happens to keep all of the
    # seed's 13 groups, and on the variant's 14 it drops one: a TA marks both wrong.
    unions = session.grade_checkout(rewrite(tmp_path / "unions", {"3.2": UNION_32}))
    assert "result.seed-only" in codes(unions, "3.2")
    assert exercise(unions, "3.2").score <= 10 - 5
    limited = session.grade_checkout(rewrite(tmp_path / "limit", {"3.2": LIMIT_32}))
    assert "result.seed-only" in codes(limited, "3.2")
    assert exercise(limited, "3.2").score <= 10 - 5


@on_citus
def test_correct_answers_written_otherwise_keep_every_point(
    session: GradingSession, tmp_path: Path
) -> None:
    # Other column names, a CTE, listed columns, IN/ANY/LIKE predicates: each computes the
    # answer from the tables, so it matches the reference on the variant as on the seed.
    report = session.grade_checkout(rewrite(tmp_path / "other", {"1.1a": OTHER_11A, "3.2": CTE_32}))
    for exercise_id in ("1.1a", "3.2"):
        found = codes(report, exercise_id)
        assert not any(c.endswith(".seed-only") for c in found), found
        assert not {"result.rows", "objects.content"} & found, found
    assert exercise(report, "1.1a").score == 8


def test_each_template_has_its_own_spare_copy() -> None:
    # A variant's job must never be handed the seed's spare, nor the seed's job a variant's:
    # the copy would hold the other data set's rows.
    made: list[str] = []
    dropped: list[str] = []

    def make(template: str, job_id: str) -> JobDatabase:
        made.append(template)
        return JobDatabase(name=f"{template}:{job_id}", student_dsn="", admin_dsn="")

    spares = SpareCopies(make, lambda job: dropped.append(job.name))
    try:
        spares.refill("lab_seed")
        spares.refill("lab_variant")
        spares.refill("lab_seed")  # one already on its way: not made twice
        variant = spares.take("lab_variant")
        seed = spares.take("lab_seed")
        assert variant is not None and variant.name.startswith("lab_variant:")
        assert seed is not None and seed.name.startswith("lab_seed:")
        assert spares.take("lab_seed") is None  # taken: the job copies the template itself
        assert sorted(made) == ["lab_seed", "lab_variant"]
        spares.refill("lab_variant")
    finally:
        spares.close()
    assert len(dropped) == 1 and dropped[0].startswith("lab_variant:")  # closed with its spare


def _run(exercise_id: str, rows: list[tuple[str, ...]] | None) -> ExerciseRun:
    columns = ["site", "model", "nb_exams", "avg_score"]
    stmt = StatementOutcome(sql="SELECT ...", kind="select", line=3, columns=columns, rows=rows)
    return ExerciseRun(exercise=exercise_id, statements=[stmt] if rows is not None else [])


def _judge(seed: tuple[list[Any] | None, list[Any] | None], there: tuple[Any, Any]) -> CheckResult:
    ex = LAB.exercise("3.2")
    ctx = CheckContext(
        lab=LAB,
        exercise=ex,
        answer=None,
        template=None,
        student=_run(ex.id, seed[0]),
        reference=_run(ex.id, seed[1]),
        engine=None,
        exercise_file=LAB.exercise_file,
        variants=(VariantRun("v", "other rows", _run(ex.id, there[0]), _run(ex.id, there[1])),),
    )
    spec = next(c for c in ex.checks if c.type == "variants")
    return variants.check(ctx, spec)


SEED_ROWS = [("Tokyo", "CardioScan-2", "1", "0.9547")]
VARIANT_ROWS = [("Paris", "CardioScan-2", "1", "0.9744")]


def test_the_variants_check_voids_only_a_result_right_on_the_seed_alone() -> None:
    typed = _judge((SEED_ROWS, SEED_ROWS), (SEED_ROWS, VARIANT_ROWS))
    assert typed.voids == {"result"} and typed.score == 0
    assert [f.code for f in typed.findings] == ["result.seed-only"]
    # Wrong on the seed already: the result check took the points; not taken twice.
    wrong = _judge((VARIANT_ROWS, SEED_ROWS), (VARIANT_ROWS, VARIANT_ROWS))
    assert wrong.voids == frozenset() and wrong.score == 1 and not wrong.findings
    # Computed: right on both data sets.
    computed = _judge((SEED_ROWS, SEED_ROWS), (VARIANT_ROWS, VARIANT_ROWS))
    assert computed.voids == frozenset() and computed.score == 1
    # The reference gives nothing on the variant: the lab's fault, never the student's.
    broken = _judge((SEED_ROWS, SEED_ROWS), (SEED_ROWS, None))
    assert broken.voids == frozenset() and broken.score == 1
