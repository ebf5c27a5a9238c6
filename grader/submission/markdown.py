"""Reading the exercise file: which answer belongs to which exercise, and on which lines.

An exercise runs from its heading to the next exercise heading (or to a heading of a higher
rank, such as "## Part 2"). Inside it, each code block is the student's SQL or pasted
output, decided by the label just before it, then the fence's info, then its content; the
running text after the first label is the written answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from grader.core.findings import Finding, Severity
from grader.submission.classify import is_table_output, looks_like_output, looks_like_sql
from grader.submission.headings import Heading, parse_bold_heading, parse_heading
from grader.submission.labels import LabelKind, parse_label
from grader.submission.md_scan import Code, Scan, normalise, scan
from grader.submission.model import Block, ExerciseAnswer
from grader.submission.psql_lines import is_prompt, without_prompt

_SQL_INFOS = frozenset({"sql", "postgresql", "postgres", "pgsql", "plpgsql"})
_BLANK = re.compile(r"_{3,}")
_PLACEHOLDER = re.compile(r"[\s*_>]*")
_PSEUDO_LEVEL = 3  # a bold "**Exercise 3.2**" line ranks like a "###" heading


@dataclass(frozen=True)
class _Start:
    line: int  # 0-based heading line
    body: int  # first line after the heading
    level: int
    heading: Heading | None  # None: a higher-ranked heading that only closes an exercise


def read_exercise_markdown(
    text: str, *, path: str, known_ids: Sequence[str]
) -> tuple[dict[str, ExerciseAnswer], list[Finding]]:
    """Answers by canonical exercise id, and what went wrong reading them."""
    lines = normalise(text)
    structure = scan(lines)
    in_text = structure.text_lines(len(lines))
    starts = _starts(lines, structure, in_text)
    answers: dict[str, ExerciseAnswer] = {}
    findings: list[Finding] = []
    opened = [s for s in starts if s.heading is not None]
    if not opened:
        message = f"{path} has no exercise headings (such as '## Exercise 1.1a')"
        return {}, [Finding(code="reader.not-markdown", message=message, file=path)]
    for index, start in enumerate(starts):
        heading = start.heading
        if heading is None:
            continue
        end = _end(starts, index, len(lines))
        finding = _check_id(heading, start, answers, known_ids, path)
        if finding is not None:
            findings.append(finding)
            continue
        answers[heading.id] = _read_exercise(lines, structure, in_text, heading, start, end)
    return answers, findings


def _starts(lines: list[str], structure: Scan, in_text: list[bool]) -> list[_Start]:
    starts = [
        _Start(h.start, h.end, h.level, heading)
        for h in structure.headings
        if (heading := parse_heading(h.text)) is not None
        or (parse_label(lines[h.start]) is None and not _is_table_header(lines, h.end))
    ]
    heading_lines = {i for h in structure.headings for i in range(h.start, h.end)}
    for i, line in enumerate(lines):
        if in_text[i] and i not in heading_lines and (bold := parse_bold_heading(line)):
            starts.append(_Start(i, i + 1, _PSEUDO_LEVEL, bold))
    starts.sort(key=lambda s: s.line)
    # The handout captions a Part 3 query "Q1 — ...", and students number sub-answers
    # "Question 1": only the last heading of a reflection id opens the reflection answer.
    last_reflection: dict[str, int] = {}
    for s in starts:
        if s.heading is not None and s.heading.reflection:
            last_reflection[s.heading.id] = s.line
    return [
        s
        for s in starts
        if s.heading is None or not s.heading.reflection or last_reflection[s.heading.id] == s.line
    ]


def _is_table_header(lines: list[str], end: int) -> bool:
    """A "---" setext heading is usually a one-column psql table's header and separator."""
    return lines[end - 1].strip().startswith("-")


def _end(starts: list[_Start], index: int, count: int) -> int:
    level = starts[index].level
    for later in starts[index + 1 :]:
        if later.heading is not None or later.level < level:
            return later.line
    return count


def _check_id(
    heading: Heading,
    start: _Start,
    answers: dict[str, ExerciseAnswer],
    known_ids: Sequence[str],
    path: str,
) -> Finding | None:
    line = start.line + 1
    if heading.id not in known_ids:
        known = ", ".join(known_ids)
        return Finding(
            code="reader.unknown-exercise",
            message=f"heading names exercise {heading.id}, which this lab does not have "
            f"(its exercises: {known}); its answer is not graded",
            severity=Severity.WARNING,
            exercise=heading.id,
            file=path,
            line=line,
        )
    if heading.id in answers:
        first = answers[heading.id].heading_line
        return Finding(
            code="reader.duplicate-exercise",
            message=f"exercise {heading.id} has a second heading; only the answer under the "
            f"first one (line {first}) is graded",
            severity=Severity.WARNING,
            exercise=heading.id,
            file=path,
            line=line,
        )
    return None


