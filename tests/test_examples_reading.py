"""Every example submission read into structured answers: exercises, blocks, line numbers.

The layout of each file is pinned in tests/golden/reading/ (refresh with --update-golden
and review the diff); a few facts are also checked against the file's own text, so the
golden files cannot drift into agreeing with a broken reader.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from grader.core.lab import default_lab_path, load_lab
from grader.submission.model import Block, Submission
from grader.submission.reader import read_submission

LAB = load_lab(default_lab_path())
EXAMPLES = sorted(p.name for p in (LAB.root / "examples").iterdir() if p.is_dir())
GOLDEN = Path(__file__).parent / "golden" / "reading"
ALL_IDS = [e.id for e in LAB.exercises]


def read(example: str) -> Submission:
    return read_submission(LAB.root / "examples" / example, LAB, max_bytes=1_000_000)


def lines_of(example: str) -> list[str]:
    raw = (LAB.root / "examples" / example / LAB.exercise_file).read_bytes()
    return raw.decode("utf-8-sig").replace("\r\n", "\n").split("\n")


def spans(blocks: list[Block]) -> list[list[int]]:
    return [[b.line, b.end_line] for b in blocks]


def layout(sub: Submission) -> dict[str, Any]:
    return {
        "findings": [f.code for f in sub.findings],
        "answers": {
            a.id: {
                "heading_line": a.heading_line,
                "sql": spans(a.sql),
                "outputs": spans(a.outputs),
                "prose": spans(a.prose),
                "blank_lines": a.blank_lines,
            }
            for a in sub.answers.values()
        },
    }


@pytest.mark.parametrize("example", EXAMPLES)
def test_example_layout_matches_golden(example: str, request: pytest.FixtureRequest) -> None:
    got = layout(read(example))
    path = GOLDEN / f"{example}.json"
    if request.config.getoption("--update-golden"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(got, indent=2) + "\n")
    assert got == json.loads(path.read_text())


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_exercise_is_found_at_its_heading(example: str) -> None:
    sub = read(example)
    lines = lines_of(example)
    assert list(sub.answers) == ALL_IDS
    for answer in sub.answers.values():
        heading = lines[answer.heading_line - 1]
        assert heading.lstrip("#* ").split()[1 if answer.id[0].isdigit() else 0].rstrip(".:—-") in (
            answer.id,
            answer.id.upper(),
        ), heading


@pytest.mark.parametrize("example", ["complete", "french-crlf", "partial-mistakes", "hostile"])
def test_blocks_point_at_their_own_lines(example: str) -> None:
    sub = read(example)
    lines = lines_of(example)
    for answer in sub.answers.values():
        for block in answer.sql + answer.outputs:
            first = block.text.split("\n", 1)[0].strip()
            assert first in lines[block.line - 1], (answer.id, block.line, first)


def test_untouched_template_has_blanks_everywhere_and_nothing_pasted() -> None:
    sub = read("template-untouched")
    answered = [a for a in sub.answers.values() if a.blank_lines]
    assert len(answered) == len(ALL_IDS)
    assert all(not a.outputs for a in sub.answers.values())


def test_complete_has_sql_and_pasted_output_for_every_sql_exercise() -> None:
    sub = read("complete")
    for exercise in LAB.exercises:
        if exercise.reference:
            answer = sub.answers[exercise.id]
            assert answer.sql and answer.outputs and not answer.blank_lines, exercise.id


def test_french_file_reads_like_the_english_one() -> None:
    french, english = read("french-crlf"), read("complete")
    for exercise in LAB.exercises:
        assert bool(french.answers[exercise.id].sql) == bool(english.answers[exercise.id].sql)
        if any(c.type == "written" for c in exercise.checks):
            assert french.answers[exercise.id].prose and english.answers[exercise.id].prose
    # 1.1b's result is pasted without a fence, 3.2's as a DBeaver grid.
    assert not french.answers["1.1b"].outputs[0].fenced
    assert "\t" in french.answers["3.2"].outputs[0].text


def test_partial_mistakes_reports_blanks_where_left() -> None:
    sub = read("partial-mistakes")
    assert sub.answers["1.1b"].blank_lines
    assert not sub.answers["Q3"].prose or "___" in "\n".join(
        lines_of("partial-mistakes")[sub.answers["Q3"].heading_line : sub.answers["Q3"].end_line]
    )
