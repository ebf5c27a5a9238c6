"""Every statement of the exercise ran without an engine error, unless the reference
itself errors there by design (`expect_error`, e.g. 2PC on distributed tables)."""

from __future__ import annotations

import re

from grader.checks.base import CheckContext, CheckResult
from grader.core.findings import Severity
from grader.core.lab import CheckSpec
from grader.core.trace import Outcome


def check(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    run = ctx.student
    sent = [s for s in run.statements if s.outcome is not Outcome.SKIPPED] if run else []
    if not sent:
        return CheckResult.none(ctx.finding("executes.nothing", "No SQL statement to run here."))
    expected = spec.params.get("expect_error")
    pattern = re.compile(str(expected), re.IGNORECASE) if expected else None
    findings = []
    failed = 0
    for stmt in sent:
        if stmt.outcome is Outcome.OK:
            continue
        if stmt.outcome is Outcome.ERROR and pattern and pattern.search(stmt.error or ""):
            findings.append(
                ctx.finding(
                    "executes.expected-error",
                    f"The engine refuses this statement, as it should here: {stmt.error}",
                    severity=Severity.INFO,
                    line=stmt.line,
                    file=stmt.file,
                )
            )
            continue
        failed += 1
        if stmt.outcome is Outcome.ERROR:
            message = f"The engine returned an error: {stmt.error}"
        else:
            message = f"Stopped by the grader: {stmt.limit or stmt.outcome.value}."
        findings.append(ctx.finding("executes.error", message, line=stmt.line, file=stmt.file))
    return CheckResult(1.0 - failed / len(sent), findings)