def _read_exercise(
    lines: list[str],
    structure: Scan,
    in_text: list[bool],
    heading: Heading,
    start: _Start,
    end: int,
) -> ExerciseAnswer:
    answer = ExerciseAnswer(
        id=heading.id,
        title=heading.title,
        heading_line=start.line + 1,
        end_line=max(
            (i + 1 for i in range(start.line, end) if lines[i].strip()), default=start.line + 1
        ),
    )
    codes = {c.start: c for c in structure.codes if start.body <= c.start < end}
    pending: LabelKind | None = None
    labelled = False
    text_blocks: list[tuple[Block, bool]] = []  # with: written after the first label?
    i = start.body
    while i < end:
        if i in codes:
            _add_code(answer, codes[i], pending)
            pending, i = None, codes[i].end
            continue
        if not in_text[i] or not lines[i].strip():
            i += 1
            continue
        label = parse_label(lines[i])
        if label is not None:
            pending, labelled = label.kind, True
            if label.rest:
                text_blocks.append((Block(label.rest, i + 1, i + 1, fenced=False), True))
            i += 1
            continue
        j = i + 1
        while j < end and in_text[j] and lines[j].strip() and j not in codes:
            if parse_label(lines[j]) is not None:
                break
            j += 1
        block = Block("\n".join(lines[i:j]), i + 1, j, fenced=False)
        if not _add_pasted(answer, block, pending):
            text_blocks.append((block, labelled))
        pending, i = None, j
    # Before the first label is the statement copied from the handout, not the answer.
    for block, after_label in text_blocks:
        if after_label or not labelled:
            _add_prose(answer, block)
    if not answer.sql:
        answer.sql.extend(session_statements(answer.outputs))
    answer.blank_lines.sort()
    return answer


def session_statements(outputs: Sequence[Block]) -> list[Block]:
    """What a student typed at psql's prompt in a pasted session, as SQL blocks: with no
    SQL block of their own, those statements are the answer."""
    found: list[Block] = []
    for block in outputs:
        lines = block.text.split("\n")
        i = 0
        while i < len(lines):
            if not is_prompt(lines[i]):
                i += 1
                continue
            start = i
            while i < len(lines) and is_prompt(lines[i]):
                i += 1
            typed = "\n".join(without_prompt(line) for line in lines[start:i])
            if typed.strip():
                first = block.line + start
                found.append(Block(typed, first, first + i - start - 1, "sql", block.fenced))
    return found


def _add_code(answer: ExerciseAnswer, code: Code, pending: LabelKind | None) -> None:
    text = "\n".join(code.lines)
    if not text.strip():
        return
    block = Block(text, code.first + 1, code.first + len(code.lines), code.info, code.fenced)
    if _is_placeholder(text):
        answer.blank_lines.extend(n for n, _ in _numbered(block))
    elif _is_sql(text, code.info, pending):
        _add_sql(answer, block)
    else:
        answer.outputs.append(block)


def _add_pasted(answer: ExerciseAnswer, block: Block, pending: LabelKind | None) -> bool:
    """Output or SQL pasted without a fence; False when the text is prose."""
    if is_table_output(block.text) or (
        pending is LabelKind.OUTPUT and looks_like_output(block.text)
    ):
        answer.outputs.append(block)
    elif pending is LabelKind.SQL and looks_like_sql(block.text):
        _add_sql(answer, block)
    else:
        return False
    return True


def _add_sql(answer: ExerciseAnswer, block: Block) -> None:
    answer.sql.append(block)
    answer.blank_lines.extend(n for n, line in _numbered(block) if _BLANK.search(line))


def _add_prose(answer: ExerciseAnswer, block: Block) -> None:
    answer.blank_lines.extend(n for n, line in _numbered(block) if _BLANK.search(line))
    if not _is_placeholder(block.text):
        answer.prose.append(block)


def _is_sql(text: str, info: str, pending: LabelKind | None) -> bool:
    if pending is LabelKind.SQL:
        return True
    if pending is LabelKind.OUTPUT:
        return False
    language = info.split()[0].lower() if info.split() else ""
    if looks_like_output(text):
        return False
    return language in _SQL_INFOS or looks_like_sql(text)


def _is_placeholder(text: str) -> bool:
    return _BLANK.search(text) is not None and _PLACEHOLDER.fullmatch(text) is not None


def _numbered(block: Block) -> list[tuple[int, str]]:
    return list(enumerate(block.text.split("\n"), start=block.line))
