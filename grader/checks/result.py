"""The student's result equals the reference's: the last row-returning statement of each."""

from __future__ import annotations

from grader.checks.base import CheckContext, CheckResult
from grader.checks.compare import bag_diff, describe_diff, order_respected
from grader.core.findings import Severity
from grader.core.lab import CheckSpec
from grader.core.trace import ExerciseRun, Outcome, StatementOutcome


def last_result(run: ExerciseRun | None) -> StatementOutcome | None:
    if run is None:
        return None
    for stmt in reversed(run.statements):
        if stmt.outcome is Outcome.OK and stmt.columns is not None and stmt.kind != "explain":
            return stmt
    return None


def check(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    expected = last_result(ctx.reference)
    if expected is None or expected.rows is None:
        # The bundle promises a reference result here; its absence is the lab's fault.
        return CheckResult.none(ctx.finding("result.no-reference", "The reference gave no result."))
    actual = last_result(ctx.student)
    if actual is None or actual.rows is None:
        return CheckResult.none(
            ctx.finding(
                "result.none", "No query here returned rows to compare.", line=ctx.first_sql_line
            )
        )
    params = spec.params
    tolerance = float(params.get("tolerance", 0.0001))
    if expected.columns and actual.columns and len(expected.columns) != len(actual.columns):
        return CheckResult.none(
            ctx.finding(
                "result.columns",
                f"The result has {len(actual.columns)} columns; "
                f"{len(expected.columns)} are expected ({', '.join(expected.columns)}).",
                line=actual.line,
            )
        )
    findings = []
    names_differ = bool(expected.columns and actual.columns) and [
        c.lower() for c in expected.columns or []
    ] != [c.lower() for c in actual.columns or []]
    if params.get("match_columns") and names_differ:
        findings.append(
            ctx.finding(
                "result.column-names",
                f"Columns are named {', '.join(actual.columns or [])}; "
                f"expected {', '.join(expected.columns or [])}.",
                severity=Severity.WARNING,
                line=actual.line,
            )
        )
    if actual.truncated or expected.truncated:
        same_count = actual.row_count == expected.row_count
        return CheckResult(1.0 if same_count else 0.0, findings)
    diff = bag_diff(expected.rows, actual.rows, tolerance)
    if not diff.same:
        findings.append(
            ctx.finding(
                "result.rows",
                f"The result differs from the expected one: {len(diff.missing)} missing, "
                f"{len(diff.extra)} unexpected row(s).",
                line=actual.line,
                detail=describe_diff(expected.columns, diff),
            )
        )
        return CheckResult.none(*findings)
    key = params.get("order_key")
    if params.get("ordered") and not order_respected(expected.rows, actual.rows, key, tolerance):
        findings.append(
            ctx.finding(
                "result.order",
                "The rows are right but not in the requested order.",
                line=actual.line,
            )
        )
        return CheckResult(0.5, findings)
    return CheckResult(1.0, findings)
