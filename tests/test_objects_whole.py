"""Objects judged whole, under the names students use, and each exercise judged on its own.

The SQL runs on the engine (plain PostgreSQL and Citus) beside the reference's; every
expected verdict is what a TA gives reading the student's objects against the exercise."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from local_cluster_support import VARIANTS, exercise, needs_postgres, started, write_tiny_lab

from grader.checks import objects
from grader.checks.base import CheckContext, CheckResult
from grader.core.lab import CheckSpec, Exercise, Lab, Probe
from grader.core.names import match_names, name_key
from grader.core.trace import ExerciseRun
from grader.run.execute import PlannedExercise, execute
from grader.run.object_names import relations_read, rename_relations
from grader.run.prerequisites import Prerequisite
from grader.settings import Limits

LIMITS = Limits(statement_seconds=5, exercise_seconds=20, job_seconds=60, max_rows_kept=50)
SYNONYMS = {"urgentes": "urgent", "visites": "visits"}
PROBE = Probe(name="urgent_visits", sql="SELECT * FROM urgent_visits ORDER BY 1")
REFERENCE = (
    "CREATE VIEW urgent_visits AS SELECT idVisit, idPatient, country, score FROM Visits"
    " WHERE urgent"
)
OBJECTS = CheckSpec(type="objects")

# -- pure: names as a TA reads them --------------------------------------------------------


def test_accents_case_quotes_separators_and_french_words_fold_together() -> None:
    assert name_key("TrainingData_Montréal") == name_key('"trainingdata_montreal"')
    assert name_key("TrainingDataMontreal") == name_key("trainingdata_montreal")
    clinique = name_key("MedicalRecords_Clinique", {"clinique": "clinical"})
    assert clinique == name_key("medicalrecords_clinical")
    assert name_key("MedicalRecords_Clinique") != name_key("medicalrecords_clinical")


def test_an_existing_name_is_kept_and_an_ambiguous_one_is_not_guessed() -> None:
    present = ["trainingdata_paris", "TrainingData_Montréal", "Trans_JP", "trans_j_p"]
    found = match_names(["trainingdata_paris", "trainingdata_montreal", "trans_jp"], present)
    assert found == {"trainingdata_montreal": "TrainingData_Montréal"}


def test_probes_are_rewritten_to_the_students_quoted_name() -> None:
    sql = "SELECT * FROM a JOIN b USING (id) ORDER BY 1"
    assert relations_read(sql) == {"a", "b"}
    rewritten = rename_relations(sql, {"b": "Bé"})
    assert '"Bé"' in rewritten and relations_read(rewritten) == {"a", "Bé"}
    assert rename_relations(sql, {}) == sql


# -- on the engine -----------------------------------------------------------------------

# (label, student SQL, score a TA gives, finding codes expected)
CASES = [
    ("same view", REFERENCE, 1.0, set()),
    (
        "quoted mixed-case name",
        REFERENCE.replace("urgent_visits", '"Urgent_Visits"'),
        1.0,
        {"objects.renamed"},
    ),
    (
        "French name",
        REFERENCE.replace("urgent_visits", "Urgentes_Visites"),
        1.0,
        {"objects.renamed"},
    ),
    (
        "a column list, columns in another order",
        "CREATE VIEW urgent_visits (score, visit, patient, country) AS "
        "SELECT score, idVisit, idPatient, country FROM Visits WHERE urgent",
        1.0,
        set(),
    ),
    # A fragment's columns are its definition: one more is a wrong fragment.
    (
        "an extra column",
        REFERENCE.replace("score FROM", "score, day FROM"),
        0.0,
        {"objects.extra-columns"},
    ),
    (
        "a missing column",
        REFERENCE.replace(", score FROM", " FROM"),
        0.0,
        {"objects.missing-columns"},
    ),
    (
        "the wrong rows",
        REFERENCE.replace("WHERE urgent", "WHERE NOT urgent"),
        0.0,
        {"objects.content"},
    ),
    # Named after nothing the rubric knows, but holding exactly the fragment's rows.
    (
        "another name, the same content",
        REFERENCE.replace("urgent_visits", "mes_visites_prioritaires"),
        1.0,
        {"objects.renamed"},
    ),
    # Two names could be meant: not guessed by name; the one holding the rows is taken.
    (
        "two candidates by name, one with the right rows",
        REFERENCE.replace("urgent_visits", '"UrgentVisits"').replace("WHERE urgent", "")
        + ";\n"
        + REFERENCE.replace("urgent_visits", "urgent_visit_s"),
        1.0,
        {"objects.renamed"},
    ),
    # Nothing holds the fragment's rows under any name: missing, as a TA sees it.
    (
        "no candidate holds the rows",
        REFERENCE.replace("urgent_visits", "mes_visites").replace("WHERE urgent", ""),
        0.0,
        {"objects.missing"},
    ),
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Lab:
    return write_tiny_lab(tmp_path_factory.mktemp("objects-lab"))


@pytest.fixture(scope="module", params=VARIANTS)
def cluster(request: pytest.FixtureRequest, lab: Lab) -> Iterator[object]:
    with started(request.param) as running:
        running.prepare_lab(lab)
        yield running


def _planned(exercise_id: str, sql: str, probes: tuple[Probe, ...] = (PROBE,)) -> PlannedExercise:
    base = exercise(exercise_id, *[s for s in sql.split(";\n") if s.strip()])
    return PlannedExercise(base.id, base.statements, probes)


def _ctx(lab: Lab, student: ExerciseRun, reference: ExerciseRun) -> CheckContext:
    ex = Exercise(
        id="1.1", part="1", title="Urgent visits", points=4, probes=[PROBE], checks=[OBJECTS]
    )
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


@pytest.mark.postgres
@needs_postgres
@pytest.mark.parametrize(("label", "sql", "score", "codes"), CASES, ids=[c[0] for c in CASES])
def test_a_ta_verdict_on_the_students_object(
    cluster: object, lab: Lab, label: str, sql: str, score: float, codes: set[str]
) -> None:
    reference = _fresh(cluster, lab, [_planned("1.1", REFERENCE)])["1.1"]
    base = _planned("1.1", sql)
    planned = PlannedExercise(base.id, base.statements, base.probes, (), reference.probes)
    student = _fresh(cluster, lab, [planned])["1.1"]
    res: CheckResult = objects.check(_ctx(lab, student, reference), OBJECTS)
    assert res.score == score, (label, [f.message for f in res.findings])
    assert {f.code for f in res.findings} == codes, [f.message for f in res.findings]


COUNT = "SELECT count(*) AS urgent FROM urgent_visits"
# The student's view holds every visit, not only the urgent ones.
WRONG = REFERENCE.replace(" WHERE urgent", "")


def _fresh(cluster: object, lab: Lab, plans: list[PlannedExercise]) -> dict[str, ExerciseRun]:
    job = cluster.new_job(lab, "objects")  # type: ignore[attr-defined]
    try:
        runs, limit = execute(job, plans, LIMITS, synonyms=SYNONYMS)
    finally:
        cluster.end_job(job)  # type: ignore[attr-defined]
    assert limit is None
    return runs


def _counting(expected: ExerciseRun) -> PlannedExercise:
    return PlannedExercise(
        "1.2",
        exercise("1.2", COUNT).statements,
        (),
        (Prerequisite(exercise="1.1", expected=expected.probes, rebuild=(REFERENCE,)),),
    )


@pytest.mark.postgres
@needs_postgres
def test_a_wrong_earlier_view_is_replaced_by_the_references_for_the_next_exercise(
    cluster: object, lab: Lab
) -> None:
    reference = _fresh(cluster, lab, [_planned("1.1", REFERENCE)])["1.1"]
    after = exercise("1.3", COUNT)
    runs = _fresh(cluster, lab, [_planned("1.1", WRONG), _counting(reference), after])
    graded = runs["1.2"]
    assert graded.on_reference == ["1.1"]
    # The student's own count (all 4 visits) is kept for the pasted output; the graded run
    # counted the reference's view (the 2 urgent visits).
    assert graded.own_statements is not None and graded.own_statements[0].rows == [("4",)]
    assert graded.statements[0].rows == [("2",)]
    # The student's own objects are untouched for the exercises that follow.
    assert runs["1.3"].statements[0].rows == [("4",)]


@pytest.mark.postgres
@needs_postgres
def test_right_earlier_objects_are_used_as_they_are(cluster: object, lab: Lab) -> None:
    reference = _fresh(cluster, lab, [_planned("1.1", REFERENCE)])["1.1"]
    runs = _fresh(cluster, lab, [_planned("1.1", REFERENCE), _counting(reference)])
    assert runs["1.2"].on_reference == [] and runs["1.2"].own_statements is None
    assert runs["1.2"].statements[0].rows == [("2",)]
