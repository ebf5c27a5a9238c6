"""The agreement table bench/accuracy.py prints and the test run shows at its end."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from grader.core.report import Report
from tests.accuracy.model import AUTO_GRADED, BuiltCase, Verdict, disagreement

UNTOUCHED = Verdict("full", "copied from the complete example, which is right")


@dataclass
class Agreement:
    per_exercise: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    varied: list[int] = field(default_factory=lambda: [0, 0])
    problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> tuple[int, int]:
        return (
            sum(a for a, _ in self.per_exercise.values()),
            sum(b for _, b in self.per_exercise.values()),
        )

    def table(self) -> str:
        lines = [f"{'exercise':<10} agree / judged"]
        for ex in [*AUTO_GRADED, "history"]:
            if ex in self.per_exercise:
                ok, n = self.per_exercise[ex]
                lines.append(f"{ex:<10} {ok:>5} / {n:<4} {100 * ok / n:5.1f}%")
        ok, n = self.total
        lines.append(f"{'total':<10} {ok:>5} / {n:<4} {100 * ok / max(n, 1):5.1f}%")
        v_ok, v_n = self.varied
        lines.append(f"{'varied':<10} {v_ok:>5} / {v_n:<4} {100 * v_ok / max(v_n, 1):5.1f}%")
        lines.append(f"\n{len(self.problems)} disagreement(s):")
        lines += self.problems
        return "\n".join(lines)


def verdicts(case: BuiltCase) -> dict[str, tuple[Verdict, bool]]:
    """Every judged exercise, with whether the case rewrote it: the case's own verdicts,
    and full points for the exercises copied from the complete example."""
    judged = {ex: (case.verdicts.get(ex, UNTOUCHED), ex in case.verdicts) for ex in AUTO_GRADED}
    if "history" in case.verdicts:
        judged["history"] = (case.verdicts["history"], True)
    return judged


def measure(graded: Iterable[tuple[BuiltCase, Report]]) -> Agreement:
    out = Agreement()
    for case, report in graded:
        for ex, (verdict, own) in verdicts(case).items():
            why = disagreement(report, ex, verdict)
            out.per_exercise[ex][0] += why is None
            out.per_exercise[ex][1] += 1
            if own:
                out.varied[0] += why is None
                out.varied[1] += 1
            if why is not None:
                found = next((e.findings for e in report.exercises if e.id == ex), report.findings)
                codes = ", ".join(f"{f.code}: {f.message}" for f in found) or "no finding"
                out.problems.append(
                    f"{case.name} {ex} (TA: {verdict.kind}, {verdict.why}): {why}\n"
                    f"    grader: {codes}"
                )
    return out
