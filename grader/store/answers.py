"""The answers of a graded commit as the reader extracted them: per exercise, its SQL, the
pasted output and the prose, each block with its lines. Stored once per commit, read by the
dashboard's grade-by-question page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg.types.json import Jsonb

from grader.store.db import Connection


@dataclass(frozen=True)
class AnswerBlock:
    text: str
    line: int
    end_line: int


@dataclass(frozen=True)
class Answer:
    """One exercise's answer: empty lists when the student wrote nothing there."""

    file: str
    sql: list[AnswerBlock] = field(default_factory=list)
    outputs: list[AnswerBlock] = field(default_factory=list)
    prose: list[AnswerBlock] = field(default_factory=list)

    @property
    def sql_text(self) -> str:
        return "\n".join(b.text for b in self.sql)

    @property
    def prose_text(self) -> str:
        return "\n\n".join(b.text for b in self.prose)

    @property
    def empty(self) -> bool:
        return not (self.sql or self.outputs or self.prose)


def save_answers(
    conn: Connection,
    repository_id: int,
    commit_sha: str,
    exercise_file: str,
    answers: dict[str, dict[str, list[dict[str, Any]]]],
) -> None:
    conn.execute(
        "INSERT INTO commit_answers (repository_id, commit_sha, exercise_file, answers)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (repository_id, commit_sha) DO UPDATE"
        " SET exercise_file = EXCLUDED.exercise_file, answers = EXCLUDED.answers,"
        " stored_at = now()",
        (repository_id, commit_sha, exercise_file, Jsonb(answers)),
    )


def exercise_answers(
    conn: Connection, commits: list[tuple[int, str]], exercise_id: str
) -> dict[tuple[int, str], Answer]:
    """The answer to one exercise of each (repository id, commit) that has stored answers."""
    if not commits:
        return {}
    rows = conn.execute(
        "SELECT a.repository_id, a.commit_sha, a.exercise_file, a.answers -> %s AS answer"
        " FROM commit_answers a JOIN unnest(%s::bigint[], %s::text[]) AS c(repo, sha)"
        " ON a.repository_id = c.repo AND a.commit_sha = c.sha",
        (exercise_id, [c[0] for c in commits], [c[1] for c in commits]),
    ).fetchall()
    out = {}
    for row in rows:
        data = row["answer"] or {}
        out[(int(row["repository_id"]), str(row["commit_sha"]))] = Answer(
            file=str(row["exercise_file"]),
            **{kind: [AnswerBlock(**b) for b in data.get(kind, [])] for kind in _KINDS},
        )
    return out


_KINDS = ("sql", "outputs", "prose")
