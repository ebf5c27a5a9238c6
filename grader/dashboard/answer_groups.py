"""Answers grouped so that one decision settles many: the same SQL once normalised by sqlglot
(case, spacing, comments and quoting do not matter), nearly the same prose, and the same
verdict from the grader (points and finding codes), since a TA confirms a verdict, not a text.

The groups are computed when the page is read, never stored: a re-run that changes a verdict
moves the answer to the group it now belongs to.
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


@dataclass
class Group:
    sql: str  # normalised
    prose: str  # normalised, of the first member
    verdict: tuple[float, tuple[str, ...]]
    members: list[int] = field(default_factory=list)


def group_answers(candidates: Sequence[Candidate]) -> list[Group]:
    """Groups, largest first (ties: first met first); every candidate in exactly one."""
    groups: list[Group] = []
    exact: dict[tuple[str, str, tuple[float, tuple[str, ...]]], Group] = {}
    for c in candidates:
        sql, prose = normalised_sql(c.sql), normalised_prose(c.prose)
        group = exact.get((sql, prose, c.verdict))
        if group is None:
            group = next((g for g in groups if _near(g, sql, prose, c.verdict)), None)
        if group is None:
            group = Group(sql, prose, c.verdict)
            groups.append(group)
        exact[(sql, prose, c.verdict)] = group
        group.members.append(c.key)
    order = {id(g): i for i, g in enumerate(groups)}
    return sorted(groups, key=lambda g: (-len(g.members), order[id(g)]))


def _near(group: Group, sql: str, prose: str, verdict: tuple[float, tuple[str, ...]]) -> bool:
    if group.sql != sql or group.verdict != verdict:
        return False
    if not group.prose or not prose:
        return group.prose == prose
    return SequenceMatcher(None, group.prose, prose).ratio() >= PROSE_SIMILARITY
