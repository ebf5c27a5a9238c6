"""Hard-coding caught by data variation: the exercise's result and objects checks judged
again on each variant data set, where the student's SQL and the reference both ran.

An answer that is right on the lab's seed but not on a variant was shaped by the seed's
rows (ids listed by hand, values typed from a result, a LIMIT that happens to cut right):
it keeps none of the points of the check it passed only there. An answer already wrong on
the seed is left to that check alone, so a mistake never costs twice.
"""

from __future__ import annotations

from dataclasses import replace

from grader.checks import objects, result
from grader.checks.base import Check, CheckContext, CheckResult, VariantRun
from grader.core.findings import Finding, Severity
from grader.core.lab import CheckSpec
from grader.core.trace import ExerciseRun, Outcome

_JUDGED: dict[str, Check] = {"result": result.check, "objects": objects.check}
_MISSING_RELATION = "42P01"  # made under another exercise's heading: not run on the variants
_EPSILON = 1e-9


def check(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    if not ctx.variants:
        return CheckResult.full()
    voids: set[str] = set()
    findings: list[Finding] = []
    unchecked = {v.name for v in ctx.variants if _made_elsewhere(ctx.student, v.student)}
    findings += [_unchecked(ctx, v) for v in ctx.variants if v.name in unchecked]
    for judged in ctx.exercise.checks:
        judge = _JUDGED.get(judged.type)
        if judge is None:
            continue
        on_seed = judge(ctx, judged).score
        if on_seed <= _EPSILON:
            continue
        for variant in ctx.variants:
            if variant.name in unchecked:
                continue
            # The lab's own fault, never the student's: the reference fails its own check.
            itself = replace(ctx, student=variant.reference, reference=variant.reference)
            if judge(itself, judged).score < 1 - _EPSILON:
                continue
            on_variant = replace(ctx, student=variant.student, reference=variant.reference)
            there = judge(on_variant, judged)
            if there.score < on_seed - _EPSILON:
                voids.add(judged.type)
                findings.append(_seed_only(ctx, judged.type, variant, there))
                break
    return CheckResult(0.0 if voids else 1.0, findings, voids=frozenset(voids))


def _made_elsewhere(seed: ExerciseRun | None, there: ExerciseRun | None) -> bool:
    """Objects found after the seed's run but missing on the variant: the student made them
    under another exercise's heading, which the variants do not run."""
    if there is None:
        return True
    return any(
        p.outcome is Outcome.ERROR
        and p.sqlstate == _MISSING_RELATION
        and seed is not None
        and (s := seed.probes.get(name)) is not None
        and s.outcome is Outcome.OK
        for name, p in there.probes.items()
    )


def _seed_only(ctx: CheckContext, kind: str, variant: VariantRun, there: CheckResult) -> Finding:
    what = "rows" if kind == "result" else "objects' rows"
    detail = "\n\n".join(
        f"{f.message}\n{f.detail}" if f.detail else f.message for f in there.findings
    )
    return ctx.finding(
        f"{kind}.seed-only",
        f"Gives the right {what} only on the lab's own data: values, ids or a LIMIT "
        "taken from the seed's rows, or a join or filter that only happens to fit them? "
        f"On other data ({variant.description}) the answer differs from the reference; "
        "write the query so that it computes the answer from the tables.",
        line=ctx.first_sql_line,
        file=ctx.first_sql_file,
        detail=f"On the variant data set {variant.name}:\n{detail}" if detail else None,
    )


def _unchecked(ctx: CheckContext, variant: VariantRun) -> Finding:
    return ctx.finding(
        "variants.unchecked",
        f"Not checked on the variant data set {variant.name}: this exercise's objects are "
        "created under another heading.",
        severity=Severity.INFO,
    )
