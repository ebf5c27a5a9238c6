"""Finding a student's objects under the names they really used.

The rubric's probes read fixed names (`trainingdata_montreal`); a student may have written
`TrainingData_Montréal` or `MedicalRecords_Clinique`. Before the probes run, the names they
read that do not exist are looked up in the engine's catalogue among the relations the
session can see, matched by `grader.core.names`, and the probe is rewritten to the
student's name. The report says which name was used.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from grader.core.lab import Probe
from grader.core.names import match_names
from grader.core.trace import Outcome
from grader.run.session import Session

_CATALOGUE = (
    "SELECT c.relname FROM pg_catalog.pg_class c"
    " WHERE pg_catalog.pg_table_is_visible(c.oid) AND c.relkind IN ('r', 'v', 'm', 'p', 'f')"
    " AND c.relnamespace <> 'pg_catalog'::regnamespace"
    " AND c.relnamespace <> 'information_schema'::regnamespace"
)
_LOOKUP_SECONDS = 10


def relations_read(sql: str) -> set[str]:
    """The unqualified relation names a statement reads, folded as PostgreSQL folds them."""
    tree = _parse(sql)
    if tree is None:
        return set()
    return {_folded(t) for t in tree.find_all(exp.Table) if not t.db}


def rename_relations(sql: str, names: Mapping[str, str]) -> str:
    """The statement with each relation in `names` (folded name -> the student's actual
    name) replaced by the actual name, quoted so it is read exactly as the catalogue has it."""
    if not names:
        return sql
    tree = _parse(sql)
    if tree is None:
        return sql
    changed = False
    for table in tree.find_all(exp.Table):
        actual = names.get(_folded(table))
        if actual is not None and not table.db:
            table.set("this", exp.to_identifier(actual, quoted=True))
            changed = True
    return tree.sql(dialect="postgres") if changed else sql


def resolve(
    session: Session, probes: Iterable[Probe], synonyms: Mapping[str, str]
) -> dict[str, str]:
    """For the probes' relations that do not exist, the student's relation that reads the
    same (folded expected name -> actual name); empty when every name exists as such."""
    wanted = set().union(*(relations_read(p.sql) for p in probes))
    if not wanted:
        return {}
    listing = session.run(
        _CATALOGUE,
        deadline=time.monotonic() + _LOOKUP_SECONDS,
        label=f"catalogue lookup time limit ({_LOOKUP_SECONDS} s)",
    )
    if listing.outcome is not Outcome.OK or listing.rows is None:
        return {}
    present = [str(row[0]) for row in listing.rows if row and row[0] is not None]
    return match_names(sorted(wanted), present, synonyms)


def _parse(sql: str) -> exp.Expr | None:
    try:
        return sqlglot.parse_one(sql, read="postgres")
    except SqlglotError:
        return None


def _folded(table: exp.Table) -> str:
    """PostgreSQL folds unquoted names to lower case and keeps quoted ones."""
    ident = table.this
    if isinstance(ident, exp.Identifier) and ident.quoted:
        return str(ident.this)
    return table.name.lower()
