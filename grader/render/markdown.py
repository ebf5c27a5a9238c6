"""A report as GitHub-flavoured markdown: the check run's summary and the CLI's --markdown."""

from __future__ import annotations

from grader.findings import Finding
from grader.render.summary import STATUS_LABEL, fmt_points, headline
from grader.report import Report


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary_table(report: Report) -> str:
    lines = [f"**{headline(report)}**", ""]
    if not report.exercises:
        return "\n".join(lines)
    lines += ["| Exercise | Status | Points | |", "|---|---|---:|---|"]
    for ex in report.exercises:
        review = "written answer: to be reviewed" if ex.manual_review else ""
        lines.append(
            f"| {ex.id} {_cell(ex.title)} | {STATUS_LABEL[ex.status]} | "
            f"{fmt_points(ex.score)}/{fmt_points(ex.max_score)} | {review} |"
        )
    return "\n".join(lines)


def _finding(f: Finding) -> str:
    where = f" (`{f.file}` line {f.line})" if f.file and f.line else ""
    text = f"- **{f.severity.value}**{where}: {_cell(f.message)}"
    if f.detail:
        text += "\n\n  ```\n" + "\n".join("  " + ln for ln in f.detail.splitlines()) + "\n  ```"
    return text


def details(report: Report) -> str:
    out: list[str] = []
    if report.findings:
        out += ["### Submission", *(_finding(f) for f in report.findings), ""]
    for ex in report.exercises:
        shown = [f for f in ex.findings if f.code != "exercise.missing"]
        if shown:
            out += [f"### {ex.id} {ex.title}", *(_finding(f) for f in shown), ""]
    return "\n".join(out)


def render(report: Report) -> str:
    return summary_table(report) + "\n\n" + details(report)
