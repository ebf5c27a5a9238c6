"""Static reading of student SQL: psql's splitting, statement kinds and query shapes."""

from __future__ import annotations

import shutil
import subprocess

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from grader.settings import get_settings
from grader.submission.sql_static import (
    analyze_query,
    filters_non_key,
    split_statements,
    statement_kind,
)

KEYS = {"patients": "country", "medicalrecords": "country", "trainingdata": "siteorigin"}


def texts(sql: str) -> list[str]:
    return [s.text for s in split_statements(sql)]


def test_semicolons_inside_quotes_and_comments_do_not_split() -> None:
    sql = (
        "SELECT 'a;b', 'it''s;', \"we;ird\" FROM t;\n"
        "SELECT E'it\\'s; fine';\n"
        "/* a /* nested ; */ still ; comment */ SELECT 3;\n"
        "SELECT 4 -- not ; here\n;"
    )
    assert texts(sql) == [
        "SELECT 'a;b', 'it''s;', \"we;ird\" FROM t;",
        "SELECT E'it\\'s; fine';",
        "/* a /* nested ; */ still ; comment */ SELECT 3;",
        "SELECT 4 -- not ; here\n;",
    ]


def test_backslash_ends_nothing_in_a_standard_string() -> None:
    assert texts("SELECT 'a\\'; SELECT 2;") == ["SELECT 'a\\';", "SELECT 2;"]


def test_dollar_quotes() -> None:
    sql = "SELECT $$a;b$$;\nSELECT $fn$ x; $$ y; $fn$;\nSELECT $1, a$b FROM t;"
    assert texts(sql) == ["SELECT $$a;b$$;", "SELECT $fn$ x; $$ y; $fn$;", "SELECT $1, a$b FROM t;"]


def test_parentheses_hold_semicolons_as_psql_does() -> None:
    assert texts("SELECT (1;\n2);\nSELECT 3;") == ["SELECT (1;\n2);", "SELECT 3;"]


def test_function_body_with_begin_atomic_is_one_statement() -> None:
    sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\nX;"
    assert len(texts(sql)) == 2 and texts(sql)[0].endswith("END;")


def test_meta_commands_are_their_own_statements_with_lines() -> None:
    sql = "\\x\nSELECT 1;\n  \\d Patients\n\\x on\n\\timing\nSELECT 2"
    got = [(s.text, s.line, s.kind, s.meta) for s in split_statements(sql, first_line=10)]
    assert got == [
        ("\\x", 10, "meta", True),
        ("SELECT 1;", 11, "select", False),
        ("\\d Patients", 12, "meta", True),
        ("\\x on", 13, "meta", True),
        ("\\timing", 14, "meta", True),
        ("SELECT 2", 15, "select", False),
    ]


def test_g_and_gx_terminate_a_query() -> None:
    sql = "SELECT 1 \\gx\nSELECT 2\n\\g\n\\g"
    got = [(s.text, s.line, s.meta) for s in split_statements(sql)]
    assert got == [("SELECT 1", 1, False), ("SELECT 2", 2, False), ("\\g", 4, True)]


def test_escaped_semicolon_joins_statements() -> None:
    assert texts("SELECT 1 \\; SELECT 2;") == ["SELECT 1 ; SELECT 2;"]


def test_leading_blank_and_comment_lines_are_dropped_and_line_follows() -> None:
    sql = "\n\n-- Fragment Paris\n   CREATE VIEW p AS SELECT 1;\n-- only a comment\n/* and */\n"
    statements = split_statements(sql, first_line=20)
    assert [(s.text, s.line, s.kind) for s in statements] == [
        ("CREATE VIEW p AS SELECT 1;", 23, "create_view")
    ]


def test_missing_final_semicolon() -> None:
    assert texts("SELECT 1;\nSELECT 2\n  FROM t  \n\n") == ["SELECT 1;", "SELECT 2\n  FROM t"]


def test_handout_arrow_marker_is_left_for_the_engine_to_reject() -> None:
    sql = "CREATE VIEW p AS SELECT * FROM t\n  WHERE siteOrigin = ___;   ← complete\nSELECT 2;"
    statements = split_statements(sql)
    assert statements[0].text.endswith("siteOrigin = ___;")
    assert statements[1].text == "← complete\nSELECT 2;" and statements[1].line == 2


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("SELECT 1", "select"),
        ("  -- c\n(SELECT 1) UNION (SELECT 2)", "select"),
        ("WITH a AS (SELECT 1) SELECT * FROM a", "with_select"),
        ("WITH a AS (SELECT 1) INSERT INTO t SELECT * FROM a", "insert"),
        ("INSERT INTO t VALUES (1)", "insert"),
        ("UPDATE t SET a = 1", "update"),
        ("DELETE FROM t", "delete"),
        ("CREATE OR REPLACE VIEW v AS SELECT 1", "create_view"),
        ("CREATE MATERIALIZED VIEW v AS SELECT 1", "create_view"),
        ("create table t (a int)", "create_table"),
        ("CREATE UNIQUE INDEX i ON t (a)", "create_index"),
        ("CREATE EXTENSION citus", "other"),
        ("DROP VIEW v", "drop"),
        ("ALTER TABLE t ADD COLUMN b int", "alter"),
        ("BEGIN;", "begin"),
        ("START TRANSACTION", "begin"),
        ("COMMIT", "commit"),
        ("ROLLBACK", "rollback"),
        ("PREPARE TRANSACTION 'mediAI_emergency_yuki_001';", "prepare_transaction"),
        ("COMMIT PREPARED 'x'", "commit_prepared"),
        ("ROLLBACK PREPARED 'x'", "rollback_prepared"),
        ("EXPLAIN (VERBOSE) SELECT 1", "explain"),
        ("SET citus.shard_replication_factor = 2", "set"),
        ("SHOW citus.shard_replication_factor", "show"),
        ("COPY t FROM STDIN", "copy"),
        ("\\d Patients", "meta"),
        ("← complete", "other"),
        ("", "other"),
    ],
)
def test_statement_kind(sql: str, kind: str) -> None:
    assert statement_kind(sql) == kind


