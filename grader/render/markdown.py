"""A report as GitHub-flavoured markdown: the check run's summary and text, and the CLI's
--markdown."""

from __future__ import annotations

from grader.core.findings import Finding
from grader.core.report import Report
from grader.render.summary import backend_line, fmt_points, headline, result_label


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def exercise_table(report: Report) -> list[str]:
    lines = ["| Exercise | Title | Result | Points |", "|---|---|---|---|"]
    for ex in report.exercises:
        points = f"{fmt_points(ex.score)}/{fmt_points(ex.max_score)}"
        lines.append(f"| {cell(ex.id)} | {cell(ex.title)} | {result_label(ex)} | {points} |")
    return lines


def finding_lines(f: Finding) -> list[str]:
    where = f" ({f.file}:{f.line})" if f.file and f.line else ""
    out = [f"- **{f.severity.value}** `{f.code}`{where}: {f.message}"]
    if f.detail:
        out += ["", "  ```text", *("  " + line for line in f.detail.splitlines()), "  ```"]
    return out


def details(report: Report, *, staff: bool = True) -> str:
    """Every finding; for a student (`staff=False`) none that names another student."""
    lines: list[str] = []
    shown = [f for f in report.findings if staff or not f.staff_only]
    if shown:
        lines.append("### Submission")
        for f in shown:
            lines += finding_lines(f)
        lines.append("")
    for ex in report.exercises:
        mine = [f for f in ex.findings if staff or not f.staff_only]
        if mine:
            lines.append(f"### Exercise {ex.id}: {ex.title}")
            for f in mine:
                lines += finding_lines(f)
            lines.append("")
    return "\n".join(lines) if lines else "No findings."


def render(report: Report) -> str:
    header = [f"**{headline(report)}**", ""]
    if report.engine:
        header += [f"{backend_line(report.engine)}; lab {report.lab_id} {report.lab_version}", ""]
    return "\n".join([*header, *exercise_table(report), "", details(report)])
