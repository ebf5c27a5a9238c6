"""Agreement of the grader with a careful TA on the accuracy corpus (tests/accuracy/).

Grades every case of the corpus with one GradingSession on the configured backend, then
prints, per automatically graded exercise and in total, how many verdicts agree, and each
disagreement with the grader's findings for that exercise. "Varied" counts only the
exercises a case rewrote (the others are copies of the `complete` example).

    python bench/accuracy.py [--citus on]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.core.lab import default_lab_path, load_lab
from grader.pipeline.session import GradingSession
from grader.settings import Settings
from tests.accuracy.agreement import measure
from tests.accuracy.grading import grade_corpus
from tests.accuracy.model import BuiltCase


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citus", choices=["auto", "on", "off"], default="on")
    args = parser.parse_args()
    settings = Settings()
    settings.local.citus = args.citus

    def progress(i: int, n: int, case: BuiltCase) -> None:
        print(f"[{i}/{n}] {case.name}", file=sys.stderr, flush=True)

    with GradingSession.open(settings, load_lab(default_lab_path())) as session:
        print(measure(grade_corpus(session, progress)).table())


if __name__ == "__main__":
    main()
