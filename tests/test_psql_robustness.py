"""Any paste at all: junk never raises, what comes back is well formed, big pastes are quick."""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import pytest

from grader.submission.psql_output import PastedItem, PastedTable, parse_psql_output
from grader.submission.psql_text import split_lines

FIXTURES = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures"

_FRAGMENTS = [
    "",
    " ",
    " a | b ",
    "---+---",
    "+---+---+",
    "| 1 | 2 |",
    "----",
    "-- ----",
    " 東京 | Zürich",
    " x  +| y",
    "    | z.",
    ".w  :  ; v",
    "────┼────",
    "┌──┬──┐",
    "│ a │ b │",
    "└──┴──┘",
    "-[ RECORD 1 ]-+--",
    "-[ RECORD 2 ]",
    "+-[ RECORD 1 ]-+",
    "* Record 1",
    "name | value",
    "     | more",
    "(1 row)",
    "(0 rows)",
    "(99 rows)",
    "x|y",
    "a\tb\tc",
    "#\tname",
    "1\t2\t3",
    "QUERY PLAN",
    "Sort  (cost=0.00..1.00 rows=1 width=4)",
    "  ->  Seq Scan on t",
    "  Sort Key: a",
    "Planning Time: 0.1 ms",
    "mediAI=# SELECT 1;",
    "mediAI-# FROM t;",
    "ERROR:  boom",
    "LINE 1: SELECT",
    "       ^",
    "INSERT 0 1",
    "BEGIN",
    " ...",
    "a\u0308bc | \u200b",
    "\x00\x1b[31m",
    "\udc80\ud800",
]


def check_shape(text: str, items: list[PastedItem]) -> None:
    count = len(split_lines(text))
    lines = [item.line for item in items]
    assert lines == sorted(lines)
    assert all(0 <= line < max(count, 1) for line in lines)
    for item in items:
        if isinstance(item, PastedTable):
            assert all(len(row) == len(item.columns) for row in item.rows)


def test_random_bytes_never_raise() -> None:
    rng = random.Random(20240521)
    for _ in range(300):
        raw = bytes(rng.randrange(256) for _ in range(rng.randrange(2000)))
        for errors in ("replace", "surrogateescape"):
            text = raw.decode("utf-8", errors)
            check_shape(text, parse_psql_output(text))


def test_random_psql_like_lines_never_raise() -> None:
    rng = random.Random(7)
    for _ in range(500):
        text = "\n".join(rng.choice(_FRAGMENTS) for _ in range(rng.randrange(60)))
        check_shape(text, parse_psql_output(text))


def test_mangled_fixtures_never_raise() -> None:
    rng = random.Random(11)
    files = sorted(FIXTURES.glob("*/*.out*"))
    for path in files:
        lines = path.read_text().split("\n")
        for _ in range(20):
            mangled = list(lines)
            for _ in range(30):
                k = rng.randrange(len(mangled))
                action = rng.randrange(4)
                if action == 0:
                    del mangled[k]
                elif action == 1:
                    mangled.insert(k, mangled[rng.randrange(len(mangled))])
                elif action == 2:
                    cut = rng.randrange(len(mangled[k]) + 1)
                    mangled[k] = mangled[k][:cut]
                else:
                    mangled[k] = mangled[k].replace(" ", "", 1)
            text = "\n".join(mangled)
            check_shape(text, parse_psql_output(text))


def _pad(text: str, width: int) -> str:
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * (width - used)


def _big_paste() -> str:
    """About 5 MB as psql prints it: one large table, then a session of small ones."""
    rng = random.Random(5)
    cities = ["Tokyo", "東京", "Zürich", "Montréal", "Tunis"]
    rows = [
        f" {i:>6} | {_pad('Patient ' + str(i), 18)} | {_pad(cities[i % 5], 8)} | {rng.random():.4f}"
        for i in range(75_000)
    ]
    table = [
        " id     | name               |   city   | score",
        "-" * 8 + "+" + "-" * 20 + "+" + "-" * 10 + "+" + "-" * 7,
    ]
    session = []
    for k in range(5_000):
        session += [f"mediAI=# SELECT name, age FROM Patients WHERE idPatient = {k};"]
        session += ["    name     | age ", "-------------+-----"]
        session += [f" Yuki Tanaka |  {j:>2}" for j in range(10)] + ["(10 rows)", ""]
        session += ["mediAI=# INSERT INTO t VALUES (1);", "INSERT 0 1", "ERROR:  no", ""]
    return "\n".join(table + rows + ["(75000 rows)", ""] + session)


def big_paste() -> str:
    return _big_paste()


def test_a_five_megabyte_paste_is_read_whole() -> None:
    """Its speed, and that pathological pastes take linear time, is measured side by side in
    bench/paste_parsing.py: a timed assertion here would fail on a busy machine, not on a
    slow parser."""
    text = _big_paste()
    assert len(text.encode()) > 5_000_000
    items = parse_psql_output(text)
    first = items[0]
    assert isinstance(first, PastedTable) and len(first.rows) == 75_000
    assert len(items) == 1 + 5_000 * 3


_PATHOLOGICAL = {
    "tab-indented SQL": "\tx\ty\n" * 100_000,
    "record heads without rules": "".join(
        f"-[ RECORD {i} ]\nab|c\nd|e|f\n" for i in range(1, 15_000)
    ),
    "footers counting past the start": ("a|b\n" * 2_000 + "(99999 rows)\n") * 50,
    "rules only": "---+---\n" * 60_000,
    "one-row tables": " a | b \n---+---\n" * 26_000,
    "plan heads": "Sort  (cost=1)\n" * 30_000,
    "border-0 records": "".join(f"* Record {i}\nname value\n" for i in range(1, 25_000)),
    "header continuations": " a+| b \n" * 60_000 + "---+---\n",
}


PATHOLOGICAL = _PATHOLOGICAL


@pytest.mark.parametrize("text", _PATHOLOGICAL.values(), ids=_PATHOLOGICAL.keys())
def test_pathological_pastes_are_read(text: str) -> None:
    assert len(text) > 400_000
    check_shape(text, parse_psql_output(text))
