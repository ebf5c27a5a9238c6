"""A deadline burst through the real service, with faults, measured from outside.

    .venv/bin/python bench/burst.py [--students 74] [--workers 2] [--concurrency N]
                                    [--pool threads|solo] [--no-faults] [--logs DIR]
                                    [--niceness N]

Everything is real except GitHub (the tests' stand-in, which checks every call against
GitHub's OpenAPI, and serves clones with `git http-backend`; it runs at niceness 10, below
the api, as GitHub's work is not done on the api's machine): the api under uvicorn, Celery
worker processes grading on their own local clusters (threads pool: each worker grades
`--concurrency` jobs at once on its one cluster, the cores by default; at the workers' own
niceness, GRADER_SERVICE__GRADING_NICENESS), a Redis server of the benchmark's own (it keeps
nothing, so a restart loses every task it held), and the store in a new database on the
local PostgreSQL.

The burst: one push per student repository within 8 seconds. Faults (unless --no-faults):
Redis is killed and restarted 3 s into the burst, and the first worker seen grading is
killed with SIGKILL and replaced. Halfway through the burst, 100 further push deliveries
(to repositories of no assignment: stored, nothing to grade) are sent at once from a
process of its own on raw sockets (bench/raw_deliveries.py), to measure how fast the api
acknowledges while the workers are busy.

Printed: time from the first push until every check run is completed, push-to-check
p50/p90, webhook p50/p99 under 100 concurrent deliveries, and lost and duplicated grades.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from github_standin import GitHubStandIn
from raw_deliveries import ORG, fire_apart, push_payload, signed_pushes
from service_support import (
    APP_ID,
    SECRET,
    WorkRepo,
    delivery_headers,
    rsa_key_pair,
)

from grader.core.lab import default_lab_path

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
EXAMPLES = ("complete", "partial-mistakes", "french-crlf", "template-untouched")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Service:
    tmp: Path
    env: dict[str, str]
    api_port: int
    redis_port: int
    pool: str = "threads"
    concurrency: int | None = None  # None: Celery's default, the machine's cores
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start_redis(self) -> None:
        binary = shutil.which("redis-server") or "redis-server"
        self.processes["redis"] = subprocess.Popen(
            [binary, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.tmp)],
            stdout=subprocess.DEVNULL,
        )
        _wait_port(self.redis_port)

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def start_api(self, processes: int = 1) -> None:
        log = (self.tmp / "api.log").open("ab")
        self.processes["api"] = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "grader.app:create_app",
             "--host", "127.0.0.1", "--port", str(self.api_port), "--log-level", "warning",
             "--workers", str(processes)],
            env=self.env, cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT,
        )
        _wait_port(self.api_port, 60)

    def stop_api(self) -> None:
        """Gracefully: with several processes, uvicorn's supervisor stops its children."""
        process = self.processes.pop("api")
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)

    def start_worker(self, name: str, *, wait: bool = True) -> None:
        """Without `wait`, the burst goes on watching check runs while the worker starts."""
        log_path = self.tmp / f"{name}.log"
        log = log_path.open("wb")
        sizing = [] if self.concurrency is None else [f"--concurrency={self.concurrency}"]
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker",
             f"--pool={self.pool}", *sizing, "--loglevel=INFO", "--hostname", f"{name}@bench",
             "--without-gossip", "--without-mingle", "-Q", _queues()],
            env=self.env, cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 180
        while wait and b" ready." not in log_path.read_bytes():
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} did not start: see {log_path}")
            time.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes.values():
            process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


def _queues() -> str:
    from workers.routing import all_queues

    return ",".join(all_queues(8))


