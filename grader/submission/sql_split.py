"""Cut a SQL script into the commands psql would send, one by one.

This follows psql's own lexer (src/fe_utils/psqlscan.l), not a SQL grammar: a `;` ends a
command only outside quotes, comments, parentheses and the `BEGIN ... END` body of a
`CREATE FUNCTION`/`PROCEDURE`; a backslash outside quotes starts a meta-command that runs to
the end of the line. A student's script then fails or succeeds on the grader exactly where it
did in their terminal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# psql sends the query buffer on these meta-commands instead of on `;`.
_SEND_COMMANDS = frozenset({"g", "gx", "gset", "gexec", "gdesc", "crosstabview", "watch"})

_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_\x80-\U0010ffff]*)?\$")
_IDENT = re.compile(r"[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*")
_NUMBER = re.compile(r"[0-9][0-9A-Za-z_.]*")
_META_NAME = re.compile(r"\\([A-Za-z]+|.)")


@dataclass(frozen=True)
class Piece:
    """One command as psql would run it: SQL sent to the server, or a meta-command."""

    text: str
    offset: int  # where the text starts in the script
    meta: bool


class _Buffer:
    """psql's query buffer: leading whitespace and `--` comments never enter it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.start = 0
        self.has_sql = False  # False while it holds only /* comments */

    def add(self, text: str, offset: int, *, sql: bool = True) -> None:
        if not self.parts:
            self.start = offset
        self.parts.append(text)
        self.has_sql = self.has_sql or sql

    def take(self, *, strip: bool) -> Piece | None:
        text = "".join(self.parts)
        piece = Piece(text.rstrip() if strip else text, self.start, meta=False)
        keep = self.has_sql
        self.parts, self.has_sql = [], False
        return piece if keep else None


class _FunctionBody:
    """psql's heuristic for `CREATE [OR REPLACE] FUNCTION|PROCEDURE ... BEGIN ATOMIC ... END`."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.count = 0
        self.marks = ["", "", "", ""]
        self.depth = 0

    def see(self, word: str, paren_depth: int) -> None:
        lower = word.lower()
        if self.count == 0:
            self.marks = ["", "", "", ""]
        if lower in ("create", "function", "procedure", "or", "replace") and self.count < 4:
            self.marks[self.count] = lower[0]
        self.count += 1
        m = self.marks
        routine = ("f", "p")
        in_routine = m[0] == "c" and (m[1] in routine or (m[1:3] == ["o", "r"] and m[3] in routine))
        if not in_routine or paren_depth:
            return
        if lower == "begin" or (lower == "case" and self.depth >= 1):
            self.depth += 1
        elif lower == "end" and self.depth > 0:
            self.depth -= 1


def _end_of_quote(s: str, i: int, quote: str, *, backslash: bool) -> int:
    """Index just past the quote that closes the literal opened at s[i]."""
    j = i + 1
    while j < len(s):
        c = s[j]
        if backslash and c == "\\":
            j += 2
            continue
        if c == quote:
            if s.startswith(quote, j + 1):
                j += 2
                continue
            return j + 1
        j += 1
    return len(s)


def _end_of_block_comment(s: str, i: int) -> int:
    depth, j = 0, i
    while j < len(s):
        if s.startswith("/*", j):
            depth, j = depth + 1, j + 2
        elif s.startswith("*/", j):
            depth, j = depth - 1, j + 2
            if depth == 0:
                return j
        else:
            j += 1
    return len(s)


def _end_of_line(s: str, i: int) -> int:
    j = s.find("\n", i)
    return len(s) if j < 0 else j


def psql_pieces(s: str) -> list[Piece]:
    """The commands of a script in the order psql runs them."""
    out: list[Piece] = []
    buf, body = _Buffer(), _FunctionBody()
    parens, i, n = 0, 0, len(s)

    def flush(*, strip: bool) -> None:
        nonlocal parens
        piece = buf.take(strip=strip)
        if piece is not None:
            out.append(piece)
        parens = 0
        body.reset()

    while i < n:
        c = s[i]
        if c.isspace():
            if buf.parts:
                buf.add(c, i, sql=False)
            j = i + 1
        elif s.startswith("--", i):
            j = _end_of_line(s, i)
            if buf.parts:
                buf.add(s[i:j], i, sql=False)
        elif s.startswith("/*", i):
            j = _end_of_block_comment(s, i)
            buf.add(s[i:j], i, sql=False)
        elif c == "'":
            j = _end_of_quote(s, i, "'", backslash=False)
            buf.add(s[i:j], i)
        elif c == '"':
            j = _end_of_quote(s, i, '"', backslash=False)
            buf.add(s[i:j], i)
        elif c in "eE" and s.startswith("'", i + 1):
            j = _end_of_quote(s, i + 1, "'", backslash=True)
            buf.add(s[i:j], i)
        elif c == "$" and (tag := _DOLLAR_TAG.match(s, i)):
            close = s.find(tag.group(), tag.end())
            j = n if close < 0 else close + len(tag.group())
            buf.add(s[i:j], i)
        elif c == ";":
            buf.add(c, i)
            j = i + 1
            if parens == 0 and body.depth == 0:
                flush(strip=False)
        elif c == "\\" and s[i + 1 : i + 2] in (";", ":"):
            buf.add(s[i + 1], i + 1)  # psql's escape to put a literal ; or : in the buffer
            if s[i + 1] == ";":
                body.count = 0
            j = i + 2
        elif c == "\\":
            j = _end_of_line(s, i)
            match = _META_NAME.match(s, i)
            name = match.group(1) if match else ""
            if name in _SEND_COMMANDS and buf.has_sql:
                flush(strip=True)
            else:
                out.append(Piece(s[i:j].rstrip(), i, meta=True))
        elif word := _IDENT.match(s, i):
            j = word.end()
            body.see(word.group(), parens)
            buf.add(word.group(), i)
        elif number := _NUMBER.match(s, i):
            j = number.end()
            buf.add(number.group(), i)
        else:
            parens = parens + 1 if c == "(" else max(parens - 1, 0) if c == ")" else parens
            buf.add(c, i)
            j = i + 1
        i = j
    flush(strip=True)
    return out
