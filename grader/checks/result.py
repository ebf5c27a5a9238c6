"""The student's result equals the reference's: the last row-returning statement of each."""

from __future__ import annotations

from grader.checks.base import CheckContext, CheckResult
from grader.checks.columns import Alignment, align, matched_rows, positional, shared_names
from grader.checks.compare import bag_diff, describe_diff, order_respected
from grader.core.findings import Finding
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
    findings = []
    fixed = bool(params.get("fixed_columns"))
    alignment = _alignment(expected, actual, tolerance)
    findings += _column_findings(ctx, expected, actual, alignment, fixed)
    columns_right = not (alignment.missing or alignment.extra)
    if actual.truncated or expected.truncated:
        same_count = actual.row_count == expected.row_count
        return CheckResult(1.0 if same_count and columns_right else 0.0, findings)
    wanted, produced = matched_rows(alignment, expected.rows, actual.rows)
    diff = bag_diff(wanted, produced, tolerance)
    if not diff.same:
        findings.append(
            ctx.finding(
                "result.rows",
                f"The result differs from the expected one: {len(diff.missing)} missing, "
                f"{len(diff.extra)} unexpected row(s).",
                line=actual.line,
                file=actual.file,
                detail=describe_diff(shared_names(alignment, actual.columns or []), diff),
            )
        )
        return CheckResult.none(*findings)
    if not columns_right:
        # The rows are right on the columns both share: the answer is half there.
        return CheckResult(0.5, findings)
    key = params.get("order_key")
    if params.get("ordered") and not order_respected(wanted, produced, key, tolerance):
        asked = params.get("order_hint", "the order the exercise asks for")
        findings.append(
            ctx.finding(
                "result.order",
                f"The rows are right but not in the requested order: {asked}.",
                line=actual.line,
                file=actual.file,
            )
        )
        return CheckResult(0.5, findings)
    if fixed and not alignment.positional:
        return CheckResult(0.75, findings)
    return CheckResult(1.0, findings)


def _alignment(expected: StatementOutcome, actual: StatementOutcome, tolerance: float) -> Alignment:
    e_cols, a_cols = expected.columns or [], actual.columns or []
    if not e_cols or not a_cols:
        return positional(len(e_cols), len(a_cols))
    return align(e_cols, expected.rows or [], a_cols, actual.rows or [], tolerance)


def _column_findings(
    ctx: CheckContext,
    expected: StatementOutcome,
    actual: StatementOutcome,
    alignment: Alignment,
    fixed: bool,
) -> list[Finding]:
    e_cols, a_cols = expected.columns or [], actual.columns or []
    findings = []
    if alignment.missing:
        names = ", ".join(e_cols[i] for i in alignment.missing)
        findings.append(
            ctx.finding(
                "result.missing-columns",
                f"The result lacks {_count(len(alignment.missing))} the exercise asks for "
                f"({names}); add {'it' if len(alignment.missing) == 1 else 'them'} to the SELECT.",
                line=actual.line,
                file=actual.file,
            )
        )
    if alignment.extra:
        names = ", ".join(a_cols[i] for i in alignment.extra)
        findings.append(
            ctx.finding(
                "result.extra-columns",
                f"The result has {_count(len(alignment.extra))} the exercise does not ask for "
                f"({names}); remove {'it' if len(alignment.extra) == 1 else 'them'}.",
                line=actual.line,
                file=actual.file,
            )
        )
    if fixed and not alignment.positional and not (alignment.missing or alignment.extra):
        findings.append(
            ctx.finding(
                "result.column-order",
                "The columns are right, but the exercise asks for them in this order: "
                f"{', '.join(e_cols)}.",
                line=actual.line,
                file=actual.file,
            )
        )
    return findings


def _count(n: int) -> str:
    return "1 column" if n == 1 else f"{n} columns"
