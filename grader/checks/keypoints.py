"""The key points a TA looks for in a written answer, and the sentence that covers each.

The rubric lists, per written check, key points (a weight and the ways students say it, in
English and French) and misconceptions (a penalty and how they are said). A phrase matches
a sentence when every content word of it, stemmed, is in the sentence: word order and
inflection do not matter, a missing idea does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from grader.checks.text_normalise import Sentence, has_phrase, phrase_stems


class KeyPoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    point: str  # what the TA looks for, as the feedback says it
    weight: float = Field(default=1.0, gt=0)
    say: list[str]  # phrases: any one of them, in one sentence, covers the point


class Misconception(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    point: str  # the wrong idea, as the feedback names it
    penalty: float = Field(default=0.25, ge=0, le=1)  # share of the written part lost
    say: list[str]


class Rubric(BaseModel):
    """A written check's parameters."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    key_points: list[KeyPoint] = Field(default_factory=list)
    misconceptions: list[Misconception] = Field(default_factory=list)
    min_sentences: int = Field(default=1, ge=1)
    full_at: float | None = Field(default=None, gt=0)  # enough weight for full points


@dataclass(frozen=True)
class Match:
    point: str
    weight: float
    sentence: Sentence | None  # None: not found


@dataclass(frozen=True)
class Assessment:
    matches: list[Match]
    misconceptions: list[Match]  # each with the sentence that says it
    penalty: float
    share: float  # suggested share of the written part, 0..1


def rubric_of(params: dict[str, Any]) -> Rubric:
    return Rubric.model_validate(params)


def _first(sentences: list[Sentence], say: list[str], *, refuted_ok: bool) -> Sentence | None:
    phrases = [phrase_stems(p) for p in say]
    for s in sentences:
        bags = [s.stems] if refuted_ok else [stems for stems, denied in s.clauses if not denied]
        if any(has_phrase(bag, p) for bag in bags for p in phrases):
            return s
    return None


def assess(rubric: Rubric, sentences: list[Sentence]) -> Assessment:
    """Key points covered, misconceptions said (not in a sentence that refutes them)."""
    matches = [
        Match(kp.point, kp.weight, _first(sentences, kp.say, refuted_ok=True))
        for kp in rubric.key_points
    ]
    wrong: list[Match] = []
    penalty = 0.0
    for m in rubric.misconceptions:
        found = _first(sentences, m.say, refuted_ok=False)
        if found is not None:
            wrong.append(Match(m.point, m.penalty, found))
            penalty += m.penalty
    total = sum(m.weight for m in matches)
    covered = sum(m.weight for m in matches if m.sentence is not None)
    needed = min(rubric.full_at or total, total)
    share = min(1.0, covered / needed) if needed else 1.0
    if len(sentences) < rubric.min_sentences:
        share *= (1 + len(sentences)) / (1 + rubric.min_sentences)
    share = max(0.0, min(1.0, share - penalty))
    return Assessment(matches, wrong, penalty, share)
