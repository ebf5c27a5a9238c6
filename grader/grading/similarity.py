"""Near-duplicate answers across a class, question by question, for staff to look at.

TF-IDF over words and word pairs with cosine similarity (scikit-learn): words every student uses
weigh little, a shared unusual wording weighs a lot, and a class of 300 is one sparse
matrix product per question, exact, with no pair missed. SQL is compared after sqlglot has
tokenized it (aliases renamed in order, layout and comments dropped), so renaming `p` to
`pat` or re-indenting does not hide a copy.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Protocol

from sklearn.feature_extraction.text import TfidfVectorizer
from sqlglot.errors import TokenError
from sqlglot.tokens import Tokenizer, TokenType  # type: ignore[attr-defined]

from grader.checks.text_normalise import words

MIN_WORDS = 12  # shorter answers are alike by necessity
COMMON_SQL = 0.1  # SQL that a tenth of the class writes alike is the expected solution
WRITTEN, SQL = "written answer", "SQL"
_BEFORE_ALIAS = frozenset({TokenType.ALIAS, TokenType.VAR, TokenType.R_PAREN})


@dataclass(frozen=True)
class Pair:
    question: str
    first: str
    second: str
    similarity: float  # cosine, 0..1
    kind: str = WRITTEN  # or SQL


class Answered(Protocol):
    """An answer as the reader gives it (grader.submission) or the store keeps it."""

    @property
    def sql_text(self) -> str: ...

    @property
    def prose_text(self) -> str: ...


@dataclass(frozen=True)
class AnswerKeys:
    """One submission's answers, normalised for comparison, by question."""

    prose: dict[str, str]  # written questions only
    sql: dict[str, str]

    def of(self, kind: str) -> dict[str, str]:
        return self.sql if kind == SQL else self.prose


def answer_keys(answers: Mapping[str, Answered], written: Collection[str]) -> AnswerKeys:
    return AnswerKeys(
        prose={i: prose_key(a.prose_text) for i, a in answers.items() if i in written},
        sql={i: sql_key(a.sql_text) for i, a in answers.items() if a.sql_text.strip()},
    )


def questions(keys: Mapping[str, AnswerKeys]) -> list[tuple[str, str]]:
    """Every (question, kind) some student answered."""
    return sorted({(q, kind) for k in keys.values() for kind in (WRITTEN, SQL) for q in k.of(kind)})


def question_pairs(
    keys: Mapping[str, AnswerKeys], template: AnswerKeys, question: str, kind: str, threshold: float
) -> list[Pair]:
    """The near-duplicate answers of one kind to one question (`keys`: student -> keys).
    What the template already holds is alike in every repository, so it is no copy."""
    expected = template.of(kind).get(question)
    texts = {}
    for student, k in keys.items():
        text = k.of(kind).get(question)
        if text is not None and text != expected:
            texts[student] = {question: text}
    if kind == WRITTEN:
        return similar_pairs(texts, threshold)
    return [
        Pair(p.question, p.first, p.second, p.similarity, SQL)
        for p in similar_pairs(texts, threshold, common_share=COMMON_SQL)
    ]


def class_pairs(
    keys: Mapping[str, AnswerKeys],
    template: AnswerKeys,
    *,
    written_threshold: float,
    sql_threshold: float,
) -> list[Pair]:
    """Near-duplicate written answers and SQL across a class, question by question."""
    out = []
    for question, kind in questions(keys):
        threshold = written_threshold if kind == WRITTEN else sql_threshold
        out += question_pairs(keys, template, question, kind, threshold)
    return out


def similar_pairs(
    answers: dict[str, dict[str, str]], threshold: float, *, common_share: float = 1.0
) -> list[Pair]:
    """Pairs of students whose answers to one question reach `threshold`.

    `answers` maps student -> question -> normalised text. An answer alike to more than
    `common_share` of the class is the expected solution, not a copy, and is left out.
    """
    questions = sorted({q for per in answers.values() for q in per})
    out: list[Pair] = []
    for q in questions:
        texts = {
            s: per[q] for s, per in answers.items() if len(per.get(q, "").split()) >= MIN_WORDS
        }
        if len(texts) < 2:
            continue
        names = sorted(texts)
        matrix = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\S+")
        x = matrix.fit_transform([texts[n] for n in names])
        sims = (x @ x.T).tocoo()
        keep = (sims.row < sims.col) & (sims.data >= threshold)  # in numpy: 45,000 pairs
        found = [
            (int(i), int(j), float(v))
            for i, j, v in zip(sims.row[keep], sims.col[keep], sims.data[keep], strict=True)
        ]
        degree: dict[int, int] = {}
        for i, j, _ in found:
            degree[i] = degree.get(i, 0) + 1
            degree[j] = degree.get(j, 0) + 1
        limit = max(3, common_share * len(names))
        out += [
            Pair(q, names[i], names[j], round(min(v, 1.0), 3))
            for i, j, v in found
            if degree[i] <= limit and degree[j] <= limit
        ]
    return out


def prose_key(text: str) -> str:
    """Written answer, folded to its words."""
    return " ".join(words(text))


def sql_key(sql: str) -> str:
    """SQL as lower-case tokens, comments and layout gone, aliases renamed a1, a2... in order.

    An alias is a name right after AS, after another name (`Patients p`) or after a closing
    parenthesis (`COUNT(*) n`). The tokenizer is enough for that and is much faster than
    parsing, which matters on a class of 300 with 16 queries each.
    """
    try:
        tokens = Tokenizer().tokenize(sql)
    except TokenError:
        return " ".join(words(sql))
    names: dict[str, str] = {}
    for before, tok in pairwise(tokens):
        if tok.token_type is TokenType.VAR and before.token_type in _BEFORE_ALIAS:
            names.setdefault(tok.text.lower(), f"a{len(names) + 1}")
    out = []
    for tok in tokens:
        text = tok.text.lower() if tok.token_type is not TokenType.STRING else repr(tok.text)
        out.append(names.get(text, text) if tok.token_type is TokenType.VAR else text)
    return " ".join(out)
