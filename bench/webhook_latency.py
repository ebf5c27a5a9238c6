"""How fast the api acknowledges 100 concurrent push deliveries, idle and while graders run.

    .venv/bin/python bench/webhook_latency.py [--baseline CHECKOUT] [--http h11,httptools]
        [--busy worker|burn] [--nice 10] [--rounds 3] [--pool 4] [--processes 1]

Real parts as in bench/burst.py: the api under uvicorn, the store in a new database on the
local PostgreSQL, a Redis server of the benchmark's own, GitHub played by the tests' stand-in.
Each measurement sends 100 push deliveries, signed beforehand, each to a repository of its
own (a deadline burst: every student pushes), all at once, on connections opened (and taken
by the api) beforehand; each is timed from the moment its request is written to the end of
its 202, by a client on raw sockets that costs next to nothing, so that the api is measured;
it runs in a process of its own, on the same cores: what it costs is counted against the api.

Phases, in one run, each with every variant measured round by round (interleaved, so that
the variants share the machine's state): `idle` (no grader); `busy` (graders take both
cores at normal priority: a Celery worker grading on its local cluster, given one push per
student repository first, or with --busy burn two CPU-burning processes); with --nice N,
`busy nice N`, the same graders re-niced to N, the two busy phases alternating round by
round. Variants: this checkout and, with
--baseline, the api of an earlier checkout started with that version's defaults; each with
each uvicorn HTTP parser named in --http (httptools also runs uvloop; both must be installed
where the api runs, or that variant is skipped with the reason). Printed: p50, p99 and max
per variant and phase, the baseline's over this checkout's (before/after), and the api's CPU
time per delivery.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from burst import (
    ADMIN_URL,
    ORG,
    Service,
    build_repos,
    deliver,
    free_port,
    percentile,
)
from github_standin import GitHubStandIn
from raw_deliveries import fire_apart, push_payload, request, signed_pushes
from service_support import APP_ID, SECRET, rsa_key_pair


@dataclass(frozen=True)
class Variant:
    code: str  # "new" or "baseline"
    http: str  # "auto", "h11" or "httptools"

    @property
    def name(self) -> str:
        code = "this checkout" if self.code == "new" else "baseline"
        return code if self.http == "auto" else f"{code}, {self.http}"

    def uvicorn_args(self) -> list[str]:
        if self.http == "h11":
            return ["--http", "h11", "--loop", "asyncio"]
        if self.http == "httptools":
            return ["--http", "httptools", "--loop", "uvloop"]
        return []


class Api(Service):
    """burst.py's Service, with the api started under a variant's uvicorn options."""

    def start_variant_api(self, extra: list[str], processes: int) -> None:
        log = (self.tmp / "api.log").open("ab")
        self.processes["api"] = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "grader.app:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.api_port),
                "--log-level",
                "warning",
                "--workers",
                str(processes),
                *extra,
            ],
            env=self.env,
            cwd=self.tmp,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{self.api_port}/healthz", timeout=1)
                return
            except httpx.TransportError as exc:
                if self.processes["api"].poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the api did not start: see {self.tmp / 'api.log'}") from exc
                time.sleep(0.1)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children that exited (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    return ticks / os.sysconf("SC_CLK_TCK")


def descendants(pid: int) -> list[int]:
    out = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            out += descendants(int(child))
    return out


def api_cpu_seconds(pid: int) -> float:
    """The api's CPU time: its process and, with several, the children uvicorn started."""
    return sum(cpu_seconds(p) for p in descendants(pid))


def renice(pid: int, niceness: int) -> None:
    """A grader and everything it started (cluster nodes, psql); later children inherit."""
    for p in descendants(pid):
        with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
            os.setpriority(os.PRIO_PROCESS, p, niceness)


def burn() -> None:
    while True:
        pass


def running_jobs(store_url: str) -> int:
    with psycopg.connect(store_url) as conn:
        row = conn.execute("SELECT count(*) FROM grading_runs WHERE status = 'running'").fetchone()
    return int(row[0]) if row else 0


