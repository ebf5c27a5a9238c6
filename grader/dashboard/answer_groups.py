"""Answers grouped so that one decision settles many. Two answers with the same verdict from
the grader (points and finding codes; a TA confirms a verdict, not a text) share a group when
their SQL is equivalent and their prose is too:

- SQL: the same statements once normalised by sqlglot (case, spacing, comments, quoting and
  the folding of unquoted names do not matter), or the same results on the seed and on every
  variant data set (grader.dashboard.answer_evidence);
- prose: nearly the same text, or the same key points (and misconceptions) found.

A TA can take an answer out of its group, or split a group so that only the same normalised
text keeps its members together (grader.dashboard.group_splits). The groups are computed when
the page is read, never stored: a re-run that changes a verdict moves the answer to the group
it now belongs to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher

import sqlglot
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

# Prose this similar (difflib's ratio of the normalised texts) is one answer written twice.
PROSE_SIMILARITY = 0.9
_WORDS = re.compile(r"\w+")

# Why members share a group, as the page says it.
SAME_STATEMENT = "the same statement"
SAME_RESULTS = "the same results on the seed and every variant"
SAME_PROSE = "the same written answer"
SIMILAR_PROSE = "nearly the same written answer"
SAME_KEY_POINTS = "the same key points found"
NOTHING = "no answer written"
TEXT_REASONS = frozenset({SAME_STATEMENT, SAME_PROSE, NOTHING})  # what a split keeps


def normalised_sql(text: str) -> str:
    """The statements as sqlglot prints them back: keywords in one case, unquoted names
    folded as PostgreSQL folds them, no comments, literals untouched. The text with its
    spacing folded when sqlglot cannot parse it."""
    try:
        statements = sqlglot.parse(text, read="postgres")
        printed = [
            normalize_identifiers(s, dialect="postgres").sql(dialect="postgres", comments=False)
            for s in statements
            if s is not None
        ]
        return ";\n".join(printed)
    except SqlglotError:
        return " ".join(text.split())


def normalised_prose(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


@dataclass(frozen=True)
class Candidate:
    """One student's answer, as much as grouping needs."""

    key: int  # the caller's id (the run id)
    sql: str
    prose: str
    verdict: tuple[float, tuple[str, ...]]  # the grader's points and sorted finding codes
    results: str = ""  # fingerprint of the results; empty: unknown, the text decides
    key_points: tuple[str, ...] = ()  # key points and misconceptions found in the prose
    alone: bool = False  # taken out of its group by a TA
    strict: bool = False  # its group was split by a TA: only the same text joins it


@dataclass
class Group:
    sql: str  # normalised, of the first member
    prose: str  # normalised, of the first member
    first: Candidate
    members: list[int] = field(default_factory=list)
    reasons: set[str] = field(default_factory=set)  # why the later members joined

    @property
    def verdict(self) -> tuple[float, tuple[str, ...]]:
        return self.first.verdict


def group_answers(candidates: Sequence[Candidate]) -> list[Group]:
    """Groups, largest first (ties: first met first); every candidate in exactly one. Each
    answer is compared with the first of each group, so a group never drifts from it."""
    groups: list[Group] = []
    for c in candidates:
        sql, prose = normalised_sql(c.sql), normalised_prose(c.prose)
        found = None
        for g in groups if not c.alone else []:
            reasons = _joins(g, c, sql, prose)
            if reasons:
                found = g
                g.reasons |= reasons
                break
        if found is None:
            found = Group(sql, prose, c)
            groups.append(found)
        found.members.append(c.key)
    order = {id(g): i for i, g in enumerate(groups)}
    return sorted(groups, key=lambda g: (-len(g.members), order[id(g)]))


def _joins(group: Group, c: Candidate, sql: str, prose: str) -> set[str]:
    """Why `c` belongs with the group's first answer; empty: it does not."""
    first = group.first
    if first.alone or first.verdict != c.verdict:
        return set()
    loose = not (first.strict or c.strict)
    reasons = set()
    if group.sql == sql:
        reasons.add(SAME_STATEMENT if sql else NOTHING)
    elif loose and c.results and c.results == first.results:
        reasons.add(SAME_RESULTS)
    else:
        return set()
    if group.prose == prose:
        reasons.add(SAME_PROSE if prose else NOTHING)
    elif not (loose and group.prose and prose):
        return set()
    elif SequenceMatcher(None, group.prose, prose).ratio() >= PROSE_SIMILARITY:
        reasons.add(SIMILAR_PROSE)
    elif c.key_points and c.key_points == first.key_points:
        reasons.add(SAME_KEY_POINTS)
    else:
        return set()
    return reasons - {NOTHING} if reasons != {NOTHING} else reasons
