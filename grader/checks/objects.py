"""Objects the exercise creates (fragment views, tables, reconstructions) hold what the
reference's do: the rubric's probes ran on both states after the exercise."""

from __future__ import annotations

from grader.checks.base import CheckContext, CheckResult
from grader.checks.compare import bag_diff, describe_diff
from grader.core.lab import CheckSpec
from grader.core.trace import Outcome


def check(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    names = [str(n) for n in spec.params.get("probes", [p.name for p in ctx.exercise.probes])]
    if not names:
        return CheckResult.full()
    tolerance = float(spec.params.get("tolerance", 0.0001))
    findings = []
    passed = 0
    for name in names:
        ref = ctx.reference.probes.get(name) if ctx.reference else None
        got = ctx.student.probes.get(name) if ctx.student else None
        if ref is None or ref.outcome is not Outcome.OK or ref.rows is None:
            findings.append(
                ctx.finding("objects.no-reference", f"The reference has no result for {name}.")
            )
            continue
        if got is None or got.outcome is not Outcome.OK or got.rows is None:
            why = got.error if got is not None and got.error else "it was not run"
            findings.append(
                ctx.finding("objects.missing", f"{name}: {why}.", line=ctx.first_sql_line)
            )
            continue
        diff = bag_diff(ref.rows, got.rows, tolerance)
        if diff.same and len(ref.columns or []) == len(got.columns or []):
            passed += 1
            continue
        findings.append(
            ctx.finding(
                "objects.content",
                f"{name} does not hold the expected rows.",
                line=ctx.first_sql_line,
                detail=describe_diff(ref.columns, diff),
            )
        )
    return CheckResult(passed / len(names), findings)
