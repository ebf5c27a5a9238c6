"""The MediAI lab bundle: rubric, template, references and examples hang together."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from decimal import Decimal

import psycopg
import pytest
from psycopg import Connection, sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import TupleRow

from grader.checks import REGISTRY
from grader.core.lab import Lab, default_lab_path, load_lab

BUNDLE = default_lab_path()
TEMPLATE = BUNDLE / "template"
EXAMPLES = BUNDLE / "examples"

EXERCISE_IDS = [
    *("1.1a", "1.1b", "1.2a", "1.2b", "1.3", "1.4", "2.1", "2.2"),
    *("3.1", "3.2", "3.3", "4.1", "4.2", "4.3a", "4.3b"),
    *("Q1", "Q2", "Q3", "Q4"),
]
WITH_REFERENCE = ["1.1a", "1.1b", "1.2b", "1.3", "1.4", "2.1", "3.1", "3.2", "3.3", "4.2"]
WRITTEN_ONLY = ["1.2a", "2.2", "4.1", "4.3b", "Q1", "Q2", "Q3", "Q4"]
CITUS_ONLY = {"1.4", "2.1", "3.1", "4.2", "4.3a"}
SITE_OF_COUNTRY = {"France": "Paris", "Tunisia": "Tunis", "Canada": "Montreal", "Japan": "Tokyo"}
HEADING = re.compile(r"^### (?:Exercise (\S+)|(Q\d)) — \S", re.MULTILINE)


@pytest.fixture(scope="module")
def lab() -> Lab:
    return load_lab(BUNDLE)


def _exercise_text() -> str:
    return (TEMPLATE / "exercises" / "01-TP-Pratique-MediAI.md").read_text(encoding="utf-8")


def _sections(text: str) -> dict[str, str]:
    """Each exercise id mapped to the text under its heading, up to the next heading."""
    matches = list(HEADING.finditer(text))
    ends = [m.start() for m in matches[1:]] + [len(text)]
    return {
        (m.group(1) or m.group(2)): text[m.end() : end]
        for m, end in zip(matches, ends, strict=True)
    }


def test_lab_loads_with_every_exercise_and_100_points(lab: Lab) -> None:
    assert [e.id for e in lab.exercises] == EXERCISE_IDS
    assert lab.max_score == 100
    assert lab.database == "mediAI"
    assert lab.setup.expected_counts == {
        "patients": 20,
        "medicalrecords": 14,
        "trainingdata": 13,
        "transactions": 18,
    }


def test_citus_exercises_say_why(lab: Lab) -> None:
    flagged = {e.id for e in lab.exercises if e.requires_citus}
    assert flagged == CITUS_ONLY
    assert all(e.citus_reason for e in lab.exercises if e.requires_citus)


def test_every_check_is_known_and_probes_exist(lab: Lab) -> None:
    known = set(REGISTRY)  # what grade() can run; anything else is a typo in lab.toml
    for exercise in lab.exercises:
        assert exercise.checks, exercise.id
        probe_names = {p.name for p in exercise.probes}
        for check in exercise.checks:
            assert check.type in known, (exercise.id, check.type)
            assert set(check.params.get("probes", [])) <= probe_names, exercise.id


def test_references_exist(lab: Lab) -> None:
    assert [e.id for e in lab.exercises if e.reference] == WITH_REFERENCE
    for exercise in lab.exercises:
        if exercise.reference:
            assert lab.read(exercise.reference).strip(), exercise.id


def test_exercise_file_has_every_heading_and_answer_slot() -> None:
    sections = _sections(_exercise_text())
    assert list(sections) == EXERCISE_IDS
    for exercise_id, body in sections.items():
        if exercise_id in WRITTEN_ONLY:
            assert "**My answer:**\n___\n" in body, exercise_id
            assert "```" not in body, exercise_id
        else:
            assert re.search(r"\*\*My query:\*\*\n```sql\n(.*\n)*?___\n", body), exercise_id
            assert "**Result from psql:**\n```\n___\n```" in body, exercise_id


def test_distribution_uses_folded_columns_and_colocation(lab: Lab) -> None:
    calls = re.compile(r"create_distributed_table\('(\w+)',\s*'(\w+)'")
    for script in ("setup/distribute.sql", "template/data/init-cluster.sql"):
        text = lab.read(script)
        assert dict(calls.findall(text)) == lab.distribution_keys, script
        assert "colocate_with => 'patients'" in text, script
    assert "citus_add_node" not in lab.read("setup/distribute.sql")
    for worker in (1, 2, 3):
        assert f"citus_add_node('citus_worker{worker}', 5432)" in lab.read(
            "template/data/init-cluster.sql"
        )


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()))
def test_examples_keep_the_template_files(example: str) -> None:
    root = EXAMPLES / example
    template_files = sorted(p.relative_to(TEMPLATE) for p in TEMPLATE.rglob("*") if p.is_file())
    example_files = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
    assert example_files == template_files
    for relative in template_files:
        if relative.parts[0] != "exercises":
            assert (root / relative).read_bytes() == (TEMPLATE / relative).read_bytes(), relative


def test_french_example_keeps_bom_and_crlf() -> None:
    raw = (EXAMPLES / "french-crlf" / "exercises" / "01-TP-Pratique-MediAI.md").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == raw.count(b"\n")


# ---------------------------------------------------------------- on a real PostgreSQL


@pytest.fixture(scope="module")
def server_dsn() -> str:
    """Where to create scratch databases; override this fixture to point elsewhere."""
    return "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="module")
def lab_db(server_dsn: str, lab: Lab) -> Iterator[Connection[TupleRow]]:
    """A fresh database holding the lab's schema and seed, dropped afterwards."""
    try:
        admin = psycopg.connect(server_dsn, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server at {server_dsn}: {exc}")
    name = f"bundle_test_{uuid.uuid4().hex[:12]}"
    admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    dsn = make_conninfo(server_dsn, dbname=name)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(lab.read(lab.setup.schema_sql))
            conn.execute(lab.read(lab.setup.seed_sql))
            yield conn
    finally:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.close()


def _rows(conn: Connection[TupleRow], query: str) -> list[TupleRow]:
    return conn.execute(query).fetchall()


@pytest.mark.postgres
def test_seed_counts_match_the_handout(lab_db: Connection[TupleRow], lab: Lab) -> None:
    for table, expected in lab.setup.expected_counts.items():
        assert _rows(lab_db, f"SELECT count(*) FROM {table}") == [(expected,)], table


@pytest.mark.postgres
def test_seed_facts_the_exercises_rely_on(lab_db: Connection[TupleRow]) -> None:
    assert _rows(lab_db, "SELECT country, siteorigin FROM patients WHERE idpatient = 16") == [
        ("Japan", "Tokyo")
    ]
    assert _rows(lab_db, "SELECT name FROM patients WHERE idpatient = 16") == [("Yuki Tanaka",)]
    pairs = _rows(lab_db, "SELECT DISTINCT country, siteorigin FROM patients")
    assert dict(pairs) == SITE_OF_COUNTRY
    sites = {r[0] for r in _rows(lab_db, "SELECT DISTINCT siteorigin FROM trainingdata")}
    assert sites == set(SITE_OF_COUNTRY.values())
    benali = _rows(
        lab_db,
        "SELECT count(*) FROM medicalrecords m JOIN patients p"
        " ON p.idpatient = m.idpatient AND p.country = m.country"
        " WHERE p.name = 'Mohamed Benali'",
    )
    assert benali[0][0] >= 2


@pytest.mark.postgres
def test_generated_ids_do_not_collide_with_the_seed(
    lab_db: Connection[TupleRow],
) -> None:
    with lab_db.transaction(force_rollback=True):
        new_record = lab_db.execute(
            "INSERT INTO medicalrecords (idpatient, country, date, examtype)"
            " VALUES (16, 'Japan', CURRENT_DATE, 'Emergency consultation') RETURNING idrecord"
        ).fetchone()
        new_charge = lab_db.execute(
            "INSERT INTO transactions (idpatient, country, date, type, amount, currency, status)"
            " VALUES (16, 'Japan', now(), 'consultation', 15000, 'JPY', 'pending')"
            " RETURNING idtrans"
        ).fetchone()
    assert new_record == (15,)
    assert new_charge == (19,)


@pytest.mark.postgres
def test_plain_postgres_references_and_probes_run(lab_db: Connection[TupleRow], lab: Lab) -> None:
    for exercise in lab.exercises:
        if exercise.reference and not exercise.requires_citus:
            lab_db.execute(lab.read(exercise.reference))
            for probe in exercise.probes:
                assert _rows(lab_db, probe.sql), (exercise.id, probe.name)
    scores = _rows(lab_db, lab.read("reference/3.2.sql"))
    averages = [row[3] for row in scores]
    assert len(scores) == 13
    assert all(isinstance(a, Decimal) for a in averages)
    assert averages == sorted(set(averages), reverse=True)  # no ties: one right order
