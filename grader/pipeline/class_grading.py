"""Grading a folder of a whole class's clones: discovery and the score sheet."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

from grader.core.findings import Finding, Severity
from grader.core.lab import Lab
from grader.core.report import Report
from grader.grading.similarity import WRITTEN, AnswerKeys, Pair, answer_keys, class_pairs
from grader.submission.reader import read_submission


def find_submissions(folder: Path, lab: Lab) -> list[Path]:
    """Every folder below `folder` that holds the lab's exercise file (or is a lone
    submission itself), sorted so a class is always graded in the same order."""
    if (folder / lab.exercise_file).is_file():
        return [folder]
    found = {
        p.parents[len(Path(lab.exercise_file).parts) - 1]
        for p in folder.rglob(Path(lab.exercise_file).name)
    }
    found |= {p.parent.parent for p in folder.glob("*/exercises/*.md")}
    return sorted(p for p in found if ".git" not in p.parts)


def write_scores_csv(
    path: Path,
    lab: Lab,
    graded: Iterable[tuple[str, Report]],
    identifiers: Mapping[str, str] | None = None,
) -> None:
    """`identifiers` (submission -> roster identifier, from `--roster`) adds an identifier
    column after the submission; a submission not on the roster has it empty."""
    ids = [e.id for e in lab.exercises]
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(
            [
                "submission",
                *(["identifier"] if identifiers is not None else []),
                "status",
                "score",
                "max_score",
                "ungraded_points",
                "penalty",
                "needs_review",
                *ids,
            ]
        )
        for name, report in graded:
            scores = {e.id: e.score for e in report.exercises}
            out.writerow(
                [
                    name,
                    *([identifiers.get(name, "")] if identifiers is not None else []),
                    report.status.value,
                    report.score,
                    report.max_score,
                    report.ungraded_points,
                    report.penalty,
                    " ".join(report.needs_review),
                    *(scores.get(i, "") for i in ids),
                ]
            )


def flag_similar(lab: Lab, graded: list[tuple[str, Path, Report]], *, max_bytes: int) -> list[Pair]:
    """Near-duplicate answers across the class, added to both reports as staff-only findings
    that change no points (a person decides what a resemblance means)."""
    written = {e.id for e in lab.exercises if any(c.type == "written" for c in e.checks)}

    def keys(root: Path) -> AnswerKeys:
        return answer_keys(read_submission(root, lab, max_bytes=max_bytes).answers, written)

    found = class_pairs(
        {name: keys(root) for name, root, _ in graded},
        keys(lab.root / "template"),
        written_threshold=lab.written.class_similarity,
        sql_threshold=lab.written.sql_similarity,
    )
    reports = {name: report for name, _, report in graded}
    for pair in found:
        for me, other in ((pair.first, pair.second), (pair.second, pair.first)):
            _add(reports[me], pair, other)
    return found


def _add(report: Report, pair: Pair, other: str) -> None:
    code = "similarity.written" if pair.kind == WRITTEN else "similarity.sql"
    for ex in report.exercises:
        if ex.id == pair.question:
            ex.findings.append(
                Finding(
                    code=code,
                    message=f"This {pair.kind} is {pair.similarity:.0%} similar to {other}'s "
                    "(for staff: a resemblance to look at, not a verdict; points unchanged).",
                    severity=Severity.WARNING,
                    exercise=ex.id,
                    detail=f"similar_to={other} similarity={pair.similarity}",
                    staff_only=True,
                )
            )
