"""What the grader's report says about an answer that grouping can use, read from the stored
report alone (the dashboard never runs SQL):

- the results: the result and objects checks compare the student's rows with the reference's
  on the seed and, for the exercises judged there, on every variant data set. No such finding
  means the rows equal the reference's everywhere; otherwise the findings' details list the
  rows that differ from that same reference. So two answers with the same of these findings,
  details included, gave the same results: their fingerprint is a hash of them. An answer whose
  statements failed, or returned no rows, has no fingerprint: only its text can group it.
- the key points (and misconceptions) the written check found in the prose.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from grader.core.findings import Finding
from grader.core.lab import Exercise

_RESULT_CHECKS = frozenset({"result", "objects"})
_RESULT_FAMILIES = ("result.", "objects.", "variants.")
_NO_RESULT = frozenset({"executes.error", "executes.nothing", "result.none", "variants.unchecked"})
_WRITTEN = frozenset({"written.key-point", "written.misconception"})


def compares_results(exercise: Exercise) -> bool:
    return any(c.type in _RESULT_CHECKS for c in exercise.checks)


def result_fingerprint(findings: Sequence[Finding]) -> str:
    """Empty when the findings do not pin the results down."""
    if any(f.code in _NO_RESULT for f in findings):
        return ""
    differences = sorted(
        (f.code, f.detail or "") for f in findings if f.code.startswith(_RESULT_FAMILIES)
    )
    return hashlib.sha256(json.dumps(differences).encode()).hexdigest()[:16]


def key_points(findings: Sequence[Finding]) -> tuple[str, ...]:
    """The key points and misconceptions found, as the written check names them."""
    return tuple(sorted({f.message for f in findings if f.code in _WRITTEN}))
