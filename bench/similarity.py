"""Class similarity on a class of 300 synthetic submissions, on one core.

Every student answers the 14 written questions and 16 SQL exercises with text drawn from a
shared vocabulary (so answers resemble each other as a class's do), and a few pairs copy
each other. Prints the time to normalise and compare everything, the pairs found, and the
copies planted; the issue's bar is 10 s.

    OMP_NUM_THREADS=1 python bench/similarity.py [--students 300]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, before numpy loads
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.grading.similarity import prose_key, similar_pairs, sql_key

WRITTEN = ["1.2a", "1.4", "2.1", "2.2", "3.1", "3.3", "4.1", "4.2", "4.3a", "4.3b",
           "Q1", "Q2", "Q3", "Q4"]  # fmt: skip
SQL = [f"s{i}" for i in range(16)]
VOCAB = [
    "coordinator", "worker", "shard", "placement", "prepare", "commit", "rollback", "lock",
    "wait", "vote", "abort", "country", "patient", "record", "join", "local", "network",
    "replica", "partition", "fragment", "row", "column", "key", "hash", "task", "plan", "query",
    "transaction", "billing", "availability", "consistency", "failure", "restart",
]
FILLER = [
    "the", "a", "of", "to", "and", "is", "so", "because", "when", "then", "it", "each", "every",
]


def _prose(rng: random.Random) -> str:
    return " ".join(rng.choice(VOCAB if rng.random() < 0.6 else FILLER) for _ in range(70))


def _sql(rng: random.Random) -> str:
    cols = rng.sample(["name", "age", "city", "country", "amount", "status", "aiscore"], 3)
    alias = rng.choice(["p", "pa", "pat", "x"])
    return (
        f"SELECT {alias}.{cols[0]}, COUNT(*) AS n, AVG({alias}.{cols[1]}) FROM Patients {alias} "
        f"JOIN MedicalRecords m ON {alias}.idPatient = m.idPatient "
        f"WHERE {alias}.{cols[2]} > {rng.randint(1, 90)} GROUP BY {alias}.{cols[0]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(12)
    raw_prose = {f"student{i:03}": {q: _prose(rng) for q in WRITTEN} for i in range(args.students)}
    raw_sql = {f"student{i:03}": {q: _sql(rng) for q in SQL} for i in range(args.students)}
    planted = 0
    for i in range(0, args.students - 1, 25):  # a copy every 25 students
        raw_prose[f"student{i + 1:03}"]["4.1"] = raw_prose[f"student{i:03}"]["4.1"] + " indeed"
        planted += 1
    start, cpu = time.perf_counter(), time.process_time()
    prose = {s: {q: prose_key(t) for q, t in per.items()} for s, per in raw_prose.items()}
    sql = {s: {q: sql_key(t) for q, t in per.items()} for s, per in raw_sql.items()}
    normalised = time.perf_counter()
    written_pairs = similar_pairs(prose, 0.8)
    sql_pairs = similar_pairs(sql, 0.95, common_share=0.1)
    done, cpu = time.perf_counter(), time.process_time() - cpu
    print(f"{args.students} submissions, {len(WRITTEN)} written + {len(SQL)} SQL answers each")
    print(f"normalise {normalised - start:.2f} s, compare {done - normalised:.2f} s, "
          f"total {done - start:.2f} s wall, {cpu:.2f} s of CPU (bar: 10 s)")
    print(f"written pairs found {len(written_pairs)} (planted {planted})")
    print(f"SQL pairs found {len(sql_pairs)} (random queries over a small vocabulary)")


if __name__ == "__main__":
    main()
