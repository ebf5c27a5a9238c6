"""Written answers: present and long enough, scored provisionally by the rubric's rule and
always marked for a person to read (the handout requires the student's own words)."""

from __future__ import annotations

import re

from grader.checks.base import CheckContext, CheckResult
from grader.core.findings import Severity
from grader.core.lab import CheckSpec

_SENTENCE_END = re.compile(r"[.!?…]+|\n\s*\n|\n\s*[-*\d]+[.)]?\s")
_WORD = re.compile(r"\w+", re.UNICODE)
_BLANK = re.compile(r"_{3,}")


def sentences(text: str) -> int:
    """Sentences of at least three words; list items and paragraphs end one too."""
    return sum(1 for part in _SENTENCE_END.split(text) if len(_WORD.findall(part)) >= 3)


def check(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    text = _BLANK.sub(" ", ctx.answer.prose_text if ctx.answer else "")
    if (
        ctx.template is not None
        and text.strip() == _BLANK.sub(" ", ctx.template.prose_text).strip()
    ):
        text = ""
    words = len(_WORD.findall(text))
    if words == 0:
        return CheckResult.none(ctx.finding("written.missing", "No written answer here."))
    min_words = int(spec.params.get("min_words", 15))
    min_sentences = int(spec.params.get("min_sentences", 1))
    count = sentences(text)
    short = []
    if words < min_words:
        short.append(f"{words} words where at least {min_words} are expected")
    if count < min_sentences:
        short.append(f"{count} sentence(s) where at least {min_sentences} are required")
    if short:
        return CheckResult(
            0.5,
            [
                ctx.finding(
                    "written.short",
                    "The answer is too short: " + "; ".join(short) + ".",
                    severity=Severity.WARNING,
                )
            ],
            manual_review=True,
        )
    review = ctx.finding(
        "written.review",
        "Written answer: provisional points, to be confirmed by a person.",
        severity=Severity.INFO,
    )
    return CheckResult.full(review, manual_review=True)
