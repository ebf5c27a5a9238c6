"""The answer states a fact the engine really produces (e.g. 32 shards per table)."""

from __future__ import annotations

import re

from grader.checks.base import CheckContext, CheckResult
from grader.core.findings import Severity
from grader.core.lab import CheckSpec


def check(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    if ctx.answer is None:
        return CheckResult.none()
    text = "\n".join([ctx.answer.prose_text, *(b.text for b in ctx.answer.outputs)])
    patterns = [str(p) for p in spec.params.get("patterns", [])]
    missing = [p for p in patterns if not re.search(p, text, re.IGNORECASE)]
    if not missing:
        return CheckResult.full()
    hint = str(spec.params.get("hint") or "An expected fact is not stated in the answer.")
    return CheckResult(
        1.0 - len(missing) / len(patterns),
        [ctx.finding("mentions.missing", hint, severity=Severity.WARNING)],
    )
