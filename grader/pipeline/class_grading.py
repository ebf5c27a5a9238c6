"""Grading a folder of a whole class's clones: discovery and the score sheet."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from grader.core.lab import Lab
from grader.core.report import Report


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


def write_scores_csv(path: Path, lab: Lab, graded: Iterable[tuple[str, Report]]) -> None:
    ids = [e.id for e in lab.exercises]
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(
            [
                "submission",
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
                    report.status.value,
                    report.score,
                    report.max_score,
                    report.ungraded_points,
                    report.penalty,
                    " ".join(report.needs_review),
                    *(scores.get(i, "") for i in ids),
                ]
            )
