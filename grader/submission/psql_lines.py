"""What a single pasted line is: a prompt, a message, a command tag, a footer, a rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from grader.submission.psql_text import DASHES, JUNCTIONS

# `%/%R%x%# ` with PROMPT1/PROMPT2: "mediAI=# ", "mediAI-# ", "mediAI=*> ", "mediAI(# "
_PROMPT = re.compile(r"^[\w.@$-]+[=\-^!*'\"$(][*!?]?[#>](?:\s|$)")
_MESSAGE = re.compile(
    r"^(?:psql:[^:]*:\d+:\s*|SQL Error \[\w*\]:\s*)?"
    r"(ERROR|WARNING|NOTICE|HINT|DETAIL|INFO|LOCATION|CONTEXT|FATAL|PANIC|LOG|DEBUG|"
    r"QUERY|STATEMENT):(?:\s+(.*))?$"
)
_LINE_MESSAGE = re.compile(r"^LINE (\d+: .*)$")
_FOOTER = re.compile(r"^\((\d+)\s[^\W\d_]+\)$")
_ELLIPSIS = re.compile(r"^[\s|│║]*(?:\.{3,}|…)[\s|│║.…]*$")
_COUNTED_TAG = re.compile(
    r"^(?:INSERT \d+ \d+|(?:SELECT|UPDATE|DELETE|MERGE|FETCH|MOVE|COPY) \d+)$"
)
RULE_START = DASHES | JUNCTIONS
_RULE = re.compile("^[" + re.escape("".join(sorted(DASHES | JUNCTIONS))) + " ]+$")

# PostgreSQL's command tags that psql prints as they are (cmdtaglist.h), without the
# ones that only ever come with a row count or head a result set.
_TAGS = frozenset(
    """ALTER ACCESS METHOD|ALTER AGGREGATE|ALTER CAST|ALTER COLLATION|ALTER CONSTRAINT|
ALTER CONVERSION|ALTER DATABASE|ALTER DEFAULT PRIVILEGES|ALTER DOMAIN|ALTER EVENT TRIGGER|
ALTER EXTENSION|ALTER FOREIGN DATA WRAPPER|ALTER FOREIGN TABLE|ALTER FUNCTION|ALTER INDEX|
ALTER LANGUAGE|ALTER LARGE OBJECT|ALTER MATERIALIZED VIEW|ALTER OPERATOR|ALTER OPERATOR CLASS|
ALTER OPERATOR FAMILY|ALTER POLICY|ALTER PROCEDURE|ALTER PUBLICATION|ALTER ROLE|ALTER ROUTINE|
ALTER RULE|ALTER SCHEMA|ALTER SEQUENCE|ALTER SERVER|ALTER STATISTICS|ALTER SUBSCRIPTION|
ALTER SYSTEM|ALTER TABLE|ALTER TABLESPACE|ALTER TEXT SEARCH CONFIGURATION|
ALTER TEXT SEARCH DICTIONARY|ALTER TEXT SEARCH PARSER|ALTER TEXT SEARCH TEMPLATE|
ALTER TRANSFORM|ALTER TRIGGER|ALTER TYPE|ALTER USER MAPPING|ALTER VIEW|ANALYZE|BEGIN|CALL|
CHECKPOINT|CLOSE|CLOSE CURSOR|CLOSE CURSOR ALL|CLUSTER|COMMENT|COMMIT|COMMIT PREPARED|
CREATE ACCESS METHOD|CREATE AGGREGATE|CREATE CAST|CREATE COLLATION|CREATE CONSTRAINT|
CREATE CONVERSION|CREATE DATABASE|CREATE DOMAIN|CREATE EVENT TRIGGER|CREATE EXTENSION|
CREATE FOREIGN DATA WRAPPER|CREATE FOREIGN TABLE|CREATE FUNCTION|CREATE INDEX|CREATE LANGUAGE|
CREATE MATERIALIZED VIEW|CREATE OPERATOR|CREATE OPERATOR CLASS|CREATE OPERATOR FAMILY|
CREATE POLICY|CREATE PROCEDURE|CREATE PUBLICATION|CREATE ROLE|CREATE ROUTINE|CREATE RULE|
CREATE SCHEMA|CREATE SEQUENCE|CREATE SERVER|CREATE STATISTICS|CREATE SUBSCRIPTION|CREATE TABLE|
CREATE TABLE AS|CREATE TABLESPACE|CREATE TEXT SEARCH CONFIGURATION|
CREATE TEXT SEARCH DICTIONARY|CREATE TEXT SEARCH PARSER|CREATE TEXT SEARCH TEMPLATE|
CREATE TRANSFORM|CREATE TRIGGER|CREATE TYPE|CREATE USER MAPPING|CREATE VIEW|DEALLOCATE|
DEALLOCATE ALL|DECLARE CURSOR|DISCARD|DISCARD ALL|DISCARD PLANS|DISCARD SEQUENCES|
DISCARD TEMP|DO|DROP ACCESS METHOD|DROP AGGREGATE|DROP CAST|DROP COLLATION|DROP CONSTRAINT|
DROP CONVERSION|DROP DATABASE|DROP DOMAIN|DROP EVENT TRIGGER|DROP EXTENSION|
DROP FOREIGN DATA WRAPPER|DROP FOREIGN TABLE|DROP FUNCTION|DROP INDEX|DROP LANGUAGE|
DROP MATERIALIZED VIEW|DROP OPERATOR|DROP OPERATOR CLASS|DROP OPERATOR FAMILY|DROP OWNED|
DROP POLICY|DROP PROCEDURE|DROP PUBLICATION|DROP ROLE|DROP ROUTINE|DROP RULE|DROP SCHEMA|
DROP SEQUENCE|DROP SERVER|DROP STATISTICS|DROP SUBSCRIPTION|DROP TABLE|DROP TABLESPACE|
DROP TEXT SEARCH CONFIGURATION|DROP TEXT SEARCH DICTIONARY|DROP TEXT SEARCH PARSER|
DROP TEXT SEARCH TEMPLATE|DROP TRANSFORM|DROP TRIGGER|DROP TYPE|DROP USER MAPPING|DROP VIEW|
GRANT|GRANT ROLE|IMPORT FOREIGN SCHEMA|LISTEN|LOAD|LOCK TABLE|NOTIFY|PREPARE|
PREPARE TRANSACTION|REASSIGN OWNED|REFRESH MATERIALIZED VIEW|REINDEX|RELEASE|RESET|REVOKE|
REVOKE ROLE|ROLLBACK|ROLLBACK PREPARED|SAVEPOINT|SECURITY LABEL|SET|SET CONSTRAINTS|
START TRANSACTION|TRUNCATE TABLE|UNLISTEN|VACUUM""".replace("\n", "").split("|")
)


def is_prompt(line: str) -> bool:
    """psql's prompt: the line holds the statement the student typed, not output."""
    return _PROMPT.match(line) is not None


