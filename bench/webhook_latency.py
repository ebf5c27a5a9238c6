"""How fast the api acknowledges 100 concurrent push deliveries while a worker grades.

    .venv/bin/python bench/webhook_latency.py [--variants 4x1,20x1,20x2] [--rounds 3]
        [--baseline CHECKOUT]

Real parts as in bench/burst.py: the api under uvicorn, the store in a new database on the
local PostgreSQL, a Redis server of the benchmark's own, a Celery worker grading on its own
local cluster, GitHub played by the tests' stand-in. The worker is given one push per
student repository first, so it grades throughout. Then, for each variant in turn (POOLxN:
the api restarted with GRADER_DATABASE_POOL_SIZE=POOL and N uvicorn processes; variants
interleaved round by round so that they share the machine's load), 100 push deliveries,
signed beforehand, are sent at once, each to a repository of its own (a deadline burst:
every student pushes), and the time to each 202 is measured from outside. Printed: p50,
p99 and max per variant (--baseline adds the api of an earlier checkout, started with that
version's defaults, to compare before and after in one run), and the api's CPU time per
delivery (in one process all of it runs under one interpreter lock, so the last of 100
simultaneous deliveries waits at least 100 times that).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psycopg
from burst import (
    ADMIN_URL,
    ORG,
    Service,
    build_repos,
    free_port,
    percentile,
    push_payload,
)
from github_standin import GitHubStandIn
from service_support import APP_ID, SECRET, delivery_headers, rsa_key_pair


def signed_pushes(round_no: int, tag: str, count: int) -> list[tuple[bytes, dict[str, str]]]:
    """Push deliveries to repositories nobody pushed to before, signed as GitHub signs."""
    out = []
    for i in range(count):
        name = f"{ORG}/tp-distributed-hook-{tag}-r{round_no}-{i:03d}"
        body = json.dumps(push_payload(name, uuid.uuid4().hex + "0" * 8)).encode()
        out.append((body, delivery_headers("push", body, str(uuid.uuid4()))))
    return out


async def fire(port: int, deliveries: list[tuple[bytes, dict[str, str]]]) -> list[float]:
    limits = httpx.Limits(max_connections=len(deliveries), max_keepalive_connections=0)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=30, limits=limits
    ) as client:

        async def one(body: bytes, headers: dict[str, str]) -> float:
            started = time.perf_counter()
            answer = await client.post("/webhooks/github", content=body, headers=headers)
            elapsed = time.perf_counter() - started
            if answer.status_code not in (200, 202):
                raise SystemExit(f"the api answered {answer.status_code}: {answer.text[:200]}")
            return elapsed

        return list(await asyncio.gather(*(one(b, h) for b, h in deliveries)))


def signed_warmup(count: int) -> list[tuple[bytes, dict[str, str]]]:
    ping = json.dumps({"zen": "warm up", "hook_id": 1}).encode()
    return [(ping, delivery_headers("ping", ping, str(uuid.uuid4()))) for _ in range(count)]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children that exited (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    return ticks / os.sysconf("SC_CLK_TCK")


def api_cpu_seconds(pid: int) -> float:
    """The api's CPU time: its process and, with several, the children uvicorn started."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return cpu_seconds(pid) + sum(cpu_seconds(int(c)) for c in children)


