"""Near-duplicate answers across a class in the store, for staff only: per question, the
pairs of students whose latest graded answers reach the lab's thresholds (lab.toml
[written] class_similarity for written answers, sql_similarity for SQL normalised with
sqlglot), compared by grader.grading.similarity as `grade-class` compares a folder.

Nothing here reaches a report or a check run: the pairs are computed when a staff page asks
for them and change no points. Two caches keep that cheap on a class of 300: the normalised
keys of a commit's answers (its stored answers never change until they are stored again,
which moves `stored_at`), and each question's pairs, keyed by a digest of that question's
keys across the class, so a new push recomputes only the questions whose answers changed.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Generic, TypeVar

from grader.core.lab import Lab, default_lab_path, load_lab
from grader.grading.similarity import (
    WRITTEN,
    AnswerKeys,
    Pair,
    answer_keys,
    question_pairs,
    questions,
)
from grader.settings import Settings
from grader.store.answers import Answer, AnswerBlock
from grader.store.assignments import Assignment
from grader.store.db import Connection
from grader.submission.reader import read_submission

K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Resemblance:
    """One side of a pair, as the page of `repository_id` shows it."""

    exercise_id: str
    kind: str  # "written answer" or "SQL"
    other_login: str
    other_repository_id: int
    similarity: float  # cosine, 0..1


@dataclass(frozen=True)
class Latest:
    repository_id: int
    login: str
    commit_sha: str
    stored_at: datetime


@dataclass(frozen=True)
class ClassSimilarity:
    pairs: list[Pair]  # first/second are repository ids, as text
    latest: dict[int, Latest]

    def of(self, repository_id: int, exercise_id: str | None = None) -> list[Resemblance]:
        """The resemblances of one student (on one question), most similar first."""
        me = str(repository_id)
        out = []
        for p in self.pairs:
            if me not in (p.first, p.second) or exercise_id not in (None, p.question):
                continue
            other = self.latest[int(p.second if p.first == me else p.first)]
            out.append(
                Resemblance(p.question, p.kind, other.login, other.repository_id, p.similarity)
            )
        return sorted(out, key=lambda r: (-r.similarity, r.exercise_id, r.other_login))

    def by_repository(self, exercise_id: str) -> dict[int, list[Resemblance]]:
        out: dict[int, list[Resemblance]] = defaultdict(list)
        for repository_id in self.latest:
            found = self.of(repository_id, exercise_id)
            if found:
                out[repository_id] = found
        return out


class _Bounded(Generic[K, V]):
    """A small least-recently-used map shared by the request threads."""

    def __init__(self, size: int) -> None:
        self._size, self._items, self._lock = size, OrderedDict[K, V](), threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


# Keyed by content (commit and stored_at; digests of keys), so a stale entry is never read,
# whichever store or lab the process serves.
_KEYS: _Bounded[tuple[int, str, datetime, str], AnswerKeys] = _Bounded(20_000)
_PAIRS: _Bounded[str, list[Pair]] = _Bounded(2_000)


def forget() -> None:
    """Empty the caches (the benchmark measures a cold start with it)."""
    _KEYS.clear()
    _PAIRS.clear()


def for_assignment(conn: Connection, assignment: Assignment, settings: Settings) -> ClassSimilarity:
    """The class's near-duplicates under the lab this service grades with; none when that is
    another lab than the assignment's."""
    lab = load_lab(settings.lab_dir or default_lab_path())
    if lab.id != assignment.lab_id:
        return ClassSimilarity([], {})
    return class_similarity(
        conn, assignment, lab, max_bytes=settings.limits.max_exercise_file_bytes
    )


def class_similarity(
    conn: Connection, assignment: Assignment, lab: Lab, *, max_bytes: int
) -> ClassSimilarity:
    latest = latest_answered(conn, assignment)
    written = sorted(e.id for e in lab.exercises if any(c.type == "written" for c in e.checks))
    scope = lab.id + "\0" + ",".join(written)
    keys = _keys_of(conn, latest, scope, written)
    template = _template_keys(lab, written, max_bytes)
    pairs = []
    for question, kind in questions(keys):
        threshold = lab.written.class_similarity if kind == WRITTEN else lab.written.sql_similarity
        pairs += _question_pairs(keys, template, question, kind, threshold, scope)
    return ClassSimilarity(pairs, latest)


