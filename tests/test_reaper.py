"""Which orphaned clusters the reaper removes, how it removes them, and the owners' heartbeats."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import docker.errors
import pytest
import redis

from grader.cluster.docker.heartbeat import Heartbeats, HeartbeatThread, owner_id
from grader.cluster.docker.reaper import Labeled, decide, parse_engine_time, reap
from grader.cluster.docker.runtime import DockerGrading
from grader.cluster.docker.spec import ClusterIdentity
from grader.settings import DockerCluster as DockerSettings
from grader.settings import Settings

NOW = 10_000.0
GRACE = 600.0


def cluster(cluster_id: str, owner: str, started: float) -> list[Labeled]:
    identity = ClusterIdentity(cluster_id, owner, int(started), "pw")
    return [
        Labeled("network", f"net-{cluster_id}", identity.labels("network"), started),
        Labeled("container", f"c1-{cluster_id}", identity.labels("coordinator"), started),
        Labeled("container", f"c2-{cluster_id}", identity.labels("worker1"), started),
    ]


def test_an_old_cluster_of_a_silent_owner_is_reaped_whole() -> None:
    [decision] = decide(
        cluster("a", "dead:1", NOW - 700), now=NOW, live_owners=set(), grace_seconds=GRACE
    )
    assert decision.cluster_id == "a"
    assert decision.containers == ("c1-a", "c2-a")
    assert decision.networks == ("net-a",)
    assert "dead:1" in decision.reason and "700 s" in decision.reason


def test_a_live_owner_keeps_even_an_old_cluster() -> None:
    objects = cluster("a", "alive:1", NOW - 86_400)
    assert decide(objects, now=NOW, live_owners={"alive:1"}, grace_seconds=GRACE) == []


def test_a_young_cluster_is_kept_while_its_owner_may_not_have_beaten_yet() -> None:
    objects = cluster("a", "new:1", NOW - 30)
    assert decide(objects, now=NOW, live_owners=set(), grace_seconds=GRACE) == []


def test_objects_without_our_cluster_label_are_never_touched() -> None:
    foreign = [Labeled("container", "db", {"com.example.app": "shop"}, 0.0)]
    assert decide(foreign, now=NOW, live_owners=set(), grace_seconds=GRACE) == []


def test_age_falls_back_to_the_engine_time_when_the_label_is_unreadable() -> None:
    identity = ClusterIdentity("b", "dead:2", 0, "pw")
    labels = {**identity.labels("coordinator"), "org.sql-lab-grader.started-at": "soon"}
    young = [Labeled("container", "c", labels, NOW - 10)]
    old = [Labeled("container", "c", labels, NOW - 1000)]
    assert decide(young, now=NOW, live_owners=set(), grace_seconds=GRACE) == []
    assert len(decide(old, now=NOW, live_owners=set(), grace_seconds=GRACE)) == 1


def test_only_the_orphans_among_many_clusters_are_picked() -> None:
    objects = (
        cluster("a", "dead:1", NOW - 700)
        + cluster("b", "alive:1", NOW - 700)
        + cluster("c", "dead:1", NOW - 5)
    )
    decisions = decide(objects, now=NOW, live_owners={"alive:1"}, grace_seconds=GRACE)
    assert [d.cluster_id for d in decisions] == ["a"]


def test_engine_timestamps_with_nanoseconds_and_offsets() -> None:
    assert parse_engine_time("1970-01-01T00:01:40.123456789Z") == pytest.approx(100.123456)
    assert parse_engine_time("1970-01-01T01:01:40+01:00") == 100.0
    assert parse_engine_time("") == 0.0


class FakeObject:
    def __init__(self, client: FakeClient, kind: str, oid: str, labels: dict[str, str]) -> None:
        self.client, self.kind, self.id = client, kind, oid
        self.labels = labels
        self.attrs: dict[str, Any] = {
            "Created": "1970-01-01T00:00:00Z",
            "Labels": labels,
            "Containers": {"grader-worker": {}} if kind == "network" else {},
        }

    def remove(self, **kwargs: Any) -> None:
        self.client.calls.append(("remove", self.kind, self.id, tuple(sorted(kwargs.items()))))
        self.client.objects.remove(self)

    def reload(self) -> None:
        pass

    def disconnect(self, container: str, force: bool = False) -> None:
        self.client.calls.append(("disconnect", self.id, container, force))


class FakeCollection:
    def __init__(self, client: FakeClient, kind: str) -> None:
        self.client, self.kind = client, kind

    def list(self, filters: dict[str, str], all: bool = False) -> list[FakeObject]:
        key = filters["label"]
        return [o for o in self.client.objects if o.kind == self.kind and key in o.labels]

    def get(self, oid: str) -> FakeObject:
        for o in self.client.objects:
            if o.id == oid:
                return o
        raise docker.errors.NotFound(oid)


class FakeClient:
    """The corner of the docker SDK the reaper uses."""

    def __init__(self, objects: list[Labeled]) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.objects = [FakeObject(self, o.kind, o.id, dict(o.labels)) for o in objects]
        self.objects.append(FakeObject(self, "container", "someone-else", {"x": "y"}))
        self.containers = FakeCollection(self, "container")
        self.networks = FakeCollection(self, "network")


def test_reap_removes_containers_then_frees_and_removes_the_network() -> None:
    client = FakeClient(cluster("a", "dead:1", 1.0) + cluster("b", "alive:1", 1.0))
    decisions = reap(client, now=NOW, live_owners={"alive:1"}, grace_seconds=GRACE)
    assert [d.cluster_id for d in decisions] == ["a"]
    assert client.calls == [
        ("remove", "container", "c1-a", (("force", True), ("v", True))),
        ("remove", "container", "c2-a", (("force", True), ("v", True))),
        ("disconnect", "net-a", "grader-worker", True),
        ("remove", "network", "net-a", ()),
    ]
    assert {o.id for o in client.objects} == {"net-b", "c1-b", "c2-b", "someone-else"}


@pytest.fixture
def heartbeats() -> Iterator[Heartbeats]:
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis reachable: {exc}")
    yield Heartbeats(client, ttl_seconds=0.3)
    client.close()


@pytest.mark.service
def test_a_beating_owner_is_live_until_its_beats_expire(heartbeats: Heartbeats) -> None:
    owner = f"test-{uuid.uuid4().hex}:1"
    heartbeats.beat(owner)
    assert owner in heartbeats.live_owners()
    time.sleep(0.5)
    assert owner not in heartbeats.live_owners()


@pytest.mark.service
def test_the_heartbeat_thread_keeps_an_owner_live_and_forgets_it_on_stop(
    heartbeats: Heartbeats,
) -> None:
    owner = f"{owner_id()}-{uuid.uuid4().hex}"
    with HeartbeatThread(heartbeats, owner, interval_seconds=0.05):
        time.sleep(0.6)  # twice the key's lifetime: only the beats keep it
        assert owner in heartbeats.live_owners()
    assert owner not in heartbeats.live_owners()


@pytest.mark.service
def test_a_worker_runtime_beats_sweeps_orphans_at_start_and_stops_cleanly(
    heartbeats: Heartbeats,
) -> None:
    client = FakeClient(cluster("orphan", "gone:9", 1.0) + cluster("young", "gone:9", time.time()))
    redis_client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    settings = Settings(docker=DockerSettings(reap_after_seconds=60))
    with DockerGrading(settings, client, redis_client, fill=False) as grading:
        assert owner_id() in heartbeats.live_owners()
        assert {o.id for o in client.objects} == {
            "net-young",
            "c1-young",
            "c2-young",
            "someone-else",
        }
        assert grading.pool is not None
    assert owner_id() not in heartbeats.live_owners()
    with pytest.raises(RuntimeError, match="outside its `with` block"):
        _ = grading.pool
    redis_client.close()


@pytest.mark.service
def test_the_runtime_sweeps_again_later_and_keeps_its_own_clusters(
    heartbeats: Heartbeats,
) -> None:
    client = FakeClient([])
    redis_client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    fast = Settings(docker=DockerSettings(reap_after_seconds=0.4, heartbeat_seconds=0.1))
    with DockerGrading(fast, client, redis_client, fill=False):
        late = FakeClient(cluster("late", "gone:9", 1.0) + cluster("mine", owner_id(), 1.0))
        client.objects.extend(late.objects)
        for item in late.objects:
            item.client = client
        time.sleep(1.0)
        assert {o.id for o in client.objects} == {"net-mine", "c1-mine", "c2-mine", "someone-else"}
    redis_client.close()


def test_a_heartbeat_slower_than_half_the_reap_delay_is_refused() -> None:
    slow = Settings(docker=DockerSettings(reap_after_seconds=50, heartbeat_seconds=30))
    with pytest.raises(ValueError, match="at least twice"):
        DockerGrading(slow, object(), object())