HANDOUT_Q1 = """SELECT
  p.name, p.age, p.city, p.country,
  mr.date, mr.examType, mr.result,
  mr.aiModelUsed, mr.aiScore
FROM Patients p
JOIN MedicalRecords mr
  ON p.idPatient = mr.idPatient
  AND p.country  = mr.country
WHERE p.name = 'Mohamed Benali'
ORDER BY mr.date DESC;"""


def test_shape_of_the_handout_3_1_query() -> None:
    shape = analyze_query(HANDOUT_Q1)
    assert shape is not None
    assert shape.tables == {"patients", "medicalrecords"}
    assert shape.joins == 1
    assert "name" in shape.filtered_columns and shape.join_only_columns == {"idpatient", "country"}
    assert shape.order_by and not shape.group_by and shape.aggregates == frozenset()
    assert filters_non_key(shape, KEYS)
    explained = analyze_query("EXPLAIN (VERBOSE)\n" + HANDOUT_Q1)
    assert explained == shape


def test_shape_of_a_3_3_style_query() -> None:
    shape = analyze_query(
        "SELECT p.country, COUNT(*) AS exams, AVG(mr.aiScore)\n"
        "FROM Patients p, MedicalRecords mr\n"
        "WHERE p.idPatient = mr.idPatient AND p.age > 40\n"
        "GROUP BY p.country HAVING COUNT(*) > 1;"
    )
    assert shape is not None
    assert shape.tables == {"patients", "medicalrecords"} and shape.joins == 1
    assert shape.aggregates == {"count", "avg"}
    assert shape.filtered_columns == {"idpatient", "age"}
    assert shape.group_by and not shape.order_by
    assert filters_non_key(shape, KEYS)


def test_key_only_filters_are_not_non_key_filters() -> None:
    shape = analyze_query("SELECT count(*) FROM Patients WHERE country = 'Japan'")
    assert shape is not None and shape.filtered_columns == {"country"}
    assert not filters_non_key(shape, KEYS)
    assert filters_non_key(shape, {"patients": "idpatient"})


def test_ctes_views_and_subqueries() -> None:
    shape = analyze_query(
        "CREATE OR REPLACE VIEW Trans_TN_Financial AS "
        "WITH tn AS (SELECT * FROM Transactions WHERE country = 'Tunisia') "
        "SELECT * FROM tn WHERE idPatient IN (SELECT idPatient FROM Patients WHERE age < 30)"
    )
    assert shape is not None
    assert shape.views_created == ("trans_tn_financial",)
    assert shape.tables == {"transactions", "patients"}
    assert shape.filtered_columns == {"country", "idpatient", "age"}
    assert shape.join_only_columns == frozenset()


def test_insert_select_reads_its_source_only() -> None:
    shape = analyze_query(
        "INSERT INTO MedicalRecords_AI (idRecord, aiScore)\n"
        "SELECT idRecord, aiScore FROM MedicalRecords"
    )
    assert shape is not None and shape.tables == {"medicalrecords"}


@pytest.mark.parametrize(
    "sql", ["SELECT * FROM t WHERE x = ___ ← complete", "DROP VIEW v", "INSERT INTO t VALUES (1)"]
)
def test_no_shape_for_broken_or_other_statements(sql: str) -> None:
    assert analyze_query(sql) is None


def _psql_target() -> str:
    if shutil.which("psql") is None:
        pytest.skip("psql client not installed")
    conninfo = make_conninfo(get_settings().database_url, dbname="postgres", connect_timeout=3)
    try:
        psycopg.connect(conninfo).close()
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {conninfo_to_dict(conninfo).get('host')}: {exc}")
    return conninfo


@pytest.mark.service
def test_split_matches_what_real_psql_sends() -> None:
    """Each probe statement returns current_query(): the exact text psql sent the server."""
    mark = "current_query() || chr(30)"
    script = (
        f"SELECT {mark} WHERE $$a;b$$ <> '';\n"
        "-- leading comment\n"
        f"  SELECT {mark} AS \"we;ird\" WHERE E'it\\'s;' <> ''  -- trailing\n;\n"
        f"/* a /* nested ; */ ; */ SELECT {mark} \\g\n"
        "CREATE FUNCTION pg_temp.f() RETURNS text LANGUAGE sql BEGIN ATOMIC SELECT 'x;y'; END;\n"
        f"SELECT {mark} WHERE pg_temp.f() = 'x;y' AND (1 = 1\n);\n"
        f"SELECT {mark} WHERE 'no final semicolon' <> ''\n"
    )
    done = subprocess.run(
        ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", _psql_target()],
        input=script,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    sent = [t.rstrip() for t in done.stdout.split("\x1e\n") if t.strip()]
    ours = [s.text.rstrip() for s in split_statements(script) if mark in s.text]
    assert ours == sent and len(ours) == 5
