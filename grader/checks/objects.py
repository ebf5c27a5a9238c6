"""Objects the exercise creates (fragment views, tables, reconstructions) hold what the
reference's do: the rubric's probes ran on both states after the exercise.

An object is judged whole, as a TA reads a fragment: its full column set (matched by name,
then by content, so a view with a column list or another column order is the same view)
and its rows. A fragment's columns are its definition, so an extra or a missing column
makes it a wrong fragment, said as such. Objects found under the student's own names
(`TrainingData_Montréal`) count, and the report says which name was used.
"""

from __future__ import annotations

from dataclasses import replace

from grader.checks.base import CheckContext, CheckResult
from grader.checks.columns import align, column_key, matched_rows, shared_names
from grader.checks.compare import bag_diff, describe_diff
from grader.core.findings import Finding, Severity
from grader.core.lab import CheckSpec
from grader.core.trace import Outcome, StatementOutcome


def check(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    names = [str(n) for n in spec.params.get("probes", [p.name for p in ctx.exercise.probes])]
    if not names:
        return CheckResult.full()
    tolerance = float(spec.params.get("tolerance", 0.0001))
    about = {p.name: p.about or p.name for p in ctx.exercise.probes}
    optional = {p.name: {column_key(c) for c in p.optional_columns} for p in ctx.exercise.probes}
    findings = _renamed(ctx)
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
                ctx.finding(
                    "objects.missing",
                    f"{about[name]}: {why}.",
                    line=ctx.first_sql_line,
                    file=ctx.first_sql_file,
                )
            )
            continue
        problems = _compare(
            ctx, about.get(name, name), ref, got, tolerance, optional.get(name, set())
        )
        if problems:
            findings += problems
        else:
            passed += 1
    return CheckResult(passed / len(names), findings)


def _compare(
    ctx: CheckContext,
    label: str,
    ref: StatementOutcome,
    got: StatementOutcome,
    tolerance: float,
    optional: set[str],
) -> list[Finding]:
    e_cols, g_cols = ref.columns or [], got.columns or []
    alignment = align(e_cols, ref.rows or [], g_cols, got.rows or [], tolerance)
    if optional:
        kept = tuple(i for i in alignment.extra if column_key(g_cols[i]) not in optional)
        alignment = replace(alignment, extra=kept)
    findings = []
    if alignment.missing:
        lacking = ", ".join(e_cols[i] for i in alignment.missing)
        findings.append(
            ctx.finding(
                "objects.missing-columns",
                f"{label} lacks {_columns(len(alignment.missing))} it must hold ({lacking}).",
                line=ctx.first_sql_line,
                file=ctx.first_sql_file,
            )
        )
    if alignment.extra:
        extra = ", ".join(g_cols[i] for i in alignment.extra)
        findings.append(
            ctx.finding(
                "objects.extra-columns",
                f"{label} holds {_columns(len(alignment.extra))} it must not ({extra}): "
                "a fragment keeps exactly the columns of its definition.",
                line=ctx.first_sql_line,
                file=ctx.first_sql_file,
            )
        )
    wanted, produced = matched_rows(alignment, ref.rows or [], got.rows or [])
    diff = bag_diff(wanted, produced, tolerance)
    if not diff.same:
        findings.append(
            ctx.finding(
                "objects.content",
                f"{label} does not hold the expected rows.",
                line=ctx.first_sql_line,
                file=ctx.first_sql_file,
                detail=describe_diff(shared_names(alignment, g_cols), diff),
            )
        )
    return findings


def _renamed(ctx: CheckContext) -> list[Finding]:
    renamed = ctx.student.renamed if ctx.student else {}
    if not renamed:
        return []
    pairs = ", ".join(f"{theirs} for {ours}" for ours, theirs in sorted(renamed.items()))
    return [
        ctx.finding(
            "objects.renamed",
            f"Found under your own names: {pairs}.",
            severity=Severity.INFO,
        )
    ]


def _columns(n: int) -> str:
    return "1 column" if n == 1 else f"{n} columns"
