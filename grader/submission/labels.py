"""The template's answer labels ("**My query:**", "Résultat :", "### Answer"), in any spelling.

A label says what the next block holds, which beats guessing from its content; the first
label also separates the exercise's statement (copied from the handout) from the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class LabelKind(StrEnum):
    SQL = "sql"
    OUTPUT = "output"
    ANSWER = "answer"


@dataclass(frozen=True)
class Label:
    kind: LabelKind
    rest: str  # what follows the label on the same line ("**My answer:** Because ...")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_CORE: dict[LabelKind, frozenset[str]] = {
    LabelKind.OUTPUT: frozenset(
        _words("result results résultat résultats resultat resultats output outputs sortie plan")
    ),
    LabelKind.SQL: frozenset(
        _words("query queries requête requêtes requete requetes sql code script")
    ),
    LabelKind.ANSWER: frozenset(
        _words("answer answers réponse réponses reponse reponses response explanation explication")
    ),
}
_FILLER = _words(
    """my ma mon mes the la le les your votre from in of de du des d l dans with avec psql dbeaver
    obtained obtenu obtenue obtenus execution exécution explain final written écrite pasted here
    ici"""
)
_MARKERS = re.compile(r"^(?:[#>]+\s*|[-+*]\s+|\d+[.)]\s+)*")
_EMPHASIZED = re.compile(r"^(\*\*|__)(.+?)\1\s*:?\s*(.*)$")
_PRIORITY = (LabelKind.OUTPUT, LabelKind.SQL, LabelKind.ANSWER)


def parse_label(line: str) -> Label | None:
    """The label a line starts with, if it is one: a few known words, marked as a label by
    a heading, emphasis or a colon."""
    stripped = line.strip()
    text = _MARKERS.sub("", stripped)
    emphasized = _EMPHASIZED.match(text)
    if emphasized:
        head, rest = emphasized.group(2), emphasized.group(3)
    elif ":" in text and not line[:1].isspace():
        # Indented "Output: ..." lines belong to a pasted EXPLAIN VERBOSE plan.
        head, rest = text.split(":", 1)
    elif stripped.startswith("#") or text[:1] in ("*", "_"):
        head, rest = text, ""
    else:
        return None  # a bare "Result" line is more likely a table header than a label
    words = re.findall(r"\w+", head.lower())
    if not 1 <= len(words) <= 5:
        return None
    if any(w not in _FILLER and not any(w in core for core in _CORE.values()) for w in words):
        return None
    for kind in _PRIORITY:
        if any(w in _CORE[kind] for w in words):
            return Label(kind, rest.strip().strip("*_").strip())
    return None