def latest_answered(conn: Connection, assignment: Assignment) -> dict[int, Latest]:
    """Each student's latest graded commit whose answers are stored."""
    rows = conn.execute(
        "SELECT DISTINCT ON (repo.id) repo.id, repo.name, g.commit_sha, a.stored_at"
        " FROM repositories repo JOIN grading_runs g ON g.repository_id = repo.id"
        " LEFT JOIN pushes p ON p.id = g.push_id"
        " JOIN commit_answers a ON a.repository_id = repo.id AND a.commit_sha = g.commit_sha"
        " WHERE repo.assignment_id = %s AND g.status = 'completed'"
        " ORDER BY repo.id, coalesce(p.pushed_at, g.created_at) DESC, g.id DESC",
        (assignment.id,),
    ).fetchall()
    prefix = assignment.repository_prefix.lower()
    return {
        int(r["id"]): Latest(
            int(r["id"]),
            r["name"][len(prefix) :] if r["name"].lower().startswith(prefix) else r["name"],
            str(r["commit_sha"]),
            r["stored_at"],
        )
        for r in rows
    }


def _keys_of(
    conn: Connection, latest: dict[int, Latest], scope: str, written: list[str]
) -> dict[str, AnswerKeys]:
    out: dict[str, AnswerKeys] = {}
    missing = []
    for item in latest.values():
        cached = _KEYS.get((item.repository_id, item.commit_sha, item.stored_at, scope))
        if cached is None:
            missing.append(item)
        else:
            out[str(item.repository_id)] = cached
    if missing:
        rows = conn.execute(
            "SELECT a.repository_id, a.answers FROM commit_answers a"
            " JOIN unnest(%s::bigint[], %s::text[]) AS c(repo, sha)"
            " ON a.repository_id = c.repo AND a.commit_sha = c.sha",
            ([m.repository_id for m in missing], [m.commit_sha for m in missing]),
        ).fetchall()
        for row in rows:
            item = latest[int(row["repository_id"])]
            answers = {q: _answer(data) for q, data in (row["answers"] or {}).items()}
            keys = answer_keys(answers, written)
            _KEYS.put((item.repository_id, item.commit_sha, item.stored_at, scope), keys)
            out[str(item.repository_id)] = keys
    return out


def _answer(data: dict[str, list[dict[str, object]]]) -> Answer:
    def blocks(kind: str) -> list[AnswerBlock]:
        return [AnswerBlock(**b) for b in data.get(kind, [])]  # type: ignore[arg-type]

    return Answer(file="", sql=blocks("sql"), prose=blocks("prose"))


def _template_keys(lab: Lab, written: list[str], max_bytes: int) -> AnswerKeys:
    template = Path(lab.root) / "template"
    if not (template / lab.exercise_file).is_file():
        return AnswerKeys({}, {})
    return answer_keys(read_submission(template, lab, max_bytes=max_bytes).answers, written)


def _question_pairs(
    keys: dict[str, AnswerKeys],
    template: AnswerKeys,
    question: str,
    kind: str,
    threshold: float,
    scope: str,
) -> list[Pair]:
    """question_pairs, cached under a digest of everything it reads."""
    digest = hashlib.sha256(f"{scope}\0{question}\0{kind}\0{threshold}".encode())
    digest.update(f"\0{template.of(kind).get(question)}".encode())
    for student in sorted(keys):
        digest.update(f"\0{student}\0{keys[student].of(kind).get(question)}".encode())
    cached = _PAIRS.get(digest.hexdigest())
    if cached is None:
        cached = question_pairs(keys, template, question, kind, threshold)
        _PAIRS.put(digest.hexdigest(), cached)
    return cached
