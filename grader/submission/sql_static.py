"""What a student's SQL is, read without a database: its statements, their kinds, a query's shape.

Splitting follows psql (see `sql_split`); kinds and shapes use sqlglot's PostgreSQL dialect,
with keywords where sqlglot has no grammar (PREPARE TRANSACTION, COMMIT PREPARED, EXPLAIN).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from grader.submission.sql_split import psql_pieces

_Node = TypeVar("_Node", bound="exp.Expr")

# sqlglot logs a warning for every statement it falls back to parsing as an opaque command.
logging.getLogger("sqlglot").setLevel(logging.ERROR)

_LEADING_NOISE = re.compile(r"(?:\s+|--[^\n]*|/\*.*?\*/)*", re.DOTALL)
_EXPLAIN = re.compile(
    r"EXPLAIN\s*(?:\([^)]*\)\s*|(?:ANALYZE|ANALYSE|VERBOSE|BUFFERS|COSTS)\b\s*)*", re.IGNORECASE
)
_CREATE = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:GLOBAL|LOCAL)\s+)?"
    r"(?:TEMP\w*\s+|UNLOGGED\s+|MATERIALIZED\s+|RECURSIVE\s+|UNIQUE\s+)*(\w+)",
    re.IGNORECASE,
)
_CREATE_KINDS = {"VIEW": "create_view", "TABLE": "create_table", "INDEX": "create_index"}
_AGGREGATES: dict[type[exp.Expr], str] = {
    exp.Count: "count",
    exp.Avg: "avg",
    exp.Sum: "sum",
    exp.Min: "min",
    exp.Max: "max",
}
_FIRST_WORDS: dict[tuple[str, ...], str] = {
    ("PREPARE", "TRANSACTION"): "prepare_transaction",
    ("COMMIT", "PREPARED"): "commit_prepared",
    ("ROLLBACK", "PREPARED"): "rollback_prepared",
    ("START", "TRANSACTION"): "begin",
    ("BEGIN",): "begin",
    ("COMMIT",): "commit",
    ("END",): "commit",
    ("ROLLBACK",): "rollback",
    ("ABORT",): "rollback",
    ("EXPLAIN",): "explain",
    ("SET",): "set",
    ("RESET",): "set",
    ("SHOW",): "show",
    ("COPY",): "copy",
    ("SELECT",): "select",
    ("VALUES",): "select",
    ("TABLE",): "select",
    ("INSERT",): "insert",
    ("UPDATE",): "update",
    ("DELETE",): "delete",
    ("DROP",): "drop",
    ("ALTER",): "alter",
}
_WITH_KINDS: dict[type[exp.Expr], str] = {
    exp.Insert: "insert",
    exp.Update: "update",
    exp.Delete: "delete",
}


@dataclass(frozen=True)
class Statement:
    text: str  # exactly what psql would send (or the meta-command line)
    line: int  # 1-based file line where `text` starts
    kind: str
    meta: bool


@dataclass(frozen=True)
class QueryShape:
    tables: frozenset[str]  # relations read, lower-case, CTE names excluded, views as named
    joins: int  # explicit JOINs and comma joins
    aggregates: frozenset[str]  # among count, avg, sum, min, max
    filtered_columns: frozenset[str]  # columns in WHERE / HAVING / JOIN ON predicates
    group_by: bool
    order_by: bool
    views_created: tuple[str, ...]
    # Filtered columns whose every use is one side of `column = column` (join keys, not filters).
    join_only_columns: frozenset[str] = frozenset()


def split_statements(sql: str, first_line: int = 1) -> list[Statement]:
    """The script's commands as psql runs them, each with the file line where it starts."""
    return [
        Statement(
            text=piece.text,
            line=first_line + sql.count("\n", 0, piece.offset),
            kind="meta" if piece.meta else statement_kind(piece.text),
            meta=piece.meta,
        )
        for piece in psql_pieces(sql)
    ]


def statement_kind(text: str) -> str:
    """A coarse kind ("select", "create_view", "commit_prepared", ...) for routing checks."""
    body = _without_leading_noise(text)
    if body.startswith("\\"):
        return "meta"
    if body.startswith("("):
        return "select"
    words = re.findall(r"[A-Za-z_]+", body[:80].upper())[:2]
    if not words:
        return "other"
    if words[0] == "CREATE":
        match = _CREATE.match(body)
        return _CREATE_KINDS.get(match.group(1).upper(), "other") if match else "other"
    if words[0] == "WITH":
        return _with_kind(body)
    for prefix, kind in _FIRST_WORDS.items():
        if tuple(words[: len(prefix)]) == prefix:
            return kind
    return "other"


