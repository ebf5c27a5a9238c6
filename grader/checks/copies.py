"""An answer copied from a text the student was given: runs of five words in common.

A copy keeps the wording, stopwords included, so the answer's 5-word runs (shingles) are
looked up in each source; the share found in one source is the copied share. Quoting a
short error message or a column name stays far below it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from grader.checks.text_normalise import fold
from grader.core.lab import SourceText

SHINGLE = 5
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Copy:
    source: str  # the source's name
    share: float  # of the answer's shingles found in the source
    passage: str  # the source's text around the copied run


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(fold(m.group()), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def _shingles(words: list[str]) -> list[tuple[str, ...]]:
    return [tuple(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)]


@lru_cache(maxsize=64)
def _index(source: SourceText) -> dict[tuple[str, ...], int]:
    """Every shingle of a source, with the character offset where it first starts."""
    tokens = _tokens(source.text)
    index: dict[tuple[str, ...], int] = {}
    for i, sh in enumerate(_shingles([t[0] for t in tokens])):
        index.setdefault(sh, tokens[i][1])
    return index


def find_copy(answer: str, sources: tuple[SourceText, ...], threshold: float) -> Copy | None:
    """The source most of the answer comes from, if that share reaches `threshold`."""
    mine = _shingles([t[0] for t in _tokens(answer)])
    if len(mine) < 3:  # fewer than seven words: nothing to tell a copy from a quote
        return None
    best: Copy | None = None
    for source in sources:
        index = _index(source)
        hits = [index[sh] for sh in mine if sh in index]
        share = len({sh for sh in mine if sh in index}) / len(set(mine))
        if hits and share >= threshold and (best is None or share > best.share):
            start = hits[0]  # where the answer's first copied run starts in the source
            end = min(len(source.text), start + int(len(answer) * 1.2))
            passage = " ".join(source.text[start:end].split())
            best = Copy(source=source.name, share=share, passage=passage[:400])
    return best
