"""How fast a job gets a fresh lab state, and how long a whole submission takes to grade.

Measured side by side in one run on the embedded `local` backend, so the ratios hold
on whatever machine runs it:

    .venv/bin/python bench/fresh_state.py [--rounds 5] [--citus auto|on|off]

1. spare ready: what grading does; the next job's copy was made in the background
   while the previous job ran, so a job only takes it.
2. template copy: a started cluster, the lab loaded once into a template; the job's
   copy is CREATE DATABASE ... TEMPLATE on every node, made when the job asks.
3. cold cluster: each job starts 4 new nodes, loads and distributes the lab, stops.
4. a whole submission: the complete example graded end to end on a warm session, back
   to back (a deadline burst) and after a pause (a push to an idle service), with the
   lab's variant data sets (what grading does) and without them, rounds interleaved.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from grader.cluster.local.cluster import LocalCluster
from grader.core.lab import default_lab_path, load_lab
from grader.pipeline.session import GradingSession
from grader.settings import Settings


def timed(fn: Callable[[], object], rounds: int) -> list[float]:
    out = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--citus", choices=["auto", "on", "off"], default="auto")
    args = parser.parse_args()
    console = Console()
    settings = Settings()
    settings.local.citus = args.citus
    lab = load_lab(default_lab_path())

    def cold() -> None:
        cluster = LocalCluster.start(settings.local, settings.limits)
        try:
            cluster.prepare_lab(lab)
            cluster.end_job(cluster.new_job(lab, f"bench_{uuid.uuid4().hex[:8]}"))
        finally:
            cluster.close()

    with console.status("Cold cluster per job..."):
        cold_times = timed(cold, args.rounds)

    with GradingSession.open(settings, lab) as session:
        with session.source.lease() as cluster:
            engine = cluster.engine_info()
            copies = cluster.databases  # type: ignore[attr-defined]
            template = copies.template_name(lab)

            def on_demand() -> float:
                start = time.perf_counter()
                job = copies.copy_template(template, f"bench_{uuid.uuid4().hex[:8]}")
                took = time.perf_counter() - start
                copies.end_job(job)
                return took

            def from_spare() -> float:
                time.sleep(3)  # a job's run: the next spare is made meanwhile
                start = time.perf_counter()
                job = cluster.new_job(lab, f"bench_{uuid.uuid4().hex[:8]}")
                took = time.perf_counter() - start
                cluster.end_job(job)
                return took

            with console.status("Template copy per job..."):
                copy_times = [on_demand() for _ in range(args.rounds)]
                cluster.end_job(cluster.new_job(lab, "bench_warm_up"))  # starts the first spare
                spare_times = [from_spare() for _ in range(args.rounds)]
        example = lab.root / "examples" / "complete"
        # The same cluster, the lab without its variants: the side-by-side baseline.
        plain = GradingSession(settings, lab.model_copy(update={"variants": []}), session.source)
        # Computed once per session in real use: keep the reference runs out of the timing.
        session.reference()
        plain.reference()
        for variant in lab.variants:
            session.variant_reference(variant.name)
        grade_times: list[float] = []
        plain_times: list[float] = []
        paused_times: list[float] = []
        with console.status("Grading the complete example..."):
            for _ in range(args.rounds):  # interleaved, so both see the same machine load
                grade_times += timed(lambda: session.grade_checkout(example), 1)
                plain_times += timed(lambda: plain.grade_checkout(example), 1)
            for _ in range(args.rounds):
                time.sleep(3)  # a push arriving while the service idles: its spare is ready
                paused_times += timed(lambda: session.grade_checkout(example), 1)

    spare_med = statistics.median(spare_times)
    copy_med, cold_med = statistics.median(copy_times), statistics.median(cold_times)
    table = Table(
        title=f"{args.rounds} rounds each; PostgreSQL {engine.postgres_version}"
        + (f", Citus {engine.citus_version}" if engine.citus_version else ", no Citus")
    )
    for col in ("what", "median", "min", "max"):
        table.add_column(col, justify="left" if col == "what" else "right")
    for name, times in (
        ("fresh state: spare ready", spare_times),
        ("fresh state: template copy", copy_times),
        ("fresh state: cold cluster", cold_times),
        ("grade the complete example, back to back", grade_times),
        ("  the same without the variant data sets", plain_times),
        ("grade the complete example, after a pause", paused_times),
    ):
        table.add_row(
            name,
            *(f"{v * 1000:.0f} ms" for v in (statistics.median(times), min(times), max(times))),
        )
    console.print(table)
    console.print(f"cold cluster / template copy = {cold_med / copy_med:.1f}x")
    console.print(f"template copy / spare ready = {copy_med / spare_med:.1f}x")
    variants_ratio = statistics.median(grade_times) / statistics.median(plain_times)
    console.print(
        f"whole submission with / without {len(lab.variants)} variant data set(s) "
        f"= {variants_ratio:.2f}x"
    )


if __name__ == "__main__":
    main()
