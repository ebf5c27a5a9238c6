"""The exercise-file reader on small inputs, one tolerance at a time, with exact line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.core.findings import Severity
from grader.submission.markdown import read_exercise_markdown
from grader.submission.model import Block, ExerciseAnswer
from grader.submission.sql_static import split_statements

KNOWN = ["1.1a", "1.1b", "1.2a", "1.3", "2.1", "3.1", "3.2", "3.3", "4.1", "4.3b"]
KNOWN += ["Q1", "Q2", "Q3", "Q4"]
FIXTURES = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures"
FENCE = "`" * 3


def read(*lines: str, eol: str = "\n") -> dict[str, ExerciseAnswer]:
    answers, findings = read_exercise_markdown(eol.join(lines), path="ex.md", known_ids=KNOWN)
    assert findings == []
    return answers


def spans(blocks: list[Block]) -> list[tuple[int, int]]:
    return [(b.line, b.end_line) for b in blocks]


TEMPLATE_LIKE = [
    "# Lab",  # 1
    "",
    "## Part 1",
    "",
    "### Exercise 1.1a — Horizontal fragments",  # 5
    "",
    "Write 4 views.",  # statement: not prose, since labels follow
    "",
    "**My query:**",
    FENCE + "sql",  # 10
    "CREATE VIEW p AS SELECT * FROM TrainingData WHERE siteOrigin = 'Paris';",
    "CREATE VIEW t AS SELECT * FROM TrainingData WHERE siteOrigin = ___;",
    FENCE,
    "",
    "**Result from psql:**",  # 15
    FENCE,
    "CREATE VIEW",
    FENCE,
    "",
    "**My answer:**",  # 20
    "Views keep one site's rows each.",
    "",
    "### Exercise 1.1b",
    "body",
]


def test_template_shaped_exercise_splits_into_sql_output_and_prose() -> None:
    answers = read(*TEMPLATE_LIKE)
    assert list(answers) == ["1.1a", "1.1b"]
    a = answers["1.1a"]
    assert (a.title, a.heading_line, a.end_line) == ("Horizontal fragments", 5, 21)
    assert spans(a.sql) == [(11, 12)] and a.sql[0].info == "sql"
    assert spans(a.outputs) == [(17, 17)] and a.outputs[0].text == "CREATE VIEW"
    assert [b.text for b in a.prose] == ["Views keep one site's rows each."]
    assert spans(a.prose) == [(21, 21)]
    assert a.blank_lines == [12]
    assert a.sql[0].text.startswith("CREATE VIEW p")


@pytest.mark.parametrize("eol", ["\r\n", "\r"])
def test_crlf_and_lone_cr_keep_editor_line_numbers(eol: str) -> None:
    a = read(*TEMPLATE_LIKE, eol=eol)["1.1a"]
    assert spans(a.sql) == [(11, 12)] and spans(a.outputs) == [(17, 17)]
    assert "\r" not in a.sql[0].text


def test_bom_is_ignored() -> None:
    answers = read("\ufeff## Exercise 1.1a", "", FENCE + "sql", "SELECT 1;", FENCE)
    assert answers["1.1a"].heading_line == 1
    assert spans(answers["1.1a"].sql) == [(4, 4)]


@pytest.mark.parametrize(
    ("heading", "exercise_id", "title"),
    [
        ("# Exercise 1.1a", "1.1a", ""),
        ("###### Exercice 1.1a : Fragments horizontaux", "1.1a", "Fragments horizontaux"),
        ("## Ex. 1.1a - Horizontal", "1.1a", "Horizontal"),
        ("### Ex 3.2", "3.2", ""),
        ("## EXERCISE 1.1A", "1.1a", ""),
        ("#### Exercise 3.2 — AI model performance", "3.2", "AI model performance"),
        ("### ✅ Exercise 4.3b: 2PC limitations", "4.3b", "2PC limitations"),
        ("### Q1 — Difficulty", "Q1", "Difficulty"),
        ("## Q2.", "Q2", ""),
        ("## Question 3", "Q3", ""),
        ("Exercise 3.3\n============", "3.3", ""),
    ],
)
def test_heading_spellings(heading: str, exercise_id: str, title: str) -> None:
    answers = read(heading, "", FENCE + "sql", "SELECT 1;", FENCE)
    assert list(answers) == [exercise_id]
    assert answers[exercise_id].title == title
    assert answers[exercise_id].sql[0].text == "SELECT 1;"


def test_bold_pseudo_headings_open_exercises() -> None:
    answers = read(
        "**Exercise 3.2**",  # 1
        FENCE + "sql",
        "SELECT 2;",
        FENCE,
        "",  # 5
        "**Exercise 3.3 — Own query**",
        "Phase one prepares.",
    )
    assert list(answers) == ["3.2", "3.3"]
    assert spans(answers["3.2"].sql) == [(3, 3)]
    assert answers["3.3"].title == "Own query"
    assert [b.text for b in answers["3.3"].prose] == ["Phase one prepares."]


def test_bold_reflection_heading_needs_the_whole_line_in_bold() -> None:
    answers = read(
        "### Exercise 4.3b",  # 1
        "**Question 1:** the coordinator crash blocks the workers.",
        "",
        "**Q2 — Fragmentation**",
        "Rows versus columns.",  # 5
    )
    assert [b.line for b in answers["4.3b"].prose] == [2]
    assert answers["Q2"].heading_line == 4
    assert [b.text for b in answers["Q2"].prose] == ["Rows versus columns."]


def test_reflection_caption_in_part_3_does_not_steal_q1() -> None:
    answers = read(
        "### Exercise 3.1",  # 1
        "#### Q1 — Full patient profile with medical records",
        FENCE + "sql",
        "SELECT name FROM Patients;",
        FENCE,  # 5
        "## Reflection",
        "### Q1 — Difficulty",
        "The hardest part was the 2PC.",
    )
    assert spans(answers["3.1"].sql) == [(4, 4)]
    assert answers["Q1"].heading_line == 7
    assert [b.text for b in answers["Q1"].prose] == ["The hardest part was the 2PC."]


@pytest.mark.parametrize("info", ["sql", "SQL", "postgresql", "pgsql", "plpgsql"])
def test_sql_fences(info: str) -> None:
    a = read("## Exercise 3.2", FENCE + info, "SELECT 1;", FENCE)["3.2"]
    assert spans(a.sql) == [(3, 3)] and a.outputs == [] and a.sql[0].info == info


def test_sql_fence_holding_output_is_output() -> None:
    a = read("## Exercise 3.2", FENCE + "sql", " n ", "---", " 1", "(1 row)", FENCE)["3.2"]
    assert a.sql == [] and spans(a.outputs) == [(3, 6)]


@pytest.mark.parametrize("info", ["", "psql", "text", "console"])
def test_untagged_fences_are_decided_by_content(info: str) -> None:
    a = read(
        "## Exercise 3.2",  # 1
        FENCE + info,
        "\\x on",
        "SELECT site, count(*) FROM t GROUP BY site;",
        FENCE,  # 5
        FENCE + info,
        " site  | count",
        "-------+-------",
        " Paris |     3",
        "(1 row)",  # 10
        FENCE,
        FENCE + info,
        'ERROR:  relation "trainingdata_paris" does not exist',
        FENCE,
    )["3.2"]
    assert spans(a.sql) == [(3, 4)]
    assert spans(a.outputs) == [(7, 10), (13, 13)]


def test_label_wins_over_fence_and_content() -> None:
    a = read(
        "## Exercise 3.2",
        "**My query:**",
        FENCE,
        "whatever I typed",
        FENCE,
        "**Résultat :**",
        FENCE + "sql",
        "SELECT 1;",
        FENCE,
    )["3.2"]
    assert spans(a.sql) == [(4, 4)] and spans(a.outputs) == [(8, 8)]


def test_label_only_governs_the_block_right_after_it() -> None:
    a = read(
        "## Exercise 3.2",
        "**Result:**",
        FENCE,
        "CREATE VIEW",
        FENCE,
        FENCE,
        "SELECT 1;",
        FENCE,
    )["3.2"]
    assert spans(a.outputs) == [(4, 4)] and spans(a.sql) == [(7, 7)]


def test_unfenced_result_after_label() -> None:
    a = read(
        "### Exercise 1.1b",  # 1
        "**Result from psql:**",
        " t              | count",
        "----------------+-------",
        " Patients       |    20",  # 5
        " MedicalRecords |    14",
        "(2 rows)",
        "",
        "**My answer:**",
        "It matches.",  # 10
    )["1.1b"]
    assert spans(a.outputs) == [(3, 7)] and a.outputs[0].fenced is False
    assert a.outputs[0].text.splitlines()[1] == "----------------+-------"
    assert [b.text for b in a.prose] == ["It matches."]


def test_unfenced_single_column_result_that_markdown_sees_as_heading_and_code() -> None:
    # markdown-it reads " count / ------- " as a setext heading and "    20" as indented code.
    a = read("### Exercise 1.1b", "Result:", "", " count", "-------", "    20", "(1 row)")["1.1b"]
    assert spans(a.outputs) == [(4, 7)]
    assert a.sql == [] and a.prose == []


def test_unfenced_explain_verbose_plan_stays_one_block() -> None:
    a = read(
        "### Exercise 3.1",  # 1
        "**Result:**",
        "                 QUERY PLAN",
        "--------------------------------------------",
        " Custom Scan (Citus Adaptive)",  # 5
        "   Output: remote_scan.name, remote_scan.age",
        "   Task Count: 32",
        "(3 rows)",
    )["3.1"]
    assert spans(a.outputs) == [(3, 8)] and a.prose == []


def test_indented_code_blocks_are_untagged_blocks() -> None:
    a = read(
        "## Exercise 3.2",  # 1
        "",
        "    SELECT avg(aiScore)",
        "    FROM MedicalRecords;",
        "",  # 5
        "and then:",
        "",
        "     avg",
        "    ------",
        "     0.91",  # 10
        "",
    )["3.2"]
    assert spans(a.sql) == [(3, 4)] and a.sql[0].fenced is False
    assert a.sql[0].text == "SELECT avg(aiScore)\nFROM MedicalRecords;"
    assert spans(a.outputs) == [(8, 10)] and a.outputs[0].text == " avg\n------\n 0.91"


def test_statements_and_meta_commands_in_one_block_keep_file_lines() -> None:
    a = read(
        "## Exercise 4.1",  # 1
        "",
        FENCE + "sql",
        "BEGIN;",
        "\\d Patients",  # 5
        "PREPARE TRANSACTION 'x';",
        "COMMIT PREPARED 'x';",
        FENCE,
    )["4.1"]
    statements = split_statements(a.sql[0].text, a.sql[0].line)
    assert [(s.line, s.kind) for s in statements] == [
        (4, "begin"),
        (5, "meta"),
        (6, "prepare_transaction"),
        (7, "commit_prepared"),
    ]


def test_blanks_in_sql_and_prose_and_placeholder_blocks() -> None:
    a = read(
        "### Exercise 1.3",  # 1
        "Statement with a ___ that is not the student's.",
        "**My query:**",
        FENCE + "sql",
        "SELECT ___",  # 5
        "FROM Trans_FR_Financial fin;",
        FENCE,
        "**Result from psql:**",
        FENCE,
        "___",  # 10
        FENCE,
        "**My answer:**",
        "___",
        "",
        "Half done: ___ remains.",  # 15
    )["1.3"]
    assert a.blank_lines == [5, 10, 13, 15]
    assert a.outputs == []
    assert [b.text for b in a.prose] == ["Half done: ___ remains."]


def test_without_labels_every_paragraph_is_prose() -> None:
    a = read("### Exercise 4.1", "Phase 1 prepares.", "", "- Phase 2 commits.", "- or aborts.")
    assert [b.text for b in a["4.1"].prose] == [
        "Phase 1 prepares.",
        "- Phase 2 commits.\n- or aborts.",
    ]


def test_label_with_answer_on_the_same_line() -> None:
    a = read("### Exercise 4.1", "Describe 2PC.", "**My answer:** Two phases.", "More.")["4.1"]
    assert [(b.text, b.line) for b in a.prose] == [("Two phases.", 3), ("More.", 4)]


def test_heading_inside_a_fence_does_not_split() -> None:
    a = read("## Exercise 3.2", FENCE + "sql", "## Exercise 3.3", "SELECT 1;", FENCE, "## Ex 3.3")
    assert list(a) == ["3.2", "3.3"]
    assert a["3.2"].sql[0].text == "## Exercise 3.3\nSELECT 1;"
    assert a["3.3"].heading_line == 6


def test_unterminated_fence_runs_to_the_next_exercise() -> None:
    a = read(
        "## Exercise 3.2",  # 1
        FENCE + "sql",
        "SELECT 1;",
        "",
        "## Exercise 3.3",  # 5
        FENCE + "sql",
        "SELECT 3;",
        FENCE,
    )
    assert a["3.2"].sql[0].text == "SELECT 1;" and spans(a["3.2"].sql) == [(3, 3)]
    assert spans(a["3.3"].sql) == [(7, 7)]


def test_unterminated_fence_at_the_end_runs_to_the_end() -> None:
    a = read("## Exercise 3.2", FENCE + "sql", "SELECT 1;", "SELECT 2;")["3.2"]
    assert spans(a.sql) == [(3, 4)]


def test_html_comments_are_neither_prose_nor_blanks() -> None:
    a = read("### Exercise 4.1", "**My answer:**", "<!-- replace ___ below -->", "Mine.")["4.1"]
    assert [b.text for b in a.prose] == ["Mine."] and a.blank_lines == []


def test_tab_separated_grid_is_output() -> None:
    a = read("## Exercise 3.2", FENCE, "site\tmodel\tn", "Paris\tDiagNet-3\t1", FENCE)["3.2"]
    assert spans(a.outputs) == [(3, 4)] and "\t" in a.outputs[0].text


def test_duplicate_heading_keeps_the_first_and_warns() -> None:
    answers, findings = read_exercise_markdown(
        "## Exercise 3.2\nfirst\n## Exercise 3.2\nsecond", path="ex.md", known_ids=KNOWN
    )
    assert [b.text for b in answers["3.2"].prose] == ["first"]
    assert [(f.code, f.line, f.severity) for f in findings] == [
        ("reader.duplicate-exercise", 3, Severity.WARNING)
    ]


def test_unknown_exercise_warns_and_still_ends_the_previous_one() -> None:
    answers, findings = read_exercise_markdown(
        "## Exercise 3.2\nmine\n## Exercise 9.9\nextra", path="ex.md", known_ids=KNOWN
    )
    assert list(answers) == ["3.2"] and [b.text for b in answers["3.2"].prose] == ["mine"]
    assert [(f.code, f.exercise, f.line) for f in findings] == [
        ("reader.unknown-exercise", "9.9", 3)
    ]


def test_no_heading_at_all_is_reported() -> None:
    answers, findings = read_exercise_markdown("just text\n", path="ex.md", known_ids=KNOWN)
    assert answers == {}
    assert [(f.code, f.severity, f.file) for f in findings] == [
        ("reader.not-markdown", Severity.ERROR, "ex.md")
    ]


def _fixture_lines(name: str) -> list[str]:
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"shared fixture {name} not found beside the repository")
    return path.read_text(encoding="utf-8").split("\n")


def test_real_psql_crosstab_output_pasted_without_fence() -> None:
    lines = _fixture_lines("psql/psql_crosstab.out")
    header = lines.index(" v  | date_part | count ")
    table = lines[header : header + 7]
    assert table[-1] == "(4 rows)"
    a = read("### Exercise 3.2", "**Result from psql:**", *table, "", "Done.")["3.2"]
    assert spans(a.outputs) == [(3, 9)] and a.outputs[0].text == "\n".join(table)
    assert [b.text for b in a.prose] == ["Done."]


def test_real_citus_plan_in_a_psql_fence_is_output() -> None:
    lines = _fixture_lines("citus/multi_explain.out")
    start = lines.index("-- Test Text format") + 1
    session = lines[start : start + 15]  # EXPLAIN ... then its plan, as psql printed them
    assert session[0].startswith("EXPLAIN") and "Custom Scan (Citus Adaptive)" in session[7]
    a = read("### Exercise 3.1", FENCE + "psql", *session, FENCE)["3.1"]
    assert a.sql == [] and spans(a.outputs) == [(3, 17)]
