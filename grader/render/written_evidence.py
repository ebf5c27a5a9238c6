"""A written answer's findings gathered for a page: the suggested score, each key point with
the sentence that covers it (or none), the misconceptions said, and the copies found with
the passage they match. The written check (grader.checks.written) puts the student's
sentence or the source's passage in each finding's detail; the terminal quotes it after the
message, markdown prints it below; a page lays the same findings out as a table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from grader.core.findings import Finding

WRITTEN = "written."
SUGGESTED, COPIED, MISCONCEPTION = "written.suggested", "written.copied", "written.misconception"
KEY_POINT, KEY_POINT_MISSING = "written.key-point", "written.key-point-missing"
_PREFIXES = ("Key point found: ", "Key point not found: ", "Misconception: ")


@dataclass(frozen=True)
class Evidence:
    finding: Finding
    label: str  # the key point or misconception, as the rubric names it
    quote: str | None  # the student's sentence, the source's passage; None: not found


@dataclass(frozen=True)
class WrittenEvidence:
    suggested: Finding | None = None
    key_points: list[Evidence] = field(default_factory=list)
    misconceptions: list[Evidence] = field(default_factory=list)
    copies: list[Evidence] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)  # no answer, only the question again


def written_evidence(findings: Sequence[Finding]) -> WrittenEvidence | None:
    """None when no written check spoke about this exercise. Every finding whose code starts
    with `written.` is in it once, so a page lists the others apart."""
    mine = [f for f in findings if f.code.startswith(WRITTEN)]
    if not mine:
        return None
    out = WrittenEvidence(next((f for f in mine if f.code == SUGGESTED), None))
    for f in mine:
        if f.code in (KEY_POINT, KEY_POINT_MISSING):
            quote = f.detail if f.code == KEY_POINT else None
            out.key_points.append(Evidence(f, _label(f.message), quote))
        elif f.code == MISCONCEPTION:
            out.misconceptions.append(Evidence(f, _label(f.message), f.detail))
        elif f.code == COPIED:
            out.copies.append(Evidence(f, f.message, f.detail))
        elif f.code != SUGGESTED:
            out.notes.append(f)
    return out


def _label(message: str) -> str:
    for prefix in _PREFIXES:
        if message.startswith(prefix):
            return message.removeprefix(prefix).removesuffix(".")
    return message


def other_findings(findings: Sequence[Finding]) -> list[Finding]:
    """The findings written_evidence leaves out."""
    return [f for f in findings if not f.code.startswith(WRITTEN)]
