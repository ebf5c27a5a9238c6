"""Written answers as comparable words: case and accents folded, English and French stems.

Students write in English or French, often mixing both with SQL names, so every word is
stemmed in both languages: a rubric phrase matches a sentence when, for each of its words,
either stem is among the sentence's stems. Snowball is the stemmer every search engine uses
for these two languages; a hand-written one would miss the irregular cases.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_MARKER = re.compile(r"[-*•]|\d+[.)]")  # a list item's number, split off as a "sentence"
_SENTENCE = re.compile(r"(?<=[.!?…;])\s+|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)")

# Words that carry no meaning on their own, in both languages (folded, without accents).
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "which",
        "who",
        "whom",
        "what",
        "when",
        "where",
        "why",
        "how",
        "than",
        "then",
        "so",
        "such",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "do",
        "does",
        "did",
        "done",
        "has",
        "have",
        "had",
        "having",
        "i",
        "we",
        "you",
        "he",
        "she",
        "they",
        "me",
        "us",
        "our",
        "your",
        "their",
        "my",
        "his",
        "her",
        "them",
        "also",
        "very",
        "just",
        "into",
        "onto",
        "over",
        "under",
        "about",
        "le",
        "la",
        "les",
        "l",
        "un",
        "une",
        "des",
        "du",
        "de",
        "d",
        "et",
        "ou",
        "au",
        "aux",
        "en",
        "dans",
        "sur",
        "par",
        "pour",
        "avec",
        "sans",
        "que",
        "qui",
        "quoi",
        "dont",
        "ce",
        "cet",
        "cette",
        "ces",
        "il",
        "elle",
        "ils",
        "elles",
        "nous",
        "vous",
        "je",
        "tu",
        "se",
        "sa",
        "son",
        "ses",
        "leur",
        "leurs",
        "mon",
        "ma",
        "mes",
        "notre",
        "nos",
        "votre",
        "vos",
        "est",
        "sont",
        "etait",
        "etaient",
        "etre",
        "ete",
        "avoir",
        "ont",
        "avait",
        "fait",
        "faire",
        "plus",
        "tres",
        "aussi",
        "donc",
        "car",
        "mais",
        "ni",
        "si",
        "y",
        "c",
        "s",
        "qu",
        "n",
        "ne",
    ]
)
NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "nor",
        "none",
        "neither",
        "cannot",
        "cant",
        "isnt",
        "doesnt",
        "dont",
        "wont",
        "arent",
        "wasnt",
        "instead",
        "rather",
        "contrary",
        "unlike",
        "handout",
        "claims",
        "says",
        "wrong",
        "myth",
        "false",
        "if",
        "would",
        "could",
        "unless",
        "pas",
        "jamais",
        "aucun",
        "aucune",
        "non",
        "plutot",
        "contrairement",
        "contraire",
        "enonce",
        "faux",
        "si",
        "sauf",
        "serait",
        "aurait",
        "pourrait",
        "faudrait",
    ]
)

# A contrast ends a clause: "the handout says one worker, but the plan shows 32 tasks".
_CONTRAST = re.compile(
    r"\b(?:but|however|although|whereas|mais|pourtant|alors que|tandis que)\b", re.IGNORECASE
)

_EN = snowballstemmer.stemmer("english")
_FR = snowballstemmer.stemmer("french")


def fold(word: str) -> str:
    """Lower case without accents: "Préparé" -> "prepare"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """Every word, folded, stopwords kept: what a copy preserves."""
    return _TOKEN.findall(fold(text.replace("'", " ").replace("\u2019", " ")))


@lru_cache(maxsize=65536)
def stems_of(word: str) -> tuple[str, str]:
    """A folded word's English and French stems."""
    return _EN.stemWord(word), _FR.stemWord(word)


def content_words(text: str) -> list[str]:
    return [w for w in words(text) if w not in STOPWORDS]


def stem_set(text: str) -> frozenset[str]:
    """Both stems of every content word: the bag a phrase is looked up in."""
    out: set[str] = set()
    for w in content_words(text):
        out.update(stems_of(w))
    return frozenset(out)


def phrase_stems(phrase: str) -> tuple[tuple[str, str], ...]:
    """A rubric phrase as the stems each of its content words may take."""
    return tuple(stems_of(w) for w in content_words(phrase))


def has_phrase(stems: frozenset[str], phrase: tuple[tuple[str, str], ...]) -> bool:
    return bool(phrase) and all(en in stems or fr in stems for en, fr in phrase)


@dataclass(frozen=True)
class Sentence:
    text: str
    line: int  # 1-based line of the file where it starts
    stems: frozenset[str]
    clauses: tuple[tuple[frozenset[str], bool], ...]  # stems, and whether it denies or supposes


def split_sentences(text: str, first_line: int) -> list[Sentence]:
    """Sentences, list items and paragraphs of a block that starts on `first_line`."""
    out: list[Sentence] = []
    start = 0
    for sep in [*_SENTENCE.finditer(text), None]:
        end = sep.start() if sep else len(text)
        part = text[start:end].strip()
        if part and not _MARKER.fullmatch(part):
            lead = len(text[start:end]) - len(text[start:end].lstrip())
            line = first_line + text[: start + lead].count("\n")
            out.append(
                Sentence(
                    text=" ".join(part.split()),
                    line=line,
                    stems=stem_set(part),
                    clauses=tuple(
                        (stem_set(c), bool(NEGATIONS & set(words(c))))
                        for c in _CONTRAST.split(part)
                    ),
                )
            )
        if sep:
            start = sep.end()
    return out
