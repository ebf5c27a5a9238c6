"""GET /metrics in Prometheus's text format.

Deliveries are counted by the api process that takes them. Everything about grading comes
from the store at scrape time (pushes waiting, runs by status, job durations), because the
store is the truth and the workers are other processes: a worker restart resets nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from psycopg_pool import ConnectionPool

from grader.store.db import Connection

router = APIRouter()
REGISTRY = CollectorRegistry(auto_describe=True)
DELIVERIES = Counter(
    "grader_deliveries",
    "Webhook deliveries taken, by event and outcome.",
    ["event", "outcome"],
    registry=REGISTRY,
)
DELIVERY_SECONDS = Histogram(
    "grader_delivery_seconds",
    "Time to verify, store and hand off one delivery.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
    registry=REGISTRY,
)


class StoreCollector(Collector):
    """Grading as the store records it, read when Prometheus scrapes."""

    def __init__(self, pool: ConnectionPool[Connection]) -> None:
        self._pool = pool

    def collect(self) -> Iterator[Metric]:
        with self._pool.connection() as conn:
            pushes = conn.execute("SELECT status, count(*) AS n FROM pushes GROUP BY status")
            push_rows = pushes.fetchall()
            run_rows = conn.execute(
                "SELECT status, count(*) AS n FROM grading_runs GROUP BY status"
            ).fetchall()
            durations = conn.execute(
                "SELECT percentile_cont(ARRAY[0.5, 0.9, 0.99]) WITHIN GROUP (ORDER BY"
                " extract(epoch FROM finished_at - started_at)) AS q FROM grading_runs"
                " WHERE finished_at > now() - interval '1 hour' AND started_at IS NOT NULL"
            ).fetchone()
        yield _by_status("grader_pushes", "Pushes by status (queued: waiting to be graded).",
                         push_rows)
        yield _by_status("grader_runs", "Grading runs by status (error: failures).", run_rows)
        seconds = GaugeMetricFamily(
            "grader_job_seconds_last_hour",
            "Quantiles of the time a worker spent grading one run, over the last hour.",
            labels=["quantile"],
        )
        for q, value in zip(("0.5", "0.9", "0.99"), (durations or {}).get("q") or [], strict=False):
            seconds.add_metric([q], float(value))
        yield seconds


def _by_status(name: str, doc: str, rows: list[Any]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, doc, labels=["status"])
    for row in rows:
        family.add_metric([str(row["status"])], float(row["n"]))
    return family


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    state = request.app.state.service
    registry = CollectorRegistry()
    registry.register(StoreCollector(state.pool))
    body = await run_in_threadpool(
        lambda: generate_latest(REGISTRY) + generate_latest(registry)
    )
    return Response(body, media_type=CONTENT_TYPE_LATEST)