def running_jobs(store_url: str) -> int:
    with psycopg.connect(store_url) as conn:
        row = conn.execute("SELECT count(*) FROM grading_runs WHERE status = 'running'").fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--variants", default="4x1,20x1", help="POOLxN: store pool size x api processes"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--deliveries", type=int, default=100)
    parser.add_argument("--students", type=int, default=24, help="pushes that keep the worker busy")
    parser.add_argument("--log-format", choices=["text", "json"], default="json")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="a checkout of an earlier version: its api is measured too, with its defaults",
    )
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",")]
    if args.baseline is not None:
        variants.insert(0, "baseline")
    tmp = Path(tempfile.mkdtemp(prefix="grader-hook-"))
    db = f"grader_hook_{uuid.uuid4().hex[:8]}"
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
    times: dict[str, list[float]] = {v: [] for v in variants}
    cpu: dict[str, float] = dict.fromkeys(variants, 0.0)
    rounds: dict[str, list[float]] = {v: [] for v in variants}  # p99 of each round, ms
    busy: list[int] = []
    try:
        with GitHubStandIn(tmp / "hosted", APP_ID, public) as standin:
            heads = build_repos(standin, tmp, args.students)
            redis_port = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_")} | {
                "GRADER_DATABASE_URL": store_url,
                "GRADER_REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
                "GRADER_LOG_FORMAT": args.log_format,
                "GRADER_GITHUB__APP_ID": str(APP_ID),
                "GRADER_GITHUB__PRIVATE_KEY_PATH": str(key),
                "GRADER_GITHUB__WEBHOOK_SECRET": SECRET,
                "GRADER_GITHUB__API_URL": standin.api_url,
                "GRADER_GITHUB__CLONE_URL_BASE": standin.git_url,
                "GRADER_SERVICE__ASSIGNMENTS_FILE": str(assignments),
                "GRADER_SERVICE__WORK_DIR": str(tmp),
            }
            service = Service(tmp, env, free_port(), redis_port)
            try:
                service.start_redis()
                service.start_api()
                print("starting a worker (it starts a grading cluster) ...", flush=True)
                service.start_worker("worker0")
                asyncio.run(_give_work(service.api_port, heads))
                for round_no in range(args.rounds):
                    for variant in variants:
                        pool, _, processes = variant.partition("x")
                        service.stop_api()
                        service.env.pop("PYTHONPATH", None)
                        service.env["GRADER_DATABASE_POOL_SIZE"] = pool
                        if variant == "baseline":
                            service.env["PYTHONPATH"] = str(args.baseline.resolve())
                            processes = "1"
                            del service.env["GRADER_DATABASE_POOL_SIZE"]
                        service.start_api(int(processes or 1))
                        deliveries = signed_pushes(round_no, variant, args.deliveries)
                        busy.append(running_jobs(store_url))
                        api = service.processes["api"].pid
                        # a few first: each api process opens its store and queue connections
                        asyncio.run(fire(service.api_port, signed_warmup(4 * int(processes or 1))))
                        before = api_cpu_seconds(api)
                        measured = asyncio.run(fire(service.api_port, deliveries))
                        times[variant] += measured
                        rounds[variant].append(percentile(measured, 0.99) * 1000)
                        cpu[variant] += api_cpu_seconds(api) - before
            finally:
                service.stop()
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'.encode())
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{args.deliveries} concurrent push deliveries x {args.rounds} rounds,"
          f" logs {args.log_format}; worker grading during {sum(b > 0 for b in busy)}"
          f" of {len(busy)} measurements")
    for variant, values in times.items():
        ms = [v * 1000 for v in values]
        pool, _, processes = variant.partition("x")
        name = "baseline checkout" if variant == "baseline" else (
            f"store pool {pool:>3}, {processes or 1} api process(es)"
        )
        print(f"  {name}:"
              f" p50 {percentile(ms, 0.5):6.1f} ms, p99 {percentile(ms, 0.99):6.1f} ms,"
              f" max {max(ms):6.1f} ms; api CPU {cpu[variant] / len(values) * 1000:.1f} ms"
              " per delivery")
        print("      p99 of each round: " + ", ".join(f"{r:.0f}" for r in rounds[variant]) + " ms")


async def _give_work(port: int, heads: dict[str, str]) -> None:
    deliveries = []
    for name, sha in heads.items():
        body = json.dumps(push_payload(name, sha)).encode()
        deliveries.append((body, delivery_headers("push", body, str(uuid.uuid4()))))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for body, headers in deliveries:
            await client.post("/webhooks/github", content=body, headers=headers)
    await asyncio.sleep(5)  # the worker takes its first job


if __name__ == "__main__":
    main()
