"""What the real psql prints, in every format a student may have set, reads back as the data.

Runs the `psql` client against the system PostgreSQL; each case prints the same rows
with other `\\pset` settings and must parse to exactly the values psycopg fetches.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import psycopg
import pytest

from grader.submission.psql_output import PastedTable, parse_psql_output
from grader.submission.psql_text import tidy

pytestmark = pytest.mark.service

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

QUERY = """SELECT * FROM (VALUES
  ('1', 'Tokyo', '東京の病院', 'a|b', NULL),
  ('22', 'Zürich', E'line one\\nline two', '', 'x+'),
  ('333', 'Montréal', repeat('ab', 30), 'a' || U&'\\0308' || 'bc', 'end.'),
  ('4', '東京', repeat('東京abc', 6), E'\\n', '  lead')
) AS t(id, city, note, other, extra)"""

CASES = [
    (linestyle, border, fmt, expanded)
    for linestyle in ("ascii", "unicode", "old-ascii")
    for border in (0, 1, 2)
    for fmt in ("aligned", "wrapped")
    for expanded in ("off", "on")
    # old-ascii without borders marks no continuation line at all: unreadable
    if not (linestyle == "old-ascii" and border == 0)
]


@pytest.fixture(scope="module")
def expected() -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=3) as conn:
            cur = conn.execute(QUERY.encode())
            rows: list[tuple[Any, ...]] = cur.fetchall()
            names = tuple(d.name for d in cur.description or ())
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL reachable at {ADMIN_URL}: {exc}")
    return names, tuple(tuple(tidy(v or "") for v in row) for row in rows)


def run_psql(settings: list[str]) -> str:
    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("the psql client is not installed")
    script = "\n".join([*settings, QUERY + ";", ""])
    done = subprocess.run(
        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", ADMIN_URL],
        input=script,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PGCLIENTENCODING": "UTF8"},
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"psql could not run the query: {done.stderr.strip()}")
    return done.stdout


@pytest.mark.parametrize(("linestyle", "border", "fmt", "expanded"), CASES)
def test_psql_output_reads_back_as_the_rows(
    expected: tuple[tuple[str, ...], tuple[tuple[str, ...], ...]],
    linestyle: str,
    border: int,
    fmt: str,
    expanded: str,
) -> None:
    printed = run_psql(
        [
            f"\\pset linestyle {linestyle}",
            f"\\pset border {border}",
            f"\\pset format {fmt}",
            f"\\pset expanded {expanded}",
            "\\pset columns 50",
        ]
    )
    items = parse_psql_output(printed)
    assert len(items) == 1, printed
    table = items[0]
    assert isinstance(table, PastedTable), printed
    assert (table.columns, table.rows) == expected, printed
    assert table.form == ("expanded" if expanded == "on" else "aligned")
    assert table.footer_count == (None if expanded == "on" else 4)
