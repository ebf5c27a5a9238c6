"""Each exercise judged on its own: when an exercise reads objects an earlier one should
have made (1.1b counts 1.1a's fragments) and the student's are missing or wrong, it runs
again on the reference's objects, so one mistake costs points once.

The reference's objects are built in a schema of their own, first on the search path for
that second run, under the names the student's own SQL reads: nothing of the student's is
dropped or changed, and statements that create objects do not collide with the first run's.
The first run stays in the trace: pasted output is compared with what the student's own
objects gave.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

from grader.core.errors import InfrastructureError
from grader.core.trace import ExerciseRun, Outcome, StatementOutcome
from grader.run.object_names import rename_relations, same_rows
from grader.run.session import Session

SCHEMA = "grader_reference"
_SETUP_SECONDS = 30
_LABEL = f"reference objects time limit ({_SETUP_SECONDS} s)"


@dataclass(frozen=True)
class Prerequisite:
    """An earlier exercise whose objects this one reads."""

    exercise: str
    # That exercise's probes on the reference, on the same data set: what the objects hold.
    expected: Mapping[str, StatementOutcome]
    rebuild: tuple[str, ...]  # the reference's SQL of that exercise, statement by statement


def broken(prerequisites: Sequence[Prerequisite], runs: Mapping[str, ExerciseRun]) -> list[str]:
    """The earlier exercises whose objects, in the student's run, are missing or wrong."""
    return [p.exercise for p in prerequisites if not _holds(p, runs.get(p.exercise))]


def _holds(prerequisite: Prerequisite, run: ExerciseRun | None) -> bool:
    return run is not None and all(
        same_rows(want, run.probes.get(name)) for name, want in prerequisite.expected.items()
    )


class ReferenceObjects:
    """The reference's objects of some earlier exercises, put first on the session's path."""

    def __init__(self, session: Session, admin_dsn: str) -> None:
        self._session = session
        self._admin_dsn = admin_dsn
        self._previous_path: str | None = None

    def build(
        self,
        prerequisites: Sequence[Prerequisite],
        names: Mapping[str, str],
    ) -> bool:
        """Create them under the student's names; False (and nothing in effect) if the
        reference's SQL cannot be built here, which leaves the exercise judged as it ran."""
        role = self._scalar("SELECT current_user")
        path = self._scalar("SELECT current_setting('search_path')")
        if role is None or path is None:
            return False
        self._create_schema(role)
        self._previous_path = path
        self._run(
            f"SET search_path = {SCHEMA}, {path}" if path.strip() else f"SET search_path = {SCHEMA}"
        )
        for prerequisite in prerequisites:
            for statement in prerequisite.rebuild:
                if self._run(rename_relations(statement, names)).outcome is not Outcome.OK:
                    self.restore()
                    return False
        return True

    def restore(self) -> None:
        """Put the student's own search path back for the exercises that follow."""
        if self._previous_path is not None:
            self._run(
                f"SET search_path = {self._previous_path}"
                if self._previous_path.strip()
                else "RESET search_path"
            )
            self._previous_path = None

    def _create_schema(self, role: str) -> None:
        try:
            with psycopg.connect(self._admin_dsn, autocommit=True, connect_timeout=10) as conn:
                conn.execute(
                    sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(
                        sql.Identifier(SCHEMA), sql.Identifier(role)
                    )
                )
        except psycopg.Error as exc:
            raise InfrastructureError(
                f"cannot create the reference objects' schema: {exc}"
            ) from exc

    def _scalar(self, query: str) -> str | None:
        out = self._run(query)
        if out.outcome is not Outcome.OK or not out.rows or out.rows[0][0] is None:
            return None
        return str(out.rows[0][0])

    def _run(self, statement: str) -> StatementOutcome:
        return self._session.run(
            statement, deadline=time.monotonic() + _SETUP_SECONDS, label=_LABEL
        )
