"""Finding a student's objects under the names they really used.

The rubric's probes read fixed names (`trainingdata_montreal`); a student may have written
`TrainingData_Montréal` or `MedicalRecords_Clinique`, or `Frag_Tokyo`. Before the probes
run, the names they read that do not exist are looked up in the engine's catalogue among the
relations the session can see: matched by `grader.core.names`, and failing that by content
(a relation the student made that holds exactly what the reference's does). The probe is
then rewritten to the student's name, and the report says which name was used.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from grader.checks.compare import bag_diff
from grader.core.lab import Probe
from grader.core.names import match_names
from grader.core.trace import Outcome, StatementOutcome
from grader.run.session import Session

_CATALOGUE = (
    "SELECT c.relname FROM pg_catalog.pg_class c"
    " WHERE pg_catalog.pg_table_is_visible(c.oid) AND c.relkind IN ('r', 'v', 'm', 'p', 'f')"
    " AND c.relnamespace <> 'pg_catalog'::regnamespace"
    " AND c.relnamespace <> 'information_schema'::regnamespace"
)
_LOOKUP_SECONDS = 10
# Relations the student made under names nothing matched, tried by content; a submission
# rarely makes more, and a hostile one must not make the grader probe thousands.
_MAX_CANDIDATES = 12
_TOLERANCE = 0.0001


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


class ObjectFinder:
    """Finds the probes' relations in one job: by name, then by content among the relations
    the student made (those absent when the job started), compared with the reference's."""

    def __init__(self, session: Session, synonyms: Mapping[str, str]) -> None:
        self._session = session
        self._synonyms = synonyms
        self._lab_own = set(self._listing())

    def resolve(
        self, probes: Sequence[Probe], expected: Mapping[str, StatementOutcome]
    ) -> dict[str, str]:
        """For the probes' relations that do not exist, the student's relation that reads
        the same or holds the same (folded expected name -> actual name)."""
        wanted = set().union(*(relations_read(p.sql) for p in probes))
        if not wanted:
            return {}
        present = self._listing()
        found = match_names(sorted(wanted), present, self._synonyms)
        unmatched = [p for p in present if p not in self._lab_own and p not in wanted]
        unmatched = [p for p in unmatched if p not in found.values()]
        for probe in probes:
            reads = relations_read(probe.sql)
            want = expected.get(probe.name)
            if len(reads) != 1 or want is None or want.rows is None:
                continue
            (name,) = reads
            if name in present or name in found:
                continue
            for candidate in unmatched[:_MAX_CANDIDATES]:
                if self._holds(rename_relations(probe.sql, {name: candidate}), want):
                    found[name] = candidate
                    unmatched.remove(candidate)
                    break
        return found

    def _holds(self, sql: str, want: StatementOutcome) -> bool:
        return same_rows(want, self._run(sql))

    def _listing(self) -> list[str]:
        listing = self._run(_CATALOGUE)
        if listing.outcome is not Outcome.OK or listing.rows is None:
            return []
        return [str(row[0]) for row in listing.rows if row and row[0] is not None]

    def _run(self, sql: str) -> StatementOutcome:
        return self._session.run(
            sql,
            deadline=time.monotonic() + _LOOKUP_SECONDS,
            label=f"object lookup time limit ({_LOOKUP_SECONDS} s)",
        )


def same_rows(want: StatementOutcome, got: StatementOutcome | None) -> bool:
    """The engine gave what the reference did: as many columns, and the same bag of rows."""
    return (
        got is not None
        and got.outcome is Outcome.OK
        and got.rows is not None
        and want.rows is not None
        and len(got.columns or []) == len(want.columns or [])
        and bag_diff(want.rows, got.rows, _TOLERANCE).same
    )


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
