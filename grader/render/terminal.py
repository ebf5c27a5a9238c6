"""A report in the terminal, with rich."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from grader.core.findings import Finding, Severity
from grader.core.report import Report, RunStatus, Status
from grader.render.summary import STATUS_LABEL, backend_line, fmt_points, headline

_STATUS_STYLE = {
    Status.PASSED: "green",
    Status.PARTIAL: "yellow",
    Status.FAILED: "red",
    Status.MISSING: "bright_black",
    Status.ERROR: "magenta",
    Status.UNGRADED: "cyan",
}
_SEVERITY_STYLE = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "bright_black"}


def _finding_line(f: Finding) -> Text:
    where = f"{f.file}:{f.line}" if f.file and f.line else ""
    text = Text(f"  {f.severity.value:<7} ", style=_SEVERITY_STYLE[f.severity])
    if where:
        text.append(f"{where}  ", style="bold")
    text.append(f.message)
    if f.code.startswith("written.") and f.detail:  # the student's sentence, or the source's
        text.append(f" “{f.detail[:120]}”", style="italic")
    return text


def render(report: Report, console: Console, *, title: str = "", details: bool = True) -> None:
    style = "magenta" if report.status is RunStatus.ERROR else "bold"
    parts: list[Table | Text] = [Text(headline(report), style=style)]
    if report.engine:
        parts.append(
            Text(
                f"{backend_line(report.engine)}; lab {report.lab_id} {report.lab_version}",
                style="bright_black",
            )
        )
    if report.exercises:
        table = Table(show_edge=False, pad_edge=False)
        table.add_column("Exercise")
        table.add_column("Status")
        table.add_column("Points", justify="right")
        table.add_column("Title", overflow="fold")
        for ex in report.exercises:
            status = Text(
                STATUS_LABEL[ex.status] + (" *" if ex.manual_review else ""),
                style=_STATUS_STYLE[ex.status],
            )
            table.add_row(
                ex.id, status, f"{fmt_points(ex.score)}/{fmt_points(ex.max_score)}", ex.title
            )
        parts.append(table)
    console.print(Panel(Group(*parts), title=title or None, expand=False))
    if not details:
        return
    for f in report.findings:
        console.print(_finding_line(f))
    for ex in report.exercises:
        shown = [f for f in ex.findings if f.code != "exercise.missing"]
        if shown:
            console.print(Text(f"{ex.id} {ex.title}", style="bold"))
            for f in shown:
                console.print(_finding_line(f))
    if report.needs_review:
        console.print(
            Text(
                "* written answer: suggested points, to be confirmed by a person",
                style="bright_black",
            )
        )
