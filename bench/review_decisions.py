"""Decisions a TA needs to review one exercise of the example class of grading by question
(tests/review_class.py: 42 students, graded on plain PostgreSQL), against the answers they
settle, for the SQL exercise and the written one. One decision per group of answers; the
goal is at most one decision per 5 answers. "by text only" is what grouping by the normalised
text alone (no results, no key points) would need.

    python bench/review_decisions.py [--groups]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "tests"))  # the class's helpers

from review_class import PROSE_EXERCISE, SQL_EXERCISE, ReviewClass, build_review_class

from grader.core.lab import default_lab_path, load_lab
from grader.dashboard.answer_evidence import compares_results
from grader.dashboard.answer_groups import Group, group_answers
from grader.dashboard.group_splits import Splits
from grader.dashboard.review import candidate
from grader.store.answers import Answer, AnswerBlock
from grader.submission.reader import read_submission

GOAL = 5.0  # answers per decision, at least


def groups_of(review: ReviewClass, exercise_id: str, text_only: bool = False) -> list[Group]:
    lab = load_lab(default_lab_path())
    compared = compares_results(next(e for e in lab.exercises if e.id == exercise_id))
    candidates = []
    for n, s in enumerate(review.submissions):
        read = read_submission(s.checkout, lab, max_bytes=1_000_000).answers.get(exercise_id)
        blocks = {
            kind: [AnswerBlock(b.text, b.line, b.end_line) for b in getattr(read, kind, [])]
            for kind in ("sql", "outputs", "prose")
        }
        graded = s.report.exercise(exercise_id)
        answer = Answer(file="", **blocks)
        found = candidate(n, graded.score, graded.findings, answer, compared, Splits())
        candidates.append(replace(found, results="", key_points=()) if text_only else found)
    return group_answers(candidates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--groups", action="store_true", help="print each group's size and why")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="review-class-") as scratch:
        review = build_review_class(Path(scratch))
        met = True
        print(
            f"{'exercise':<14}{'answers':>8}{'groups':>8}{'decisions':>10}"
            f"{'by text only':>14}  answers per decision"
        )
        for kind, exercise_id in (("SQL", SQL_EXERCISE), ("prose", PROSE_EXERCISE)):
            groups = groups_of(review, exercise_id)
            answers = sum(len(g.members) for g in groups)
            per = answers / len(groups)
            met &= per >= GOAL
            label = f"{exercise_id} ({kind})"
            before = len(groups_of(review, exercise_id, text_only=True))
            print(
                f"{label:<14}{answers:>8}{len(groups):>8}{len(groups):>10}{before:>14}"
                f"  1 decision per {per:.1f} answers (goal: per {GOAL:g} or more)"
            )
            if args.groups:
                for g in groups:
                    why = ", ".join(sorted(g.reasons)) or "alone"
                    print(f"    {len(g.members):>3} answers, {g.verdict[0]:g} pts: {why}")
    print("goal met" if met else "goal NOT met")


if __name__ == "__main__":
    main()
