"""SQL kept in data/*.sql answers the exercise that points at it or is named after it."""

from __future__ import annotations

from pathlib import Path

from grader.checks import executes
from grader.checks.base import CheckContext
from grader.core.lab import default_lab_path, load_lab
from grader.core.trace import ExerciseRun, Outcome, StatementOutcome
from grader.run.plan import plan_submission
from grader.submission.reader import read_submission

LAB = load_lab(default_lab_path())
QUERY = "SELECT country, COUNT(*) FROM Patients\nGROUP BY country;\n"


def clone(tmp_path: Path, exercise: str, files: dict[str, str]) -> Path:
    template = (LAB.root / "template" / LAB.exercise_file).read_text(encoding="utf-8")
    heading = "### Exercise 3.2 "
    start = template.index(heading)
    end = template.index("\n### ", start + 1)
    text = (
        template[:start]
        + heading
        + "— AI model performance by site\n\n"
        + exercise
        + template[end:]
    )
    (tmp_path / LAB.exercise_file).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / LAB.exercise_file).write_text(text, encoding="utf-8")
    (tmp_path / "data").mkdir(exist_ok=True)
    for name, body in files.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    return tmp_path


def test_an_include_reads_the_file_with_its_own_line_numbers(tmp_path: Path) -> None:
    root = clone(
        tmp_path, "```sql\n\\i data/perf.sql\n```\n", {"data/perf.sql": "-- mine\n" + QUERY}
    )
    answer = read_submission(root, LAB, max_bytes=100_000).answers["3.2"]
    from_file = [b for b in answer.sql if b.file]
    assert [(b.file, b.line, b.text.splitlines()[1]) for b in from_file] == [
        ("data/perf.sql", 1, "SELECT country, COUNT(*) FROM Patients")
    ]


def test_a_comment_pointer_or_a_link_reads_the_file(tmp_path: Path) -> None:
    body = "```sql\n-- see data/perf.sql\n```\n\nSee [my query](../data/perf.sql).\n"
    root = clone(tmp_path, body, {"data/perf.sql": QUERY})
    answer = read_submission(root, LAB, max_bytes=100_000).answers["3.2"]
    assert [b.file for b in answer.sql if b.file] == ["data/perf.sql"]


def test_an_answer_with_its_own_query_ignores_the_pointer(tmp_path: Path) -> None:
    body = "```sql\n-- also in data/perf.sql\n" + QUERY + "```\n"
    root = clone(tmp_path, body, {"data/perf.sql": QUERY})
    answer = read_submission(root, LAB, max_bytes=100_000).answers["3.2"]
    assert [b.file for b in answer.sql] == [""]


def test_an_empty_answer_reads_the_file_named_after_the_exercise(tmp_path: Path) -> None:
    files = {"data/exercise_3_2.sql": QUERY, "data/ex3.3.sql": "SELECT 1;\n"}
    root = clone(tmp_path, "**My query:**\n", files)
    answer = read_submission(root, LAB, max_bytes=100_000).answers["3.2"]
    assert [b.file for b in answer.sql] == ["data/exercise_3_2.sql"]


def test_the_labs_own_scripts_and_links_outside_are_never_answers(tmp_path: Path) -> None:
    outside = tmp_path / "outside.sql"
    outside.write_text(QUERY, encoding="utf-8")
    root = clone(
        tmp_path / "repo", "```sql\n\\i data/schema-mediAI.sql\n\\i data/evil.sql\n```\n", {}
    )
    (root / "data" / "schema-mediAI.sql").write_text(QUERY, encoding="utf-8")
    (root / "data" / "evil.sql").symlink_to(outside)
    submission = read_submission(root, LAB, max_bytes=100_000)
    assert [b.file for b in submission.answers["3.2"].sql if b.file] == []
    assert "reader.symlink-outside" in [f.code for f in submission.findings]


def test_a_finding_on_a_statement_from_data_points_into_that_file(tmp_path: Path) -> None:
    """The engine's error on line 2 of data/perf.sql is shown at data/perf.sql:2, not at
    line 2 of the exercise file."""
    files = {"data/perf.sql": "-- mine\nSELECT nosuch FROM Patients;\n"}
    root = clone(tmp_path, "```sql\n\\i data/perf.sql\n```\n", files)
    submission = read_submission(root, LAB, max_bytes=100_000)
    planned = next(p for p in plan_submission(submission, LAB) if p.id == "3.2")
    sent = [s for s in planned.statements if not s.meta]
    assert [(s.file, s.line) for s in sent] == [("data/perf.sql", 2)]
    failed = StatementOutcome(
        sql=sent[0].sql,
        line=sent[0].line,
        file=sent[0].file,
        outcome=Outcome.ERROR,
        error='column "nosuch" does not exist',
    )
    exercise = LAB.exercise("3.2")
    ctx = CheckContext(
        lab=LAB,
        exercise=exercise,
        answer=submission.answers["3.2"],
        template=None,
        student=ExerciseRun(exercise="3.2", statements=[failed]),
        reference=None,
        engine=None,
        exercise_file=LAB.exercise_file,
    )
    spec = next(c for c in exercise.checks if c.type == "executes")
    finding = next(f for f in executes.check(ctx, spec).findings if f.code == "executes.error")
    assert (finding.file, finding.line) == ("data/perf.sql", 2)
