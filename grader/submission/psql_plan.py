"""EXPLAIN output pasted without its `QUERY PLAN` header, as bare indented lines.

psql prints plans this way under `\\a \\t` (as Citus' own tests do), and students who
copy only the plan's rows end up with the same. A plan starts with a node line and
goes on while lines are indented deeper than it, or are the summary lines
("Planning Time: ...") psql prints at the plan's own depth.
"""

from __future__ import annotations

import re

from grader.submission import psql_lines as pl
from grader.submission.psql_items import PastedPlan, Read

_NODE_HINT = re.compile(r"\((?:cost=|actual )|^\s*Custom Scan \(Citus")
_CHILD = re.compile(r"^\s+(?:->\s|[A-Z][\w ()/-]*: )")
_SUMMARY = re.compile(
    r"^(?:Planning Time|Execution Time|Planning|JIT|Query Identifier|Settings|Trigger [^:]+):"
)


def read_bare_plan(lines: list[str], at: int) -> Read | None:
    head = lines[at].rstrip()
    body = head.lstrip()
    if not body or not body[0].isupper() or any(ch in head for ch in "|│\t"):
        return None
    indent = len(head) - len(body)
    following = lines[at + 1] if at + 1 < len(lines) else ""
    if not _NODE_HINT.search(head) and not (indent == 0 and _CHILD.match(following)):
        return None
    i = at + 1
    while i < len(lines):
        text = lines[i].rstrip()
        stripped = text.lstrip()
        depth = len(text) - len(stripped)
        if not stripped or pl.footer(text) is not None:
            break
        if depth <= indent and not (depth == indent and _SUMMARY.match(stripped)):
            break
        if i + 1 < len(lines) and pl.rule(lines[i + 1]) is not None:
            break  # the header of a table that follows
        i += 1
    plan = tuple(text.rstrip()[indent:] for text in lines[at:i])
    if i < len(lines) and pl.footer(lines[i]) is not None:
        i += 1  # the rows of a psql table whose header was cut
    return Read(PastedPlan(plan, at), at, i)
