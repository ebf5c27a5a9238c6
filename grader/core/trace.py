"""What the engine did with a submission: the only input of grading that needs a database.

The runner fills a `RunTrace` by executing statements on a cluster; `grade()`
reads it and never touches the engine itself. Values are kept as PostgreSQL's
text output (what psql prints), so they compare with pasted output directly.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

Row = tuple[str | None, ...]


class Outcome(StrEnum):
    OK = "ok"
    ERROR = "error"  # the engine refused the statement (student's fault or by design)
    TIMEOUT = "timeout"  # a grader limit cancelled it
    LIMIT = "limit"  # some other grader limit fired (rows, output size, statement count)
    SKIPPED = "skipped"  # not run: a psql meta-command, or a limit stopped the exercise


class StatementOutcome(BaseModel):
    sql: str
    line: int | None = None  # line in the exercise file where the statement starts
    file: str | None = None  # set when the statement came from a data/*.sql file: its lines
    kind: str = ""  # "select", "create_view", "insert", "meta", ...
    outcome: Outcome = Outcome.OK
    columns: list[str] | None = None  # None when the statement returns no rows
    rows: list[Row] | None = None
    row_count: int | None = None  # all rows the engine returned, even past a truncation
    truncated: bool = False
    command_tag: str | None = None  # "INSERT 0 1", "CREATE VIEW"
    error: str | None = None  # the engine's primary message, without "ERROR:  "
    sqlstate: str | None = None
    notices: list[str] = Field(default_factory=list)
    limit: str | None = None  # which limit fired, with its value: "statement time limit (5 s)"
    elapsed_ms: float = 0.0


class ExerciseRun(BaseModel):
    exercise: str
    statements: list[StatementOutcome] = Field(default_factory=list)
    probes: dict[str, StatementOutcome] = Field(default_factory=dict)  # rubric probe -> outcome
    limit: str | None = None  # a limit that stopped the exercise, with its value
    # the exercise left a transaction block open (or failed): the runner rolled it back
    rolled_back_open_transaction: bool = False
    elapsed_ms: float = 0.0
    # The probes' relations found under the student's own names (rubric name -> student's).
    renamed: dict[str, str] = Field(default_factory=dict)
    # Earlier exercises whose objects were missing or wrong: this run used the reference's,
    # and `own_statements` is the run on the student's own objects (for pasted output).
    on_reference: list[str] = Field(default_factory=list)
    own_statements: list[StatementOutcome] | None = None


class EngineInfo(BaseModel):
    backend: str  # "local", "docker"
    postgres_version: str
    citus_version: str | None = None  # None: plain PostgreSQL, Citus-only exercises ungraded
    workers: int = 0
    chosen_because: str = ""  # why this backend grades, e.g. "auto: no Docker engine reachable"

    @property
    def has_citus(self) -> bool:
        return self.citus_version is not None


class RunTrace(BaseModel):
    engine: EngineInfo
    exercises: dict[str, ExerciseRun] = Field(default_factory=dict)
    nodes: dict[str, str] = Field(default_factory=dict)  # "host:port" -> role, for plans
    infrastructure_error: str | None = None  # set: the run is `error`, to be retried
    limit: str | None = None  # the job-wide limit, if it fired
    elapsed_ms: float = 0.0
