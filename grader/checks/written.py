"""Written answers: a suggested score from the rubric's key points, with the sentence that
covers each, the misconceptions said, and copies of the exercise file or course material.
Every suggestion awaits a person (the handout requires the student's own words)."""

from __future__ import annotations

import re

from grader.checks.base import CheckContext, CheckResult
from grader.checks.copies import find_copy
from grader.checks.keypoints import Assessment, assess, rubric_of
from grader.checks.text_normalise import Sentence, split_sentences, stem_set, words
from grader.core.findings import Finding, Severity
from grader.core.lab import CheckSpec

_BLANK = re.compile(r"_{3,}")
_HEADING = re.compile(r"^#{2,4} ", re.MULTILINE)
_REPEAT_SHARE = 0.6  # of a sentence's 3-word runs found in the question: it restates it


def check(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    sentences = _sentences(ctx)
    if not any(s.stems for s in sentences):
        return CheckResult.none(ctx.finding("written.missing", "No written answer here."))
    question = _question(ctx)
    own = [s for s in sentences if not _restates(s.text, question)]
    if not own:
        return CheckResult(
            0.0,
            [ctx.finding("written.repeats-question", "The answer only repeats the question.")],
            manual_review=True,
        )
    points = ctx.exercise.points * spec.weight / (sum(c.weight for c in ctx.exercise.checks) or 1)
    copy = find_copy("\n".join(s.text for s in own), ctx.lab.sources, ctx.lab.written.copy_share)
    if copy is not None:
        copied = ctx.finding(
            "written.copied",
            f"About {copy.share:.0%} of this answer is worded as in {copy.source}; the handout "
            "asks for your own words. Suggested 0 points, to be confirmed by a person.",
            detail=copy.passage,
        )
        return CheckResult(0.0, [copied], manual_review=True)
    rubric = rubric_of(spec.params)
    result = assess(rubric, own)
    found = [m for m in result.matches if m.sentence is not None]
    why = [f"{len(found)} of {len(result.matches)} key points found"] if result.matches else []
    if len(own) < rubric.min_sentences:
        why.append(f"{len(own)} sentence(s) where at least {rubric.min_sentences} are asked")
    summary = f" ({'; '.join(why)})" if why else ""
    return CheckResult(result.share, _findings(ctx, result, points, summary), manual_review=True)


def _sentences(ctx: CheckContext) -> list[Sentence]:
    if ctx.answer is None:
        return []
    mine = [(b.line, _BLANK.sub(" ", b.text)) for b in ctx.answer.prose]
    if ctx.template is not None:
        untouched = " ".join(_BLANK.sub(" ", ctx.template.prose_text).split())
        if " ".join(" ".join(t for _, t in mine).split()) == untouched:
            return []
    return [s for line, text in mine for s in split_sentences(text, line)]


def _question(ctx: CheckContext) -> str:
    """The exercise's section of the exercise file: its wording, which answers must not copy."""
    for source in ctx.lab.sources[:1]:
        for section in _HEADING.split(source.text):
            title = section.split("\n", 1)[0]
            if re.search(rf"(?<![\w.]){re.escape(ctx.exercise.id)}(?![\w.])", title):
                return section
    return ctx.exercise.title


def _runs(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + 3]) for i in range(len(w) - 2)}


def _restates(sentence: str, question: str) -> bool:
    if not stem_set(sentence) <= stem_set(question):  # it says something new
        return False
    mine = _runs(sentence)
    return not mine or len(mine & _runs(question)) / len(mine) >= _REPEAT_SHARE


def _findings(ctx: CheckContext, result: Assessment, points: float, summary: str) -> list[Finding]:
    out = [
        ctx.finding(
            "written.suggested",
            f"Suggested {round(points * result.share, 2):g}/{points:g} "
            f"points for the written answer{summary}, to be confirmed by a person.",
            severity=Severity.INFO,
        )
    ]
    for m in result.matches:
        if m.sentence is not None:
            out.append(
                ctx.finding(
                    "written.key-point",
                    f"Key point found: {m.point}.",
                    severity=Severity.INFO,
                    line=m.sentence.line,
                    detail=m.sentence.text,
                )
            )
        else:
            out.append(
                ctx.finding(
                    "written.key-point-missing",
                    f"Key point not found: {m.point}.",
                    severity=Severity.WARNING,
                )
            )
    for m in result.misconceptions:
        assert m.sentence is not None
        out.append(
            ctx.finding(
                "written.misconception",
                f"Misconception: {m.point}.",
                line=m.sentence.line,
                detail=m.sentence.text,
            )
        )
    return out