def unavailable(variant: Variant) -> str | None:
    if variant.http != "httptools":
        return None
    missing = [m for m in ("httptools", "uvloop") if importlib.util.find_spec(m) is None]
    return f"{' and '.join(missing)} not installed" if missing else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--baseline", type=Path, help="a checkout of an earlier version: its api is measured too"
    )
    parser.add_argument(
        "--http", default="auto", help="uvicorn HTTP parsers, comma-separated: auto, h11, httptools"
    )
    parser.add_argument("--busy", choices=["worker", "burn"], default="worker")
    parser.add_argument("--nice", type=int, help="also measure with the graders at this nice")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--deliveries", type=int, default=100)
    parser.add_argument(
        "--students", type=int, default=24, help="--busy worker: pushes that keep the worker busy"
    )
    parser.add_argument("--pool", type=int, default=4, help="GRADER_DATABASE_POOL_SIZE")
    parser.add_argument("--processes", type=int, default=1, help="uvicorn processes")
    parser.add_argument("--log-format", choices=["text", "json"], default="json")
    args = parser.parse_args()
    codes = ["baseline", "new"] if args.baseline is not None else ["new"]
    variants = []
    for code in codes:
        for http in args.http.split(","):
            variant = Variant(code, http.strip())
            if (why := unavailable(variant)) is not None:
                print(f"skipped {variant.name}: {why}")
            else:
                variants.append(variant)
    phases = ["idle", "busy"] + ([f"busy nice {args.nice}"] if args.nice is not None else [])
    times: dict[tuple[str, Variant], list[float]] = {(p, v): [] for p in phases for v in variants}
    cpu = dict.fromkeys(times, 0.0)
    grading: dict[str, list[int]] = {p: [] for p in phases}
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
        'lab = "mediai"\ndeadline = 2099-01-01T00:00:00Z\n',
        encoding="utf-8",
    )
    burners: list[multiprocessing.Process] = []
    try:
        with GitHubStandIn(tmp / "hosted", APP_ID, public) as standin:
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
            service = Api(tmp, env, free_port(), redis_port)
            try:
                service.start_redis()
                # idle first; then the graders start, and the busy phases alternate round by
                # round, so that each sees the graders' backlog at the same stage
                graders: list[int] = []
                for stage in (["idle"], phases[1:]):
                    if stage != ["idle"]:
                        graders = start_graders(service, standin, tmp, args, burners)
                    for round_no in range(args.rounds):
                        for phase in stage:
                            for pid in graders:
                                renice(pid, args.nice if phase != "busy" and args.nice else 0)
                            for variant in variants:
                                name = f"{phase[:4]}{phase[-2:].strip()}{round_no}"
                                measure(service, variant, args, name, phase, times, cpu)
                                grading[phase].append(running_jobs(store_url))
            finally:
                for burner in burners:
                    burner.kill()
                service.stop()
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'.encode())
        shutil.rmtree(tmp, ignore_errors=True)
    report(args, phases, variants, times, cpu, grading)


def start_graders(
    service: Api,
    standin: GitHubStandIn,
    tmp: Path,
    args: argparse.Namespace,
    burners: list[multiprocessing.Process],
) -> list[int]:
    """Both cores taken: the pids of what takes them."""
    if args.busy == "burn":
        for _ in range(2):
            burner = multiprocessing.Process(target=burn, daemon=True)
            burner.start()
            burners.append(burner)
        return [b.pid for b in burners if b.pid is not None]
    heads = build_repos(standin, tmp, args.students)
    print("starting a worker (it starts a grading cluster) ...", flush=True)
    service.start_worker("worker0")
    asyncio.run(_give_work(service, heads))
    return [service.processes["worker0"].pid]


