"""The report's header says which backend graded and why, in the terminal and in markdown."""

from __future__ import annotations

from rich.console import Console

from grader.core.report import Engine, Report
from grader.render import markdown, terminal

REASON = "auto: a Docker engine answered and has citusdata/citus:12.1"


def _report(citus: str | None, reason: str = REASON) -> Report:
    engine = Engine(
        backend="docker", postgres_version="16.2", citus_version=citus, chosen_because=reason
    )
    return Report(lab_id="mediai", lab_version="2024.1", engine=engine)


def test_markdown_header_names_backend_engine_and_reason() -> None:
    lines = markdown.render(_report("12.1.1")).splitlines()
    assert lines[2] == (
        f"backend: docker with Citus 12.1.1 on PostgreSQL 16.2 ({REASON}); lab mediai 2024.1"
    )


def test_terminal_header_says_plain_postgresql_and_the_reason() -> None:
    console = Console(record=True, width=300)
    terminal.render(_report(None), console)
    assert f"backend: docker on plain PostgreSQL 16.2 ({REASON}); lab mediai" in (
        console.export_text()
    )


def test_a_report_made_before_reasons_were_kept_has_no_empty_parentheses() -> None:
    assert "()" not in markdown.render(_report("12.1.1", reason=""))
