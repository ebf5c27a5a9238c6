"""The cluster pool's leasing logic, with clusters that only count how they are used."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from grader.cluster.base import Cluster, JobDatabase, Node
from grader.cluster.docker.pool import ClusterHealth, ClusterPool, NoClusterAvailable
from grader.core.errors import InfrastructureError
from grader.core.lab import Lab
from grader.core.trace import EngineInfo


class CountingCluster(Cluster):
    """A stand-in that records leases; `broken` makes the probe below fail it."""

    def __init__(self, number: int) -> None:
        self.number = number
        self.broken = False
        self.closed = False
        self.in_use = 0

    def engine_info(self) -> EngineInfo:
        return EngineInfo(backend="test", postgres_version="16")

    def nodes(self) -> list[Node]:
        return [Node("coordinator", "127.0.0.1", 1)]

    def prepare_lab(self, lab: Lab) -> None:
        raise AssertionError("not used by the pool")

    def new_job(self, lab: Lab, job_id: str) -> JobDatabase:
        raise AssertionError("not used by the pool")

    def end_job(self, job: JobDatabase) -> None:
        raise AssertionError("not used by the pool")

    def close(self) -> None:
        self.closed = True


class Factory:
    def __init__(self, fail: bool = False, delay: float = 0.0) -> None:
        self.made: list[CountingCluster] = []
        self.fail = fail
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self) -> Cluster:
        time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("engine unreachable")
        with self.lock:
            cluster = CountingCluster(len(self.made))
            self.made.append(cluster)
        return cluster


def probe(cluster: Cluster) -> ClusterHealth:
    assert isinstance(cluster, CountingCluster)
    return ClusterHealth(("left a prepared transaction",)) if cluster.broken else ClusterHealth()


def pool_of(factory: Callable[[], Cluster], size: int = 2, wait: float = 2.0) -> ClusterPool:
    return ClusterPool(factory, probe, size=size, wait_seconds=wait)


def test_fill_starts_size_clusters_and_leases_reuse_them() -> None:
    factory = Factory()
    with pool_of(factory, size=2) as pool:
        pool.fill()
        assert len(factory.made) == 2
        for _ in range(5):
            with pool.lease() as cluster:
                assert cluster in factory.made
        assert len(factory.made) == 2
    assert all(c.closed for c in factory.made)


def test_each_cluster_serves_one_job_at_a_time_across_threads() -> None:
    factory = Factory(delay=0.01)
    overlaps: list[int] = []
    jobs_done = 0
    lock = threading.Lock()

    def job() -> None:
        nonlocal jobs_done
        with pool.lease() as leased:
            assert isinstance(leased, CountingCluster)
            with lock:
                leased.in_use += 1
                if leased.in_use > 1:
                    overlaps.append(leased.number)
            time.sleep(0.005)
            with lock:
                leased.in_use -= 1
                jobs_done += 1

    with pool_of(factory, size=3, wait=10) as pool:
        threads = [threading.Thread(target=job) for _ in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert overlaps == []
    assert jobs_done == 24
    assert len(factory.made) <= 3


def test_a_cluster_found_broken_after_a_job_is_closed_and_replaced() -> None:
    factory = Factory()
    with pool_of(factory, size=1) as pool:
        with pool.lease() as first:
            assert isinstance(first, CountingCluster)
            first.broken = True
        assert first.closed
        with pool.lease() as second:
            assert second is not first
            assert isinstance(second, CountingCluster)
            assert not second.broken
        assert len(factory.made) == 2


def test_a_cluster_that_broke_while_idle_is_never_leased() -> None:
    factory = Factory()
    with pool_of(factory, size=2) as pool:
        pool.fill()
        for cluster in factory.made:
            cluster.broken = True
        with pool.lease() as leased:
            assert isinstance(leased, CountingCluster)
            assert not leased.broken
        assert all(c.closed for c in factory.made[:2])


def test_a_failing_probe_counts_as_broken() -> None:
    calls = 0

    def flaky(cluster: Cluster) -> ClusterHealth:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("node gone")
        return ClusterHealth()

    factory = Factory()
    with ClusterPool(factory, flaky, size=1, wait_seconds=2) as pool:
        with pool.lease() as first:
            pass
        assert isinstance(first, CountingCluster) and first.closed
        with pool.lease() as second:
            assert second is not first


def test_a_busy_pool_makes_a_lease_wait_then_fail_clearly() -> None:
    factory = Factory()
    with pool_of(factory, size=1, wait=0.2) as pool, pool.lease():
        started = time.monotonic()
        with (
            pytest.raises(NoClusterAvailable, match=r"no grading cluster free after waiting"),
            pool.lease(),
        ):
            pass
        assert 0.15 < time.monotonic() - started < 2


def test_a_waiting_lease_gets_the_cluster_released_meanwhile() -> None:
    factory = Factory()
    got: list[Cluster] = []
    with pool_of(factory, size=1, wait=5) as pool:
        with pool.lease() as first:
            waiter = threading.Thread(target=lambda: got.append(_lease_once(pool)))
            waiter.start()
            time.sleep(0.05)
            assert got == []
        waiter.join()
    assert got == [first]


def _lease_once(pool: ClusterPool) -> Cluster:
    with pool.lease() as cluster:
        return cluster


def test_a_factory_failure_is_an_infrastructure_error_and_frees_the_place() -> None:
    factory = Factory(fail=True)
    with pool_of(factory, size=1, wait=0.2) as pool:
        with pytest.raises(InfrastructureError, match="engine unreachable"):
            pool.fill()
        factory.fail = False
        with pool.lease() as cluster:
            assert isinstance(cluster, CountingCluster)


def test_closing_the_pool_closes_leased_clusters_on_return_and_refuses_leases() -> None:
    factory = Factory()
    pool = pool_of(factory, size=2)
    pool.fill()
    with pool.lease() as leased:
        pool.close()
        assert isinstance(leased, CountingCluster) and not leased.closed
    assert leased.closed
    assert all(c.closed for c in factory.made)
    with pytest.raises(NoClusterAvailable, match="closed"), pool.lease():
        pass


def test_a_pool_needs_room_for_one_cluster() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        pool_of(Factory(), size=0)
