"""How close the written check's suggestion comes to a TA's score, on tests/accuracy/written/.

Prints, per question and in total, how often the suggested share of the written points is
within a quarter of the TA's, then whether every copied answer was caught and no original
answer was, and each disagreement.

    python bench/written_accuracy.py [--course-material FOLDER]
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.accuracy.written.score import COURSE_MATERIAL, Scored, score_corpus


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--course-material", type=Path, default=COURSE_MATERIAL)
    args = parser.parse_args()
    scored = score_corpus(args.course_material)
    per: dict[str, list[Scored]] = defaultdict(list)
    for s in scored:
        per[s.question].append(s)
    for q, items in per.items():
        agree = sum(s.agrees for s in items)
        print(f"{q:<5} {agree:>3}/{len(items):<3} within a quarter")
    agree = sum(s.agrees for s in scored)
    print(f"total {agree}/{len(scored)} = {agree / len(scored):.0%} within a quarter of the TA")
    copies = [s for s in scored if s.kind == "copied"]
    originals = [s for s in scored if s.kind not in {"copied", "repeat"}]
    print(f"copies caught: {sum(s.copied for s in copies)}/{len(copies)}")
    print(f"originals flagged as copies: {sum(s.copied for s in originals)}/{len(originals)}")
    for s in scored:
        if not s.agrees or (s.copied != (s.kind == "copied") and s.kind != "repeat"):
            print(f"  {s.question} {s.kind} {s.lang}: TA {s.ta:g}, suggested {s.suggested:.2f}"
                  f"{' copied' if s.copied else ''}: {s.text[:90]}")


if __name__ == "__main__":
    main()
