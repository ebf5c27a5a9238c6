"""Pasted psql output must be something the engine produces for the student's own SQL.

A pasted table, plan or error that no statement of the exercise reproduces is flagged
with both sides shown: it was typed, edited, or came from another engine or query.
Node addresses are compared by role, since the student's cluster (citus_worker3:5432)
and the grading cluster (127.0.0.1:9703) name the same worker differently.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from grader.checks.base import CheckContext, CheckResult
from grader.checks.compare import bag_diff, render_rows
from grader.checks.pasted_pairs import is_meta, pairs
from grader.core.findings import Finding, Severity
from grader.core.lab import CheckSpec
from grader.core.trace import Outcome, StatementOutcome
from grader.submission.psql_output import (
    PastedItem,
    PastedMessage,
    PastedPlan,
    PastedTable,
    normalise_node_addresses,
    parse_psql_output,
)

_TOLERANCE = 0.00005  # psql prints what the engine sends; this only absorbs trailing zeros
_PLAN_KEYS = ("Custom Scan", "Task Count", "Tasks Shown", "Node:")
_LAB_PORT = 5432  # in the students' Docker cluster every node listens on 5432 under its name

Roles = dict[tuple[str, int], str]

# findings that withhold the exercise's result points until a person clears them
HOLD_CODES = frozenset({"pasted.fabricated"})


def node_roles(engine_nodes: dict[str, str], workers: int = 3) -> Roles:
    """(host, port) -> role, for the grading cluster and for the students' cluster."""
    roles = {("citus_master", _LAB_PORT): "coordinator"}
    roles |= {(f"citus_worker{i}", _LAB_PORT): f"worker{i}" for i in range(1, workers + 1)}
    for address, role in engine_nodes.items():
        host, _, port = address.rpartition(":")
        roles[(host, int(port))] = role
    return roles


def plan_signature(lines: Sequence[str], roles: Roles) -> list[str]:
    """The lines that say where a distributed plan runs, with addresses as roles.

    With "Tasks Shown: One of N" the one task printed is the engine's pick, not a fact
    of the query, so its Node line is left out of the comparison."""
    out = []
    for raw in lines:
        line = raw.strip().lstrip("->").strip()
        if line.startswith(_PLAN_KEYS):
            line = re.sub(r"\s*\((?:cost|actual)[^)]*\)", "", line)
            line = re.sub(r"\s+dbname=\S+", "", normalise_node_addresses(line, roles))
            out.append(re.sub(r"\s+", " ", line))
    if any(line.startswith("Tasks Shown: One of") for line in out):
        out = [line for line in out if not line.startswith("Node:")]
    return out


def with_roles(row: Sequence[str | None], roles: Roles) -> list[str | None]:
    """A row in which (host, port) cell pairs naming a node are spelled as its role."""
    out = list(row)
    for i in range(len(out) - 1):
        host, port = out[i], out[i + 1]
        if host is None or port is None or not port.strip().isdigit():
            continue
        role = roles.get((host.strip(), int(port)))
        if role is not None:
            out[i], out[i + 1] = role, "(port)"
    return out


@dataclass(frozen=True)
class _Engine:
    """What the engine did in this exercise, ready to compare with pastes."""

    results: list[StatementOutcome]
    plans: list[list[str]]
    errors: list[str]
    roles: Roles

    def rows(self, stmt: StatementOutcome) -> list[list[str | None]]:
        return [with_roles(r, self.roles) for r in stmt.rows or []]


# psql's describe commands (\d, \dt, \l, \dn, \du, \di, \df, \dx, with or without +):
# their output is the catalogue as psql formats it, which the grader does not run.
_META_HEADERS = frozenset(
    {
        "Schema",
        "Name",
        "Type",
        "Owner",
        "Persistence",
        "Access method",
        "Size",
        "Description",
        "Table",
        "Column",
        "Collation",
        "Nullable",
        "Default",
        "Storage",
        "Compression",
        "Stats target",
        "Encoding",
        "Collate",
        "Ctype",
        "ICU Locale",
        "Locale Provider",
        "Access privileges",
        "Role name",
        "Attributes",
        "Member of",
        "Result data type",
        "Argument data types",
        "Version",
        "Tablespace",
    }
)
_META_FIRST = frozenset({"Schema", "Column", "Name", "Role name"})


def _table_matches(pasted: PastedTable, stmt: StatementOutcome, engine: _Engine) -> bool:
    if stmt.columns is None or len(stmt.columns) != len(pasted.columns):
        return False
    theirs = [with_roles(r, engine.roles) for r in pasted.rows]
    diff = bag_diff(theirs, engine.rows(stmt), _TOLERANCE)
    if diff.missing:
        return False
    if pasted.footer_count is not None and pasted.footer_count != stmt.row_count:
        return False
    # Rows may be cut from a long paste, but only where the footer does not claim them all.
    return not diff.extra or pasted.footer_count is None or stmt.truncated


def _is_meta_output(pasted: PastedTable, engine: _Engine) -> bool:
    """A describe command's listing, which no statement of the exercise returned."""
    if not pasted.columns or pasted.columns[0] not in _META_FIRST:
        return False
    if not set(pasted.columns) <= _META_HEADERS:
        return False
    return not any(s.columns and tuple(s.columns) == pasted.columns for s in engine.results)


