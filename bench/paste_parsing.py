"""How fast pasted psql output is read, and that hostile pastes take linear time.

Each input is read at its full size and at a quarter of it, side by side in one run: a
parser that is linear reads the full one in about 4x the time of the quarter, a quadratic
one in about 16x. CPU time, best of three.

    .venv/bin/python bench/paste_parsing.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.submission.psql_output import parse_psql_output
from tests.test_psql_robustness import PATHOLOGICAL, big_paste


def best_cpu(text: str, rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        parse_psql_output(text)
        best = min(best, time.process_time() - started)
    return best


def quarter(text: str) -> str:
    lines = text.split("\n")
    return "\n".join(lines[: len(lines) // 4])


def main() -> None:
    inputs = {"a 5 MB paste (tables and a session)": big_paste(), **PATHOLOGICAL}
    print(f"{'input':<40} {'MB':>5} {'full':>8} {'quarter':>8} {'ratio':>6}")
    worst = 0.0
    for name, text in inputs.items():
        full, part = best_cpu(text), best_cpu(quarter(text))
        ratio = full / part if part > 0 else float("nan")
        worst = max(worst, ratio)
        size = len(text.encode()) / 1e6
        print(f"{name:<40} {size:>5.1f} {full:>7.2f}s {part:>7.2f}s {ratio:>5.1f}x")
    print(f"\nworst full/quarter ratio {worst:.1f}x (linear ~4x, quadratic ~16x)")


if __name__ == "__main__":
    main()
