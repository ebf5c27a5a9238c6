"""The parser against PostgreSQL's and Citus' own regression outputs (shared/fixtures).

Those files echo each statement and follow it with psql's output. What the parser must
find is worked out here independently of it: every `(N rows)` footer under a rule is a
table of N rows whose column count the rule (or, where Citus' suite rewrote the rule
to plain dashes, the header's column rules) gives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.submission.psql_output import (
    PastedMessage,
    PastedPlan,
    PastedTable,
    parse_psql_output,
)

FIXTURES = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures"
FILES = sorted((FIXTURES / "psql").glob("*.out*")) + sorted((FIXTURES / "citus").glob("*.out"))
pytestmark = pytest.mark.skipif(not FILES, reason=f"no regression fixtures under {FIXTURES}")

_FOOTER = re.compile(r"^\((\d+) rows?\)$")
_RULE = re.compile(r"^[-+─┼═╪╬╫├┤┌┐└┘┬┴╔╗╚╝╠╣╦╩][-+─┼═╪╬╫├┤┌┐└┘┬┴╔╗╚╝╠╣╦╩ ]+$")
_MESSAGE = re.compile(r"^(ERROR|WARNING|NOTICE|HINT|DETAIL|CONTEXT|INFO|LINE) ?\d*:")


@dataclass(frozen=True)
class Expected:
    rule: int  # line of the rule under the header
    footer: int
    rows: int
    columns: int
    header: str


def expected_tables(lines: list[str]) -> list[Expected]:
    found = []
    for f, text in enumerate(lines):
        m = _FOOTER.match(text)
        if not m:
            continue
        k = f - 1
        if k >= 0 and _RULE.match(lines[k]) and lines[k][0] in "+└╚":
            k -= 1  # the bottom of a border-2 frame
        while k >= 0 and not _FOOTER.match(lines[k]) and not _RULE.match(lines[k]):
            k -= 1
        if k < 0 or not _RULE.match(lines[k]):
            continue  # unaligned output: no rule
        rule = lines[k].rstrip()
        junctions = [c for c in rule if c not in "-─═ "]
        if junctions:
            columns = len(junctions) - 1 if rule[0] in "+├╠╞╟" else len(junctions) + 1
        elif " " in rule:
            columns = len(rule.split(" "))
        else:
            columns = lines[k - 1].count("|") + 1
        found.append(Expected(k, f, int(m.group(1)), columns, lines[k - 1].strip()))
    return found


def chunks(lines: list[str], expected: list[Expected]) -> list[tuple[str, Expected]]:
    """Each table with the statements echoed before it, back to the previous table."""
    out = []
    start = 0
    for exp in expected:
        out.append(("\n".join(lines[start : exp.footer + 1]), exp))
        start = exp.footer + 1
    return out


def matches(item: object, exp: Expected, rule_line: int) -> bool:
    if isinstance(item, PastedPlan):
        return (
            exp.header == "QUERY PLAN"
            and item.line == rule_line - 1
            and len(item.lines) >= exp.rows
        )
    return (
        isinstance(item, PastedTable)
        and rule_line - 4 <= item.line <= rule_line - 1  # headers may span lines
        and item.footer_count == exp.rows
        and len(item.rows) == exp.rows
        and len(item.columns) == exp.columns
    )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_table_of_the_fixture_is_read(path: Path) -> None:
    lines = path.read_text().split("\n")
    expected = expected_tables(lines)
    assert expected, "the fixture has tables"
    items = parse_psql_output("\n".join(lines))
    for exp in expected:
        assert any(matches(item, exp, exp.rule) for item in items), exp
    # and nothing else is taken for an aligned table
    rules = {exp.rule for exp in expected}
    for item in items:
        if isinstance(item, PastedTable) and item.form == "aligned":
            assert rules & set(range(item.line + 1, item.line + 5)), item


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_each_statement_chunk_alone_yields_its_table(path: Path) -> None:
    lines = path.read_text().split("\n")
    for text, exp in chunks(lines, expected_tables(lines)):
        items = [i for i in parse_psql_output(text) if isinstance(i, PastedTable | PastedPlan)]
        offset = exp.footer + 1 - len(text.split("\n"))
        assert items and matches(items[-1], exp, exp.rule - offset), (exp, items[-1:])


def test_every_message_line_is_read() -> None:
    total = 0
    for path in FILES:
        lines = path.read_text().split("\n")
        items = parse_psql_output("\n".join(lines))
        found = {(m.line, m.level) for m in items if isinstance(m, PastedMessage)}
        wanted = {(i, m.group(1)) for i, t in enumerate(lines) if (m := _MESSAGE.match(t))}
        assert found == wanted, path.name
        total += len(wanted)
    assert total > 100  # 55 ERRORs and their DETAILs, HINTs, LINEs


def test_citus_plans_printed_bare_are_read_line_for_line() -> None:
    path = FIXTURES / "citus" / "multi_explain.out"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    lines = path.read_text().split("\n")
    plans = [p for p in parse_psql_output("\n".join(lines)) if isinstance(p, PastedPlan)]
    covered: set[int] = set()
    for plan in plans:
        assert plan.lines == tuple(
            t.rstrip() for t in lines[plan.line : plan.line + len(plan.lines)]
        )
        covered.update(range(plan.line, plan.line + len(plan.lines)))
    heads = [i for i, t in enumerate(lines) if t.startswith("Custom Scan (Citus Adaptive)")]
    assert heads and {p.line for p in plans} >= set(heads)
    arrows = [i for i, t in enumerate(lines) if re.match(r"^\s+->  ", t)]
    # the only arrows left are inside multi-line cells of tables, marked "+"
    assert all(lines[i].endswith("+") for i in arrows if i not in covered)
    assert any(p.lines[0] == "Sort" and "  ->  HashAggregate" in p.lines for p in plans)
