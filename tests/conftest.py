"""Options shared by the whole suite."""

from __future__ import annotations

import pytest

from tests.accuracy.summary import ACCURACY_TABLE


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/ from what the grader reports now (review the diff!).",
    )


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """The accuracy corpus's agreement with the TA, as bench/accuracy.py prints it."""
    table = config.stash.get(ACCURACY_TABLE, None)
    if table is not None:
        terminalreporter.write_sep("=", "agreement with the TA on the accuracy corpus")
        terminalreporter.write_line(table)
