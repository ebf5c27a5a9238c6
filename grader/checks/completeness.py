"""The result shows that the fragments add up to the table (Exercise 1.1b), in whatever
form a TA accepts: the counts side by side, a boolean, or a difference of zero.

The table's count and the fragments' counts come from the reference's result, never
from a number written in the rubric, so the check follows the data it runs on.
"""

from __future__ import annotations

import re
from collections import Counter

from grader.checks.base import CheckContext, CheckResult
from grader.checks.result import last_result
from grader.core.lab import CheckSpec
from grader.core.names import name_key
from grader.core.trace import ExerciseRun, StatementOutcome
from grader.submission.sql_static import analyze_query

_INTEGER = re.compile(r"^[+-]?\d+$")
_YES = frozenset(
    {"t", "true", "yes", "y", "oui", "vrai", "ok", "complete", "complet", "complète", "✓"}
)
_NO = frozenset({"f", "false", "no", "n", "non", "faux", "incomplete", "incomplet", "incomplète"})


def check(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    expected = last_result(ctx.reference)
    counts = _integers(expected)
    if expected is None or not counts:
        return CheckResult.none(
            ctx.finding("completeness.no-reference", "The reference gave no counts.")
        )
    table_count = max(counts)
    fragment_counts = Counter(c for c in counts if c < table_count)
    actual = last_result(ctx.student)
    if actual is None or actual.rows is None:
        return CheckResult.none(
            ctx.finding(
                "completeness.none",
                "No query here returned rows: count the rows of each fragment and of "
                "TrainingData in one SELECT.",
                line=ctx.first_sql_line,
                file=ctx.first_sql_file,
            )
        )
    synonyms = ctx.lab.names.synonyms
    fragments = [str(v).lower() for v in spec.params.get("fragments", [])]
    table = str(spec.params.get("table", "trainingdata")).lower()
    # Read under the student's own names too: TrainingData_Montréal is the Montreal fragment.
    read = {name_key(r, synonyms) for r in _relations_read(ctx.student, actual)}
    unread = [f for f in fragments if name_key(f, synonyms) not in read]
    if fragments and len(unread) == len(fragments):
        return CheckResult.none(
            ctx.finding(
                "completeness.hard-coded",
                "The query reads none of the fragment views, so its numbers are typed in, "
                "not counted: count the rows of each view with COUNT(*).",
                line=actual.line,
                file=actual.file,
            )
        )
    verdict = _verdict(actual, table_count, fragment_counts, name_key(table, synonyms) in read)
    score, message = verdict
    findings = []
    if message:
        findings.append(
            ctx.finding("completeness.missing", message, line=actual.line, file=actual.file)
        )
    if unread and score > 0.5:
        score = 0.5
        findings.append(
            ctx.finding(
                "completeness.unread",
                f"The query does not read {', '.join(unread)}: every fragment must be "
                "counted for the total to mean anything.",
                line=actual.line,
                file=actual.file,
            )
        )
    return CheckResult(score, findings)


def _verdict(
    actual: StatementOutcome, table_count: int, fragment_counts: Counter[int], reads_table: bool
) -> tuple[float, str | None]:
    words = {(c or "").strip().lower() for row in actual.rows or [] for c in row}
    shown = Counter(_integers(actual))
    shows_fragments = not (fragment_counts - shown)
    if reads_table and words & _YES:
        return 1.0, None
    if reads_table and 0 in shown and 0 not in fragment_counts:
        return 1.0, None
    if reads_table and shows_fragments and (shown - fragment_counts)[table_count] > 0:
        return 1.0, None
    if reads_table and words & _NO:
        return 0.5, (
            "The comparison answers that the fragments do not hold all of TrainingData's "
            "rows: check that it compares the sum of the four counts with the table's count."
        )
    if shows_fragments:
        return 0.5, (
            "The result shows each fragment's count but does not compare their total with "
            "TrainingData's own count: add SELECT COUNT(*) FROM TrainingData to the result."
        )
    wanted = ", ".join(str(c) for c in sorted(fragment_counts.elements(), reverse=True))
    return 0.0, (
        f"The result does not show the fragments' row counts ({wanted}) adding up to "
        f"TrainingData's {table_count} rows: count every row of each fragment view with "
        "COUNT(*), without a filter."
    )


def _integers(outcome: StatementOutcome | None) -> list[int]:
    if outcome is None:
        return []
    return [int(c) for row in outcome.rows or [] for c in row if c and _INTEGER.match(c.strip())]


def _relations_read(run: ExerciseRun | None, result: StatementOutcome) -> frozenset[str]:
    """What the result's statement reads, through the views the same answer created."""
    views: dict[str, frozenset[str]] = {}
    for stmt in run.statements if run else []:
        shape = analyze_query(stmt.sql)
        if shape is not None:
            for name in shape.views_created:
                views[name.lower()] = shape.tables
    shape = analyze_query(result.sql)
    read = set(shape.tables if shape else ())
    pending = list(read)
    while pending:
        for inner in views.pop(pending.pop(), frozenset()):
            if inner not in read:
                read.add(inner)
                pending.append(inner)
    return frozenset(read)