def _wait_port(port: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def build_repos(standin: GitHubStandIn, tmp: Path, students: int) -> dict[str, str]:
    """Every student's repository with one commit of an example submission: name -> sha."""
    heads: dict[str, str] = {}
    examples = default_lab_path() / "examples"
    for i in range(students):
        name = f"{ORG}/tp-distributed-student{i:03d}"
        repo = WorkRepo(tmp / "work" / f"s{i:03d}", standin.bare_repo(name))
        shutil.copytree(examples / EXAMPLES[i % len(EXAMPLES)], repo.path, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("README.md"))
        repo.commit({"NOTES.md": f"student {i}\n"}, "FINAL SUBMISSION")
        repo.push()
        heads[name] = repo.git("rev-parse", "HEAD")
    return heads


async def deliver(client: httpx.AsyncClient, event: str, payload: dict[str, object]) -> float:
    body = json.dumps(payload).encode()
    started = time.perf_counter()
    answer = await client.post("/webhooks/github", content=body,
                               headers=delivery_headers(event, body, str(uuid.uuid4())))
    elapsed = time.perf_counter() - started
    if answer.status_code not in (200, 202):
        raise SystemExit(f"the api answered {answer.status_code}: {answer.text[:200]}")
    return elapsed


async def burst(service: Service, standin: GitHubStandIn, heads: dict[str, str],
                faults: bool) -> dict[str, float]:
    pushed: dict[str, float] = {}
    done: dict[str, float] = {}
    spacing = 8.0 / max(1, len(heads))
    # Pushes to repositories of no assignment: the path of a student's push up to the
    # store, signed beforehand, without adding grading work to the burst.
    visitors = signed_pushes("visitor", 100, organisation="visiting-org")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{service.api_port}",
                                 timeout=30) as client:
        start = time.monotonic()
        killed_redis = killed_worker = False
        concurrent: list[float] = []
        for i, (name, sha) in enumerate(heads.items()):
            await asyncio.sleep(max(0.0, start + i * spacing - time.monotonic()))
            pushed[sha] = time.monotonic()
            await deliver(client, "push", push_payload(name, sha))
            if faults and not killed_redis and time.monotonic() - start > 3:
                service.kill("redis")
                service.start_redis()
                killed_redis = True
            if i == len(heads) // 2:
                # from a process of its own, on raw sockets: this one serves GitHub's part
                concurrent = await asyncio.to_thread(
                    fire_apart, service.api_port, visitors
                )
        while len(done) < len(heads) and time.monotonic() - start < 600:
            for state in list(standin.check_runs.values()):
                sha = state.fields.get("head_sha", "")
                if state.fields.get("status") == "completed" and sha not in done:
                    done[sha] = time.monotonic()
            if faults and not killed_worker and any(
                s.fields.get("status") == "in_progress" for s in standin.check_runs.values()
            ):
                service.kill("worker0")
                service.start_worker("worker0b", wait=False)
                killed_worker = True
            await asyncio.sleep(0.1)
    waits = [done[s] - pushed[s] for s in done]
    return {
        "all_checks_s": (max(done.values()) - start) if done else float("nan"),
        "p50_s": percentile(waits, 0.5),
        "p90_s": percentile(waits, 0.9),
        "hook_p50_ms": percentile(concurrent, 0.5) * 1000,
        "hook_p99_ms": percentile(concurrent, 0.99) * 1000,
        "lost": float(len(heads) - len(done)),
    }


