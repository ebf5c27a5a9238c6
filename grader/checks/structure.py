"""Required shape of the SQL, read statically with sqlglot (no engine needed):
e.g. Exercise 3.3 asks for a join of two tables, an aggregate and a non-key filter."""

from __future__ import annotations

from grader.checks.base import CheckContext, CheckResult
from grader.core.lab import CheckSpec
from grader.core.names import name_key
from grader.submission.sql_static import (
    QueryShape,
    analyze_query,
    fills_table,
    filters_non_key,
    split_statements,
)

_KIND_WORDS = {"insert": "an INSERT (or CREATE TABLE ... AS)", "create_view": "a CREATE VIEW"}


def check(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    if ctx.answer is None or not ctx.answer.sql:
        return CheckResult.none(ctx.finding("structure.no-sql", "No SQL to inspect here."))
    statements = [s for b in ctx.answer.sql for s in split_statements(b.text, b.line) if not s.meta]
    shapes: list[QueryShape] = [sh for s in statements if (sh := analyze_query(s.text)) is not None]
    kinds = {s.kind for s in statements}
    if any(s.kind == "create_table" and fills_table(s.text) for s in statements):
        kinds.add("insert")  # CREATE TABLE ... AS fills the table it creates
    p = spec.params
    requirements: list[tuple[bool, str]] = []
    for kind in p.get("kinds", []):
        what = _KIND_WORDS.get(kind, f"a {kind.replace('_', ' ').upper()} statement")
        requirements.append((kind in kinds, what))
    if "min_views" in p:
        views = sum(len(sh.views_created) for sh in shapes)
        requirements.append(
            (views >= int(p["min_views"]), f"at least {p['min_views']} CREATE VIEW")
        )
    if "min_tables" in p:
        most = max((len(sh.tables) for sh in shapes), default=0)
        requirements.append(
            (most >= int(p["min_tables"]), f"a query reading {p['min_tables']} tables")
        )
    if p.get("join"):
        requirements.append((any(sh.joins > 0 for sh in shapes), "a join"))
    if p.get("aggregate"):
        requirements.append(
            (any(sh.aggregates for sh in shapes), "an aggregate (COUNT, AVG, SUM...)")
        )
    if p.get("filter_non_key"):
        keys = ctx.lab.distribution_keys
        ok = any(filters_non_key(sh, keys) for sh in shapes)
        requirements.append((ok, "a filter on a column that is not a distribution key"))
    synonyms = ctx.lab.names.synonyms
    read = {name_key(t, synonyms) for sh in shapes for t in sh.tables}
    for table in p.get("reads", []):
        requirements.append((name_key(table, synonyms) in read, f"a query reading {table}"))
    if not requirements:
        return CheckResult.full()
    unmet = [what for ok, what in requirements if not ok]
    if not unmet:
        return CheckResult.full()
    message = "The SQL here lacks " + "; ".join(unmet) + "."
    # Where the exercise is defined by its shape (3.3), one requirement missed is most of it.
    each = float(p.get("unmet_costs", 1.0 / len(requirements)))
    score = max(0.0, 1.0 - len(unmet) * each)
    return CheckResult(
        score,
        [
            ctx.finding(
                "structure.missing", message, line=ctx.first_sql_line, file=ctx.first_sql_file
            )
        ],
    )