def _same_query(pasted: PastedTable, engine: _Engine) -> StatementOutcome | None:
    """The engine's result under the paste's own column names: the paste is that query's
    output, so rows that differ were changed after the fact."""
    names = [c.casefold() for c in pasted.columns]
    for stmt in reversed(engine.results):
        if stmt.columns is not None and [c.casefold() for c in stmt.columns] == names:
            return stmt
    return None


def _side_by_side(pasted: PastedTable, engine: _Engine) -> str:
    same_width = [s for s in engine.results if s.columns and len(s.columns) == len(pasted.columns)]
    candidates = [s] if (s := _same_query(pasted, engine)) else same_width or engine.results
    theirs = render_rows(pasted.columns, pasted.rows)
    if not candidates or candidates[-1].columns is None:
        return f"Pasted:\n{theirs}\n\nThe engine returned no rows for this exercise."
    ours = render_rows(candidates[-1].columns, candidates[-1].rows or [])
    return f"Pasted:\n{theirs}\n\nThe engine returned:\n{ours}"


_NOT_JUDGED = Finding(code="pasted.not-judged", message="")


def _judge_table(
    item: PastedTable, engine: _Engine, paired: _Engine, ctx: CheckContext, line: int
) -> Finding | None:
    # The statement the paste follows first; then any of the exercise, since students
    # often paste all outputs together after the last query.
    if any(_table_matches(item, s, engine) for s in paired.results + engine.results):
        return None
    if _is_meta_output(item, engine):
        return _NOT_JUDGED
    if _same_query(item, paired) or _same_query(item, engine):
        return ctx.finding(
            "pasted.fabricated",
            "This pasted result has your query's columns but rows the engine does not "
            "return: it looks edited by hand. The exercise keeps no points for its result "
            "until a TA has looked at it; paste psql's output exactly as printed.",
            line=line,
            detail=_side_by_side(item, paired if paired.results else engine),
        )
    return ctx.finding(
        "pasted.unreproducible",
        "This pasted result is not what the engine returns for your SQL. Run the SQL of "
        "this exercise again and paste its output as psql prints it.",
        line=line,
        detail=_side_by_side(item, engine),
    )


def _judge(
    item: PastedItem, engine: _Engine, paired: _Engine, ctx: CheckContext, line: int
) -> Finding | None:
    """None when the engine reproduces the item, a finding when it does not, and
    _NOT_JUDGED for what is not compared (command tags, notices)."""
    if isinstance(item, PastedTable):
        return _judge_table(item, engine, paired, ctx, line)
    if isinstance(item, PastedPlan):
        sig = plan_signature(item.lines, engine.roles)
        if any(all(s in plan for s in sig) for plan in engine.plans):
            return None
        ours = "\n".join(engine.plans[-1]) if engine.plans else "(no EXPLAIN ran here)"
        return ctx.finding(
            "pasted.plan-mismatch",
            "This pasted plan does not match the engine's plan for your query.",
            line=line,
            detail="Pasted:\n" + "\n".join(sig) + "\n\nThe engine:\n" + ours,
        )
    if isinstance(item, PastedMessage) and item.level == "ERROR":
        text = item.text.strip().casefold()[:60]
        if any(text in e.casefold() or e.casefold()[:60] in text for e in engine.errors if e):
            return None
        return ctx.finding(
            "pasted.error-unreproducible",
            "The engine does not raise this pasted error for your SQL.",
            line=line,
            detail=f"Pasted: ERROR:  {item.text}\nEngine: {engine.errors or 'no error'}",
        )
    return _NOT_JUDGED


def _engine_of(statements: Sequence[StatementOutcome], roles: Roles) -> _Engine:
    run = [s for s in statements if s.outcome is not Outcome.SKIPPED]
    return _Engine(
        results=[s for s in run if s.columns is not None and s.kind != "explain"],
        plans=[
            plan_signature([r[0] or "" for r in s.rows or []], roles)
            for s in run
            if s.kind == "explain" and s.rows
        ],
        errors=[s.error or "" for s in run if s.outcome is Outcome.ERROR],
        roles=roles,
    )


def check(ctx: CheckContext, spec: CheckSpec) -> CheckResult:
    blocks = ctx.answer.outputs if ctx.answer else []
    if not blocks or ctx.answer is None:
        if not spec.params.get("required", True):
            return CheckResult.full()
        return CheckResult.none(
            ctx.finding(
                "pasted.missing",
                "No psql output is pasted as text here.",
                severity=Severity.WARNING,
            )
        )
    statements = ctx.student.statements if ctx.student else []
    roles = node_roles(ctx.nodes)
    engine = _engine_of(statements, roles)
    findings: list[Finding] = []
    judged = 0
    for block in blocks:
        block_pairs = pairs(block, ctx.answer, statements)
        for item in parse_psql_output(block.text):
            paired = [p for start, p in block_pairs if start <= item.line][-1:] or [[]]
            if paired[0] and all(is_meta(s.sql) for s in paired[0]):
                continue  # output of \d, \dt, \l ...: the grader does not run them
            verdict = _judge(
                item, engine, _engine_of(paired[0], roles), ctx, block.line + item.line
            )
            if verdict is _NOT_JUDGED:
                continue
            judged += 1
            if verdict is not None:
                findings.append(verdict)
    if judged == 0:
        return CheckResult.full()
    return CheckResult((judged - len(findings)) / judged, findings)
