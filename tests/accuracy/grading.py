"""Grade the built corpus with one GradingSession: shared by bench/accuracy.py and the tests."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from grader.core.report import Report
from grader.pipeline.session import GradingSession
from tests.accuracy.model import BuiltCase, load_corpus


def grade_corpus(
    session: GradingSession, on_case: Callable[[int, int, BuiltCase], None] | None = None
) -> Iterator[tuple[BuiltCase, Report]]:
    cases = load_corpus()
    with tempfile.TemporaryDirectory(prefix="accuracy-") as scratch:
        for i, case in enumerate(cases, start=1):
            if on_case:
                on_case(i, len(cases), case)
            checkout = case.checkout(Path(scratch))
            yield case, session.grade_checkout(checkout, policy=case.policy)
