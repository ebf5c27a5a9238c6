"""Recognising the line that opens an exercise or a reflection question, however it was typed.

Students rename, translate and re-level the template's headings ("Exercice 1.1A :",
"### Ex. 3.2 - title", "**Exercise 3.2**", "Q1 — Difficulty", "Question 1"); each of these
maps to one canonical id: "1.1a", "3.2", "Q1".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Emoji, numbering and emphasis some students put before the heading's words.
_DECORATION = re.compile(r"^[^\w]*", re.UNICODE)
_EXERCISE = re.compile(
    r"(?:exercise|exercice|ex)\s*\.?\s*(\d+)\s*\.\s*(\d+)([a-z])?(?!\w|\.\d)", re.IGNORECASE
)
_REFLECTION = re.compile(
    r"(?:(?:reflection|réflexion)\s*[-—\u2013:]?\s*)?(?:q|question)\s*(\d+)(?!\w|\.\d)",
    re.IGNORECASE,
)
_TITLE_SEPARATORS = " \t—\u2013-:.)*_"
# A bold pseudo-heading: the exercise name starts the line, inside ** or __.
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)\s*(.*)$")
_WHOLE_BOLD = re.compile(r"^\s*(\*\*|__)[^*_]+\1\s*$")


@dataclass(frozen=True)
class Heading:
    id: str  # "1.1a", "3.2", "Q1"
    title: str
    reflection: bool


def parse_heading(text: str) -> Heading | None:
    """The exercise or reflection question a heading's text names, if any."""
    plain = _DECORATION.sub("", text.strip())
    match = _EXERCISE.match(plain)
    if match:
        major, minor, letter = match.groups()
        letter = (letter or "").lower()
        return Heading(f"{int(major)}.{int(minor)}{letter}", _title(plain[match.end() :]), False)
    match = _REFLECTION.match(plain)
    if match:
        return Heading(f"Q{int(match.group(1))}", _title(plain[match.end() :]), True)
    return None


def parse_bold_heading(line: str) -> Heading | None:
    """`**Exercise 3.2**`, `**Exercise 3.2** — title` or `**Q1 — Difficulty**` on its own line.
    A reflection id needs the whole line in bold: "**Question 1:** ..." is how students number
    the parts of an answer."""
    match = _BOLD_LINE.match(line)
    if not match:
        return None
    heading = parse_heading(match.group(2).replace(match.group(1), " "))
    if heading is not None and heading.reflection and not _WHOLE_BOLD.match(line):
        return None
    return heading


def _title(rest: str) -> str:
    return rest.replace("**", "").strip(_TITLE_SEPARATORS).strip()