def measure(
    service: Api,
    variant: Variant,
    args: argparse.Namespace,
    tag: str,
    phase: str,
    times: dict[tuple[str, Variant], list[float]],
    cpu: dict[tuple[str, Variant], float],
) -> None:
    if "api" in service.processes:
        service.stop_api()
    service.env["GRADER_DATABASE_POOL_SIZE"] = str(args.pool)
    # the caller's PYTHONPATH is kept (it may bring httptools and uvloop); the baseline's
    # checkout goes first
    paths = [str(args.baseline.resolve())] if variant.code == "baseline" else []
    service.env["PYTHONPATH"] = os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")])
    if variant.code == "baseline":
        del service.env["GRADER_DATABASE_POOL_SIZE"]
    service.start_variant_api(variant.uvicorn_args(), args.processes)
    tag = f"{tag}-{variant.code}-{variant.http}"
    requests = signed_pushes(tag, args.deliveries)
    # a few first: each api process opens its store and queue connections, and takes the
    # path of a push once, as an api that has been running has
    ping = {"zen": "warm up", "hook_id": 1}
    warm = [request("ping", ping) for _ in range(4 * args.processes)]
    fire_apart(service.api_port, warm + signed_pushes(f"warm-{tag}", 10))
    time.sleep(1)  # and their jobs are published
    api = service.processes["api"].pid
    before = api_cpu_seconds(api)
    times[(phase, variant)] += fire_apart(service.api_port, requests)
    cpu[(phase, variant)] += api_cpu_seconds(api) - before


def report(
    args: argparse.Namespace,
    phases: list[str],
    variants: list[Variant],
    times: dict[tuple[str, Variant], list[float]],
    cpu: dict[tuple[str, Variant], float],
    grading: dict[str, list[int]],
) -> None:
    print(
        f"\n{args.deliveries} concurrent push deliveries x {args.rounds} rounds per cell;"
        f" store pool {args.pool}, {args.processes} api process(es), logs {args.log_format};"
        f" graders: {args.busy}"
    )
    for phase in phases[1:] if args.busy == "worker" else []:
        print(
            f"  {phase}: a job was running during {sum(g > 0 for g in grading[phase])}"
            f" of {len(grading[phase])} measurements"
        )
    width = max(len(v.name) for v in variants)
    print(f"  {'':{width}}  " + "".join(f"{p:>26}" for p in phases))
    print(
        f"  {'':{width}}  "
        + "".join(f"{'p50 / p99 / max ms':>26}" for _ in phases)
        + "   api CPU ms/delivery"
    )
    for variant in variants:
        cells = []
        for phase in phases:
            ms = [t * 1000 for t in times[(phase, variant)]]
            cells.append(f"{percentile(ms, 0.5):7.1f} /{percentile(ms, 0.99):7.1f} /{max(ms):7.1f}")
        spent = sum(cpu[(p, variant)] for p in phases) * 1000
        count = sum(len(times[(p, variant)]) for p in phases)
        print(
            f"  {variant.name:{width}}  "
            + "".join(f"{c:>26}" for c in cells)
            + f"   {spent / count:.2f}"
        )
    for variant in variants:
        if variant.code != "baseline":
            continue
        after = Variant("new", variant.http)
        if after not in variants:
            continue
        ratios = []
        for phase in phases:
            old, new = times[(phase, variant)], times[(phase, after)]
            ratios.append(
                f"p50 x{percentile(old, 0.5) / percentile(new, 0.5):5.1f},"
                f" p99 x{percentile(old, 0.99) / percentile(new, 0.99):5.1f}"
            )
        print(
            f"  {'before/after, ' + variant.http:{width}}  " + "".join(f"{r:>26}" for r in ratios)
        )


async def _give_work(service: Api, heads: dict[str, str]) -> None:
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{service.api_port}", timeout=30
    ) as client:
        for name, sha in heads.items():
            await deliver(client, "push", push_payload(name, sha))
    await asyncio.sleep(5)  # the worker takes its first job


if __name__ == "__main__":
    main()
