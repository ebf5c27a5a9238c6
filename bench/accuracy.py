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
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.core.lab import default_lab_path, load_lab
from grader.pipeline.session import GradingSession
from grader.settings import Settings
from tests.accuracy.grading import grade_corpus
from tests.accuracy.model import AUTO_GRADED, BuiltCase, Verdict, disagreement


def _verdicts(case: BuiltCase) -> dict[str, tuple[Verdict, bool]]:
    """Every judged exercise: the case's own verdicts, and full points for the untouched."""
    untouched = Verdict("full", "copied from the complete example, which is right")
    judged = {ex: (case.verdicts.get(ex, untouched), ex in case.verdicts) for ex in AUTO_GRADED}
    if "history" in case.verdicts:
        judged["history"] = (case.verdicts["history"], True)
    return judged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--citus", choices=["auto", "on", "off"], default="on")
    args = parser.parse_args()
    settings = Settings()
    settings.local.citus = args.citus
    agree: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    varied = [0, 0]
    problems: list[str] = []

    def progress(i: int, n: int, case: BuiltCase) -> None:
        print(f"[{i}/{n}] {case.name}", file=sys.stderr, flush=True)

    with GradingSession.open(settings, load_lab(default_lab_path())) as session:
        for case, report in grade_corpus(session, progress):
            for ex, (verdict, own) in _verdicts(case).items():
                why = disagreement(report, ex, verdict)
                agree[ex][0] += why is None
                agree[ex][1] += 1
                if own:
                    varied[0] += why is None
                    varied[1] += 1
                if why is not None:
                    found = next(
                        (e.findings for e in report.exercises if e.id == ex), report.findings
                    )
                    codes = ", ".join(f"{f.code}: {f.message}" for f in found) or "no finding"
                    problems.append(
                        f"{case.name} {ex} (TA: {verdict.kind}, {verdict.why}): {why}\n"
                        f"    grader: {codes}"
                    )
    print(f"{'exercise':<10} agree / judged")
    for ex in [*AUTO_GRADED, "history"]:
        if ex in agree:
            ok, n = agree[ex]
            print(f"{ex:<10} {ok:>5} / {n:<4} {100 * ok / n:5.1f}%")
    ok = sum(a for a, _ in agree.values())
    n = sum(b for _, b in agree.values())
    print(f"{'total':<10} {ok:>5} / {n:<4} {100 * ok / n:5.1f}%")
    print(
        f"{'varied':<10} {varied[0]:>5} / {varied[1]:<4} "
        f"{100 * varied[0] / max(varied[1], 1):5.1f}%"
    )
    print(f"\n{len(problems)} disagreement(s):")
    for line in problems:
        print(line)


if __name__ == "__main__":
    main()