def duplicates(store_url: str, standin: GitHubStandIn) -> int:
    with psycopg.connect(store_url) as conn:
        extra_runs = conn.execute(
            "SELECT count(*) - count(DISTINCT repository_id) FROM grading_runs"
        ).fetchone()
        attempts = conn.execute(
            "SELECT count(*) FROM grading_runs WHERE status = 'completed' AND attempts > 1"
        ).fetchone()
    per_sha: dict[str, int] = {}
    for state in standin.check_runs.values():
        if state.fields.get("status") == "completed":
            sha = state.fields.get("head_sha", "")
            per_sha[sha] = per_sha.get(sha, 0) + 1
    posted_twice = sum(n - 1 for n in per_sha.values())
    graded_again = int(attempts[0]) if attempts else 0  # a killed attempt, finished once
    print(f"  runs graded in a second attempt (after the killed worker): {graded_again}")
    return int(extra_runs[0] if extra_runs else 0) + posted_twice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=74)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pool", choices=("threads", "solo"), default="threads")
    parser.add_argument("--concurrency", type=int, help="jobs at once per worker (threads)")
    parser.add_argument("--no-faults", action="store_true")
    parser.add_argument("--niceness", type=int, help="the workers' (default: the setting's)")
    parser.add_argument("--logs", type=Path, help="copy the api's and workers' logs here")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="grader-burst-"))
    db = f"grader_burst_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{db}"'.encode())
    store_url = ADMIN_URL.rsplit("/", 1)[0] + f"/{db}"
    private, public = rsa_key_pair()
    key = tmp / "app.pem"
    key.write_text(private, encoding="utf-8")
    assignments = tmp / "assignments.toml"
    assignments.write_text(
        f'[[assignment]]\norganisation = "{ORG}"\nrepository_prefix = "tp-distributed-"\n'
        'lab = "mediai"\ndeadline = 2099-01-01T00:00:00Z\n', encoding="utf-8")
    try:
        with GitHubStandIn(tmp / "hosted", APP_ID, public, niceness=10) as standin:
            print(f"building {args.students} student repositories ...", flush=True)
            heads = build_repos(standin, tmp, args.students)
            redis_port = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")} | {
                "GRADER_DATABASE_URL": store_url,
                "GRADER_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
                "GRADER_GITHUB__APP_ID": str(APP_ID),
                "GRADER_GITHUB__PRIVATE_KEY_PATH": str(key),
                "GRADER_GITHUB__WEBHOOK_SECRET": SECRET,
                "GRADER_GITHUB__API_URL": standin.api_url,
                "GRADER_GITHUB__CLONE_URL_BASE": standin.git_url,
                "GRADER_SERVICE__ASSIGNMENTS_FILE": str(assignments),
                "GRADER_SERVICE__WORK_DIR": str(tmp),
                "GRADER_SERVICE__RETRY_BACKOFF_SECONDS": "1",
                "GRADER_SERVICE__SWEEP_STALE_SECONDS": "10",
                "GRADER_SERVICE__SWEEP_INTERVAL_SECONDS": "2",
                "GRADER_SERVICE__VISIBILITY_TIMEOUT_SECONDS": "30",
            }
            if args.niceness is not None:
                env["GRADER_SERVICE__GRADING_NICENESS"] = str(args.niceness)
            service = Service(tmp, env, free_port(), redis_port, args.pool, args.concurrency)
            try:
                service.start_redis()
                service.start_api()
                print(f"starting {args.workers} workers (a grading cluster each) ...", flush=True)
                for i in range(args.workers):
                    service.start_worker(f"worker{i}")
                print("burst ...", flush=True)
                result = asyncio.run(burst(service, standin, heads, not args.no_faults))
                result["duplicated"] = float(duplicates(store_url, standin))
            finally:
                service.stop()
            if args.logs is not None:
                args.logs.mkdir(parents=True, exist_ok=True)
                for log_file in tmp.glob("*.log"):
                    shutil.copy(log_file, args.logs / log_file.name)
            if standin.violations:
                print("GitHub stand-in violations:", *standin.violations[:5], sep="\n  ")
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'.encode())
        shutil.rmtree(tmp, ignore_errors=True)
    faults = "none" if args.no_faults else "Redis restarted, a worker killed"
    sizing = args.concurrency or os.cpu_count() if args.pool == "threads" else 1
    print(f"\n{args.students} students, {args.workers} workers ({args.pool} pool, {sizing} jobs"
          f" at once each), faults: {faults}")
    print(f"  every check completed after  {result['all_checks_s']:7.1f} s from the first push")
    print(f"  push to check                p50 {result['p50_s']:.1f} s,"
          f" p90 {result['p90_s']:.1f} s")
    print(f"  webhook, 100 concurrent      p50 {result['hook_p50_ms']:.0f} ms,"
          f" p99 {result['hook_p99_ms']:.0f} ms")
    print(f"  lost {result['lost']:.0f}, duplicated {result['duplicated']:.0f}")


if __name__ == "__main__":
    main()
