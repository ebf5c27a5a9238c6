r"""SQL an answer keeps in the repository's data/ folder, which the handout allows.

An answer block that points at a data/*.sql file (`\i data/fragments.sql`, `-- see
data/fragments.sql`, a markdown link) and holds no statement of its own is answered by that
file; so is an exercise left without SQL when a data/ file is named after it
(`data/ex1.1a.sql`, `data/exercise_1_3.sql`, `data/1.3-hybrid.sql`). The file's statements
keep the line numbers of that file. Only files the student added are read (the lab's own
data/ scripts are never answers), through the reader's guards against links and size.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from grader.submission.model import Block, ExerciseAnswer
from grader.submission.sql_split import psql_pieces

_REFERENCE = re.compile(r"(?<![\w-])(?:\.{0,2}/)?(data/[\w.\-/]+?\.sql)\b", re.IGNORECASE)
_ID_PREFIX = r"^(?:exercise|exercice|exo|ex|q)?[\W_]*"


def referenced_files(answer: ExerciseAnswer, extra_sql: Mapping[str, str]) -> list[str]:
    """The student's data/ files the answer's SQL or text points at, in order, once each."""
    text = "\n".join([answer.sql_text, answer.prose_text, *(b.text for b in answer.outputs)])
    found: list[str] = []
    for match in _REFERENCE.finditer(text):
        path = match.group(1)
        path = next((p for p in extra_sql if p.casefold() == path.casefold()), path)
        if path in extra_sql and path not in found:
            found.append(path)
    return found


def named_after(exercise_id: str, extra_sql: Mapping[str, str]) -> list[str]:
    """The student's data/ files whose name starts with the exercise's id."""
    chunks = re.findall(r"[a-z]+|\d+", exercise_id.casefold())
    pattern = re.compile(_ID_PREFIX + r"[\W_]*".join(chunks) + r"(?![a-z0-9])", re.IGNORECASE)
    return sorted(
        path
        for path in extra_sql
        if pattern.match(path.rsplit("/", 1)[-1].rsplit(".", 1)[0]) is not None
    )


def has_own_statement(answer: ExerciseAnswer) -> bool:
    """Whether the answer's SQL blocks send anything to the server (comments and
    meta-commands such as \\i do not)."""
    for block in answer.sql:
        for piece in psql_pieces(block.text):
            body = re.sub(r"--[^\n]*|/\*.*?\*/", "", piece.text, flags=re.DOTALL).strip()
            if body and not piece.meta:
                return True
    return False


def attach_data_sql(answers: Mapping[str, ExerciseAnswer], extra_sql: Mapping[str, str]) -> None:
    """Give each answer whose SQL lives in data/ that file's text as a SQL block."""
    for exercise_id, answer in answers.items():
        if has_own_statement(answer):
            continue
        paths = referenced_files(answer, extra_sql)
        if not paths and not answer.sql:
            paths = named_after(exercise_id, extra_sql)[:1]
        for path in paths:
            text = extra_sql[path].replace("\r\n", "\n").lstrip("\ufeff")
            lines = text.count("\n") + 1
            answer.sql.append(Block(text, 1, lines, "sql", True, file=path))
