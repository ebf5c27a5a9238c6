"""Remove grading clusters whose worker is gone.

A worker that dies (OOM kill, host reboot, `kill -9`) leaves its containers and networks on the
engine. Every object carries the cluster id, its owner and when it started; owners send
heartbeats while they live (see owner_heartbeat.py). A cluster whose owner is silent and that is
older than a grace period (so a cluster being started is never taken) is removed whole.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import docker.errors

from grader.cluster.docker.spec import CLUSTER_LABEL, OWNER_LABEL, STARTED_LABEL

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Labeled:
    """A container or network as the reaper sees it."""

    kind: str  # "container" or "network"
    id: str
    labels: Mapping[str, str]
    created_at: float  # epoch seconds, from the engine


@dataclass(frozen=True)
class Reap:
    cluster_id: str
    owner: str
    reason: str
    containers: tuple[str, ...]
    networks: tuple[str, ...]


def decide(
    objects: Iterable[Labeled],
    *,
    now: float,
    live_owners: Collection[str],
    grace_seconds: float,
) -> list[Reap]:
    """Which clusters to remove. Objects without our cluster label are never touched."""
    clusters: dict[str, list[Labeled]] = {}
    for item in objects:
        cluster_id = item.labels.get(CLUSTER_LABEL)
        if cluster_id:
            clusters.setdefault(cluster_id, []).append(item)
    decisions = []
    for cluster_id, items in sorted(clusters.items()):
        owners = {item.labels.get(OWNER_LABEL, "") for item in items}
        if owners & set(live_owners):
            continue
        age = now - min(_started_at(item) for item in items)
        if age < grace_seconds:
            continue
        owner = ", ".join(sorted(o or "(no owner label)" for o in owners))
        decisions.append(
            Reap(
                cluster_id=cluster_id,
                owner=owner,
                reason=f"owner {owner} sends no heartbeat; started {age:.0f} s ago",
                containers=tuple(i.id for i in items if i.kind == "container"),
                networks=tuple(i.id for i in items if i.kind == "network"),
            )
        )
    return decisions


def _started_at(item: Labeled) -> float:
    try:
        return float(item.labels[STARTED_LABEL])
    except (KeyError, ValueError):
        return item.created_at


def reap(
    client: Any, *, now: float, live_owners: Collection[str], grace_seconds: float
) -> list[Reap]:
    """List our objects on the engine behind `client` (a docker SDK client), remove the clusters
    `decide` picks, and say what was removed."""
    label_filter = {"label": CLUSTER_LABEL}
    containers = client.containers.list(all=True, filters=label_filter)
    networks = client.networks.list(filters=label_filter)
    objects = [
        Labeled("container", c.id, c.labels, parse_engine_time(c.attrs.get("Created", "")))
        for c in containers
    ] + [
        Labeled(
            "network",
            n.id,
            n.attrs.get("Labels") or {},
            parse_engine_time(n.attrs.get("Created", "")),
        )
        for n in networks
    ]
    decisions = decide(objects, now=now, live_owners=live_owners, grace_seconds=grace_seconds)
    for decision in decisions:
        log.warning("reaping grading cluster %s: %s", decision.cluster_id, decision.reason)
        for container_id in decision.containers:
            with contextlib.suppress(docker.errors.NotFound):
                client.containers.get(container_id).remove(force=True, v=True)
        for network_id in decision.networks:
            with contextlib.suppress(docker.errors.NotFound):
                network = client.networks.get(network_id)
                network.reload()
                # Whatever is still attached (a grading worker's container) must let go first.
                for attached in network.attrs.get("Containers") or {}:
                    network.disconnect(attached, force=True)
                network.remove()
    return decisions


def parse_engine_time(text: str) -> float:
    """Epoch seconds of the engine's RFC 3339 timestamps; 0 for a missing or unreadable one, so
    an object of unknown age counts as old (its owner's heartbeat still protects it)."""
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return 0.0
