"""Class similarity on a class of 300 synthetic submissions, on one core.

Every student answers the 14 written questions and 16 SQL exercises with text drawn from a
shared vocabulary (so answers resemble each other as a class's do), and a few pairs copy
each other. Prints the time to normalise and compare everything, the pairs found, and the
copies planted; the issue's bar is 10 s.

With --store, the same class is recorded in a new database on the local PostgreSQL (a run
and the stored answers per student, as the service keeps them) and the dashboard's
computation is timed as a staff page meets it: cold (a fresh process), warm (nothing
changed), and after one student's new push changed one answer.

    OMP_NUM_THREADS=1 python bench/similarity.py [--students 300] [--store]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, before numpy loads
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from grader.core.lab import default_lab_path, load_lab
from grader.core.report import Report
from grader.dashboard.similar_answers import class_similarity, forget
from grader.grading.similarity import prose_key, similar_pairs, sql_key
from grader.store import runs
from grader.store.answers import save_answers
from grader.store.assignments import Assignment, save_assignment
from grader.store.db import Connection, connect
from grader.store.migrate import apply_migrations
from grader.store.repositories import save_repository

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

WRITTEN = ["1.2a", "1.4", "2.1", "2.2", "3.1", "3.3", "4.1", "4.2", "4.3a", "4.3b",
           "Q1", "Q2", "Q3", "Q4"]  # fmt: skip
SQL = [f"s{i}" for i in range(16)]
VOCAB = [
    "coordinator", "worker", "shard", "placement", "prepare", "commit", "rollback", "lock",
    "wait", "vote", "abort", "country", "patient", "record", "join", "local", "network",
    "replica", "partition", "fragment", "row", "column", "key", "hash", "task", "plan", "query",
    "transaction", "billing", "availability", "consistency", "failure", "restart",
]  # fmt: skip
FILLER = [
    "the", "a", "of", "to", "and", "is", "so", "because", "when", "then", "it", "each", "every",
]  # fmt: skip


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


def _block(text: str) -> list[dict[str, object]]:
    return [{"text": text, "line": 1, "end_line": 1}]


def _answers(
    prose: dict[str, str], sql: dict[str, str]
) -> dict[str, dict[str, list[dict[str, object]]]]:
    """A commit's answers as the store keeps them (grader.pipeline.answers)."""
    out = {q: {"sql": [], "outputs": [], "prose": _block(t)} for q, t in prose.items()}
    return out | {q: {"sql": _block(t), "outputs": [], "prose": []} for q, t in sql.items()}


def _timed(label: str, conn: Connection, assignment: Assignment) -> int:
    lab = load_lab(default_lab_path())
    start, cpu = time.perf_counter(), time.process_time()
    found = class_similarity(conn, assignment, lab, max_bytes=1_000_000)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{label}: {wall:.2f} s wall, {cpu:.2f} s of CPU, {len(found.pairs)} pairs")
    return len(found.pairs)


def store_variant(raw_prose: dict[str, dict[str, str]], raw_sql: dict[str, dict[str, str]]) -> None:
    """The dashboard's computation over the class recorded in a store of its own."""
    db = f"grader_bench_similarity_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{db}"'.encode())
    try:
        with connect(ADMIN_URL.rsplit("/", 1)[0] + f"/{db}", autocommit=True) as conn:
            apply_migrations(conn)
            deadline = datetime(2025, 3, 14, 22, 59, tzinfo=UTC)
            assignment = Assignment(
                organisation="bench-org", repository_prefix="tp-", lab="mediai", deadline=deadline
            )
            assignment_id = save_assignment(conn, assignment)
            assignment = assignment.model_copy(update={"id": assignment_id})
            report = Report(lab_id="mediai", lab_version="bench")
            repos = {}
            for student in raw_prose:
                repo = save_repository(
                    conn, f"bench-org/tp-{student}", installation_id=None,
                    assignment_id=assignment_id,
                )  # fmt: skip
                sha = uuid.uuid4().hex
                run = runs.ensure_run(
                    conn, repository_id=repo.id, commit_sha=sha, lab_id="mediai",
                    lab_version="bench", push_id=None,
                )  # fmt: skip
                runs.start_attempt(conn, run.id)
                runs.finish_run(conn, run.id, report)
                save_answers(
                    conn,
                    repo.id,
                    sha,
                    "exercise.md",
                    _answers(raw_prose[student], raw_sql[student]),
                )
                repos[student] = (repo.id, sha)
            print(f"store: {len(raw_prose)} students recorded")
            forget()
            _timed("cold (keys and pairs computed)", conn, assignment)
            _timed("warm (nothing changed)", conn, assignment)
            student = next(iter(raw_prose))
            raw_prose[student]["4.1"] = _prose(random.Random(1))
            repo_id, sha = repos[student]
            save_answers(
                conn, repo_id, sha, "exercise.md", _answers(raw_prose[student], raw_sql[student])
            )
            _timed("after one student stored a changed answer", conn, assignment)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--store", action="store_true", help="time the dashboard's computation")
    args = parser.parse_args()
    rng = random.Random(12)
    raw_prose = {f"student{i:03}": {q: _prose(rng) for q in WRITTEN} for i in range(args.students)}
    raw_sql = {f"student{i:03}": {q: _sql(rng) for q in SQL} for i in range(args.students)}
    planted = 0
    for i in range(0, args.students - 1, 25):  # a copy every 25 students
        raw_prose[f"student{i + 1:03}"]["4.1"] = raw_prose[f"student{i:03}"]["4.1"] + " indeed"
        planted += 1
    if args.store:
        store_variant(raw_prose, raw_sql)
        return
    start, cpu = time.perf_counter(), time.process_time()
    prose = {s: {q: prose_key(t) for q, t in per.items()} for s, per in raw_prose.items()}
    sql = {s: {q: sql_key(t) for q, t in per.items()} for s, per in raw_sql.items()}
    normalised = time.perf_counter()
    written_pairs = similar_pairs(prose, 0.8)
    sql_pairs = similar_pairs(sql, 0.95, common_share=0.1)
    done, cpu = time.perf_counter(), time.process_time() - cpu
    print(f"{args.students} submissions, {len(WRITTEN)} written + {len(SQL)} SQL answers each")
    print(
        f"normalise {normalised - start:.2f} s, compare {done - normalised:.2f} s, "
        f"total {done - start:.2f} s wall, {cpu:.2f} s of CPU (bar: 10 s)"
    )
    print(f"written pairs found {len(written_pairs)} (planted {planted})")
    print(f"SQL pairs found {len(sql_pairs)} (random queries over a small vocabulary)")


if __name__ == "__main__":
    main()