def without_prompt(line: str) -> str:
    """The line as typed, without psql's prompt in front of it."""
    return _PROMPT.sub("", line, count=1)


def message(line: str) -> tuple[str, str] | None:
    """(level, text) of a server or psql message line, e.g. ("ERROR", "division by zero")."""
    if not line[:1].isupper() and not line.startswith("psql:"):
        return None
    m = _MESSAGE.match(line.rstrip())
    if m:
        return m.group(1), (m.group(2) or "").strip()
    m = _LINE_MESSAGE.match(line.rstrip())
    if m:
        return "LINE", m.group(1)
    return None


def command_tag(line: str) -> str | None:
    if not line[:1].isupper():
        return None
    tag = line.rstrip()
    if tag in _TAGS or _COUNTED_TAG.match(tag):
        return tag
    return None


def footer(line: str) -> int | None:
    """N of "(N rows)", in any language psql speaks."""
    text = line.strip()
    if text[:1] != "(":
        return None
    m = _FOOTER.match(text)
    return int(m.group(1)) if m else None


def is_ellipsis(line: str) -> bool:
    """A row a student typed to say "and so on"."""
    return ("..." in line or "…" in line) and _ELLIPSIS.match(line) is not None


def is_blank(line: str) -> bool:
    return not line.strip()


@dataclass(frozen=True)
class Rule:
    """A horizontal rule of dashes: under a header, or a border-2 frame line."""

    runs: tuple[tuple[int, int], ...]  # [start, end) display columns of each dash run
    junctions: tuple[int, ...]  # columns of the junction characters between and around runs
    framed: bool  # junctions at both ends: `\pset border 2`
    spaced: bool  # runs parted by single spaces: `\pset border 0`
    edge: str  # "top" / "bottom" for a unicode frame's first and last lines, else "middle"

    @property
    def width(self) -> int:
        return self.runs[-1][1] + (1 if self.framed else 0)


_TOP = frozenset("┬┌┐╤╥╦╒╕╓╖╔╗")
_BOTTOM = frozenset("┴└┘╧╨╩╘╛╙╜╚╝")


def rule(line: str) -> Rule | None:
    """The rule `line` draws, if it is one. Rule characters are one column wide."""
    if line[:1] not in RULE_START:
        return None
    return _rule(line.rstrip())


@lru_cache(maxsize=1024)  # each line is asked about more than once, and rules repeat
def _rule(text: str) -> Rule | None:
    if not _RULE.match(text):
        return None
    runs: list[tuple[int, int]] = []
    junctions: list[int] = []
    spaces = 0
    start = -1
    for i, ch in enumerate(text):
        if ch in DASHES:
            if start < 0:
                start = i
            continue
        if start >= 0:
            runs.append((start, i))
            start = -1
        if ch == " ":
            spaces += 1
            if i == 0 or text[i - 1] not in DASHES or text[i + 1] not in DASHES:
                return None  # border 0 parts runs by exactly one space
        else:
            junctions.append(i)
    if start >= 0:
        runs.append((start, len(text)))
    if not runs or (spaces and junctions):
        return None
    framed = bool(junctions) and junctions[0] == 0 and junctions[-1] == len(text) - 1
    chars = {text[j] for j in junctions}
    edge = "top" if chars & _TOP else "bottom" if chars & _BOTTOM else "middle"
    return Rule(tuple(runs), tuple(junctions), framed, spaces > 0, edge)
