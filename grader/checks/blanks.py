"""Blanks (`___`) the handout asks students to fill, still left in the answer."""

from __future__ import annotations

from grader.checks.base import CheckContext, CheckResult
from grader.core.lab import CheckSpec

_SHOWN = 3  # one finding per blank line would drown the annotations of an untouched file


def check(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    if ctx.answer is None:
        return CheckResult.none()
    lines = ctx.answer.blank_lines
    if not lines:
        return CheckResult.full()
    findings = [
        ctx.finding("blanks.left", "A `___` blank is still to be completed here.", line=line)
        for line in lines[:_SHOWN]
    ]
    if len(lines) > _SHOWN:
        rest = ", ".join(str(n) for n in lines[_SHOWN:])
        findings.append(ctx.finding("blanks.left", f"More blanks are left on lines {rest}."))
    return CheckResult.none(*findings)