def analyze_query(sql: str) -> QueryShape | None:
    """The shape of one SELECT (possibly under EXPLAIN, CREATE VIEW or INSERT); None otherwise."""
    body = _without_leading_noise(sql).rstrip().rstrip(";")
    explain = _EXPLAIN.match(body)
    if explain:
        body = body[explain.end() :]
    tree = _parse(body)
    if tree is None:
        return None
    views: tuple[str, ...] = ()
    if isinstance(tree, exp.Create | exp.Insert):
        if isinstance(tree, exp.Create) and str(tree.args.get("kind", "")).upper() == "VIEW":
            views = (_table_name(tree.this),)
        query = tree.expression
    else:
        query = tree
    if not isinstance(query, exp.Query):
        return None
    cte_names = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    columns = Counter[str]()
    join_uses = Counter[str]()
    for predicate in _predicates(query):
        for column in _own_nodes(predicate, exp.Column):
            columns[column.name.lower()] += 1
        for eq in _own_nodes(predicate, exp.EQ):
            if isinstance(eq.this, exp.Column) and isinstance(eq.expression, exp.Column):
                join_uses[eq.this.name.lower()] += 1
                join_uses[eq.expression.name.lower()] += 1
    return QueryShape(
        tables=frozenset(
            name for t in query.find_all(exp.Table) if (name := _table_name(t)) not in cte_names
        ),
        joins=sum(1 for _ in query.find_all(exp.Join)),
        aggregates=frozenset(
            name for cls, name in _AGGREGATES.items() if any(True for _ in query.find_all(cls))
        ),
        filtered_columns=frozenset(columns),
        group_by=query.find(exp.Group) is not None,
        order_by=any(not isinstance(o.parent, exp.Window) for o in query.find_all(exp.Order)),
        views_created=views,
        join_only_columns=frozenset(c for c, n in columns.items() if join_uses[c] >= n),
    )


def fills_table(sql: str) -> bool:
    """True for `CREATE TABLE ... AS SELECT`: it creates the table and fills it, as a
    CREATE TABLE followed by an INSERT ... SELECT does."""
    tree = _parse(_without_leading_noise(sql).rstrip().rstrip(";"))
    return (
        isinstance(tree, exp.Create)
        and str(tree.args.get("kind", "")).upper() == "TABLE"
        and isinstance(tree.expression, exp.Query)
    )


def filters_non_key(shape: QueryShape, distribution_keys: Mapping[str, str]) -> bool:
    """True when the query filters on a column that is no table's distribution key."""
    keys = {column.lower() for column in distribution_keys.values()}
    return any(
        column not in keys and column not in shape.join_only_columns
        for column in shape.filtered_columns
    )


def _without_leading_noise(text: str) -> str:
    match = _LEADING_NOISE.match(text)
    return text[match.end() :] if match else text


def _parse(sql: str) -> exp.Expr | None:
    try:
        return sqlglot.parse_one(sql, read="postgres")
    except SqlglotError:
        return None


def _with_kind(body: str) -> str:
    tree = _parse(body.rstrip().rstrip(";"))
    if tree is None:
        return "with_select"
    return _WITH_KINDS.get(type(tree), "with_select" if isinstance(tree, exp.Query) else "other")


def _table_name(node: exp.Expr) -> str:
    table = node if isinstance(node, exp.Table) else node.find(exp.Table)
    return table.name.lower() if table is not None else ""


def _predicates(query: exp.Expr) -> Iterator[exp.Expr]:
    for clause in query.find_all(exp.Where, exp.Having):
        yield clause.this
    for join in query.find_all(exp.Join):
        on = join.args.get("on")
        if on is not None:
            yield on


def _own_nodes(predicate: exp.Expr, kind: type[_Node]) -> Iterator[_Node]:
    """Nodes of a predicate, not inside its subqueries (their own clauses are visited)."""
    for node in predicate.walk(prune=lambda n: isinstance(n, exp.Query)):
        if isinstance(node, kind):
            yield node
