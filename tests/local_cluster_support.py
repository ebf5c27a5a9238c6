"""Shared by the tests that start real `local` clusters: a tiny lab bundle, the two engine
variants (plain PostgreSQL always, Citus where installed) and a job's SQL helpers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest

from grader.cluster.base import JobDatabase
from grader.cluster.local.binaries import find_binaries
from grader.cluster.local.cluster import LocalCluster
from grader.core.errors import InfrastructureError
from grader.core.lab import Lab, Probe, load_lab
from grader.run.execute import PlannedExercise, PlannedStatement
from grader.settings import Limits
from grader.settings import LocalCluster as LocalSettings


def _installed() -> tuple[bool, bool]:
    try:
        binaries = find_binaries(None)
    except InfrastructureError:
        return False, False
    return True, binaries.has_citus


HAS_POSTGRES, HAS_CITUS = _installed()
needs_postgres = pytest.mark.skipif(
    not HAS_POSTGRES, reason="PostgreSQL server binaries (initdb, pg_ctl) are not installed"
)
VARIANTS = [
    pytest.param("off", id="postgres"),
    pytest.param(
        "on",
        id="citus",
        marks=[
            pytest.mark.citus,
            pytest.mark.skipif(
                not HAS_CITUS, reason="the Citus extension is not installed beside PostgreSQL"
            ),
        ],
    ),
]

TINY_LAB = {
    "lab.toml": """
id = "tiny"
title = "Tiny lab"
version = "1"
database = "tiny"
exercise_file = "exercises/tiny.md"
exercises = []

[setup]
schema_sql = "setup/schema.sql"
distribute_sql = "setup/distribute.sql"
seed_sql = "setup/seed.sql"
expected_counts = { Patients = 3, Visits = 4 }
""",
    "setup/schema.sql": """
CREATE TABLE Patients (idPatient serial, name text NOT NULL, country text NOT NULL,
  PRIMARY KEY (idPatient, country));
CREATE TABLE Visits (idVisit serial, idPatient int NOT NULL, country text NOT NULL,
  score numeric(5,4), day date, urgent boolean, PRIMARY KEY (idVisit, country));
""",
    "setup/distribute.sql": """
SELECT create_distributed_table('patients', 'country');
SELECT create_distributed_table('visits', 'country', colocate_with => 'patients');
""",
    "setup/seed.sql": """
INSERT INTO Patients (name, country) VALUES
  ('Yuki Tanaka', 'Japan'), ('Mohamed Benali', 'Tunisia'), ('Claire Martin', 'France');
INSERT INTO Visits (idPatient, country, score, day, urgent) VALUES
  (1, 'Japan', 0.9812, '2024-03-01', true), (1, 'Japan', 0.5, '2024-03-02', false),
  (2, 'Tunisia', NULL, '2024-01-15', NULL), (3, 'France', 0.75, '2024-02-10', true);
""",
}


def write_tiny_lab(folder: Path, **overrides: str) -> Lab:
    for name, text in {**TINY_LAB, **overrides}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return load_lab(folder)


@contextmanager
def started(citus: str, limits: Limits | None = None, **settings: Any) -> Iterator[LocalCluster]:
    cluster = LocalCluster.start(LocalSettings(citus=citus, **settings), limits or Limits())
    try:
        yield cluster
    finally:
        cluster.close()


def admin_rows(dsn: str, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn, autocommit=True) as conn:
        return conn.execute(query, params).fetchall()


def student_rows(job: JobDatabase, query: str) -> list[tuple[Any, ...]]:
    return admin_rows(job.student_dsn, query)


def statements(*sqls: str) -> tuple[PlannedStatement, ...]:
    """Planned statements, lines numbered from 1; a leading backslash marks a meta-command."""
    return tuple(
        PlannedStatement(
            sql=s, line=i, kind="meta" if s.startswith("\\") else "sql", meta=s.startswith("\\")
        )
        for i, s in enumerate(sqls, start=1)
    )


def exercise(exercise_id: str, *sqls: str, probes: dict[str, str] | None = None) -> PlannedExercise:
    return PlannedExercise(
        id=exercise_id,
        statements=statements(*sqls),
        probes=tuple(Probe(name=n, sql=q) for n, q in (probes or {}).items()),
    )
