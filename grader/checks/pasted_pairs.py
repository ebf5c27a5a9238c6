"""Which statements a pasted block shows the output of: in a pasted psql session, the
statement typed at the prompt above each output; otherwise the SQL block the paste follows.
Output of a psql meta-command (\\d, \\dt) is paired with it, so it is never judged."""

from __future__ import annotations

import re
from collections.abc import Sequence

from grader.core.trace import Outcome, StatementOutcome
from grader.submission.model import Block, ExerciseAnswer

_SESSION_PROMPT = re.compile(r"^[\w.@$-]+[=\-^!*'\"$(][*!?]?[#>]\s?")


def is_meta(sql: str) -> bool:
    return sql.lstrip().startswith("\\")


def _followed(block: Block, answer: ExerciseAnswer) -> Block | None:
    """The SQL block the pasted block comes right after, if any."""
    before = [b for b in answer.sql if not b.file and b.end_line < block.line]
    return max(before, key=lambda b: b.line) if before else None


def _squashed(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip().rstrip(";").strip().casefold()


def _session(block: Block) -> list[tuple[int, str]]:
    """(0-based line, statement typed) for each run of prompt lines in a pasted session."""
    out: list[tuple[int, str]] = []
    lines = block.text.split("\n")
    i = 0
    while i < len(lines):
        if not _SESSION_PROMPT.match(lines[i]):
            i += 1
            continue
        start, typed = i, []
        while i < len(lines) and _SESSION_PROMPT.match(lines[i]):
            typed.append(_SESSION_PROMPT.sub("", lines[i], count=1))
            i += 1
        out.append((start, "\n".join(typed)))
    return out


def pairs(
    block: Block, answer: ExerciseAnswer, statements: Sequence[StatementOutcome]
) -> list[tuple[int, list[StatementOutcome]]]:
    """(from 0-based line, the statements whose output follows): a pasted session pairs
    each output with the statement typed at the prompt above it; otherwise the whole
    block pairs with the SQL block it follows."""
    session = _session(block)
    if session:
        return [
            (
                start,
                [s for s in statements if _squashed(s.sql) == _squashed(typed)]
                if not is_meta(typed)
                else [StatementOutcome(sql=typed, outcome=Outcome.SKIPPED)],
            )
            for start, typed in session
        ]
    sql = _followed(block, answer)
    if sql is None:
        return [(0, [])]
    inside = [s for s in statements if s.line and not s.file and sql.line <= s.line <= sql.end_line]
    return [(0, inside)]
