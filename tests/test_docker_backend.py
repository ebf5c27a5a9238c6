"""DockerCluster's orchestration against a fake engine that checks every call against the
docker SDK's own signatures, so a call the real SDK would refuse fails here too."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import docker.errors
import pytest
from docker.api.container import ContainerApiMixin
from docker.api.network import NetworkApiMixin
from docker.models.containers import _create_container_args
from pydantic import SecretStr

from grader.cluster.docker.backend import DockerCluster
from grader.cluster.docker.guard import UnsafeContainerSpec
from grader.cluster.docker.spec import CLUSTER_LABEL, ROLE_LABEL
from grader.core.errors import InfrastructureError
from grader.settings import DockerCluster as DockerSettings
from grader.settings import GitHubApp, Settings


def bind(api_method: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Raise TypeError, as the SDK would, on arguments its API method does not take."""
    inspect.signature(api_method).bind(None, *args, **kwargs)


class FakeContainer:
    def __init__(self, engine: FakeEngine, kwargs: dict[str, Any]) -> None:
        self.engine = engine
        self.name: str = kwargs["name"]
        self.id = f"id-{self.name}"
        self.kwargs = kwargs
        self.reloads = 0
        self.attrs: dict[str, Any] = {"State": {"Status": "created"}}

    def start(self) -> None:
        self.engine.calls.append(("start", self.name))
        self.attrs["State"] = {"Status": "running", "Health": {"Status": "starting"}}

    def reload(self) -> None:
        self.reloads += 1
        health = self.engine.health_after_start.get(self.kwargs["labels"][ROLE_LABEL], "healthy")
        if self.reloads > 1:
            self.attrs["State"]["Health"]["Status"] = health
        if "ports" in self.kwargs:
            port = 40000 + len(self.engine.containers)
            self.attrs["NetworkSettings"] = {
                "Ports": {"5432/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}
            }

    def logs(self, **kwargs: Any) -> bytes:
        bind(ContainerApiMixin.logs, self.id, **kwargs)
        return b"FATAL:  could not create lock file\n"

    def remove(self, **kwargs: Any) -> None:
        bind(ContainerApiMixin.remove_container, self.id, **kwargs)
        self.engine.calls.append(("remove container", self.name, kwargs))
        self.engine.containers.remove(self)
        for network in self.engine.networks:
            network.attached.pop(self.name, None)


class FakeNetwork:
    def __init__(self, engine: FakeEngine, name: str, kwargs: dict[str, Any]) -> None:
        self.engine, self.name, self.kwargs = engine, name, kwargs
        self.id = f"id-{name}"
        self.attached: dict[str, list[str]] = {}

    def connect(self, container: Any, **kwargs: Any) -> None:
        bind(NetworkApiMixin.connect_container_to_network, container, self.id, **kwargs)
        name = container if isinstance(container, str) else container.name
        self.attached[name] = kwargs.get("aliases") or []
        self.engine.calls.append(("connect", self.name, name))

    def disconnect(self, container: Any, **kwargs: Any) -> None:
        bind(NetworkApiMixin.disconnect_container_from_network, container, self.id, **kwargs)
        self.attached.pop(container)
        self.engine.calls.append(("disconnect", self.name, container))

    def remove(self) -> None:
        if self.attached:
            raise docker.errors.APIError("network has active endpoints")
        self.engine.calls.append(("remove network", self.name))
        self.engine.networks.remove(self)


class FakeEngine:
    """The docker SDK client's shape: images, networks and containers collections."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.containers: list[FakeContainer] = []
        self.networks: list[FakeNetwork] = []
        self.local_images = {"citusdata/citus:12.1"}
        self.health_after_start: dict[str, str] = {}
        self.refuse_networks = False
        engine = self

        class Images:
            def get(self, name: str) -> str:
                if name not in engine.local_images:
                    raise docker.errors.ImageNotFound(name)
                return name

            def pull(self, name: str) -> str:
                engine.calls.append(("pull", name))
                engine.local_images.add(name)
                return name

        class Networks:
            def create(self, name: str, **kwargs: Any) -> FakeNetwork:
                bind(NetworkApiMixin.create_network, name, **kwargs)
                if engine.refuse_networks:
                    raise docker.errors.APIError("pool overlaps with other one on this space")
                network = FakeNetwork(engine, name, kwargs)
                engine.networks.append(network)
                engine.calls.append(("create network", name))
                return network

        class Containers:
            def create(self, **kwargs: Any) -> FakeContainer:
                _create_container_args({**kwargs, "version": "1.44"})
                container = FakeContainer(engine, kwargs)
                engine.containers.append(container)
                engine.calls.append(("create container", container.name))
                return container

        self.images, self.networks_api, self.containers_api = Images(), Networks(), Containers()


class FakeClient:
    def __init__(self, engine: FakeEngine) -> None:
        self.images = engine.images
        self.networks = engine.networks_api
        self.containers = engine.containers_api


def settings(**docker_settings: Any) -> Settings:
    return Settings(docker=DockerSettings(start_timeout_seconds=5, **docker_settings))


@pytest.fixture
def engine() -> FakeEngine:
    return FakeEngine()


def test_launch_joins_the_worker_container_and_starts_four_healthy_nodes(
    engine: FakeEngine,
) -> None:
    cluster = DockerCluster.launch(settings(worker_container="grader-w1"), FakeClient(engine))
    [network] = engine.networks
    assert network.kwargs["internal"] is True
    assert network.kwargs["labels"][CLUSTER_LABEL] == cluster.identity.cluster_id
    assert network.attached == {"grader-w1": []}
    created = [c.kwargs for c in engine.containers]
    assert [k["hostname"] for k in created] == [
        "citus_master",
        "citus_worker1",
        "citus_worker2",
        "citus_worker3",
    ]
    assert all(k["network"] == network.name and "ports" not in k for k in created)
    assert [c for c in engine.calls if c[0] == "start"] == [
        ("start", c.name) for c in engine.containers
    ]
    assert [(n.role, n.port) for n in cluster.nodes()] == [
        ("coordinator", 5432),
        ("worker1", 5432),
        ("worker2", 5432),
        ("worker3", 5432),
    ]
    assert cluster.nodes()[0].host == cluster.identity.container_name("coordinator")
    cluster.close()
    assert engine.containers == [] and engine.networks == []
    assert ("disconnect", network.name, "grader-w1") in engine.calls
    cluster.close()  # idempotent


def test_launch_for_a_host_worker_publishes_on_loopback_through_the_edge_network(
    engine: FakeEngine,
) -> None:
    cluster = DockerCluster.launch(settings(publish_loopback=True), FakeClient(engine))
    internal, edge = engine.networks
    assert internal.kwargs["internal"] is True and edge.kwargs["internal"] is False
    assert internal.attached == {c.name: [c.kwargs["hostname"]] for c in engine.containers}, (
        "each node joins the internal network under its students' host name"
    )
    assert all(c.kwargs["network"] == edge.name for c in engine.containers)
    assert {n.host for n in cluster.nodes()} == {"127.0.0.1"}
    assert all(n.port >= 40000 for n in cluster.nodes())
    cluster.close()
    assert engine.networks == []


def test_a_missing_image_is_pulled_first(engine: FakeEngine) -> None:
    engine.local_images.clear()
    DockerCluster.launch(settings(worker_container="w"), FakeClient(engine)).close()
    assert engine.calls[0] == ("pull", "citusdata/citus:12.1")


def test_an_unhealthy_node_fails_the_start_with_its_log_and_leaves_nothing(
    engine: FakeEngine,
) -> None:
    engine.health_after_start["worker2"] = "unhealthy"
    with pytest.raises(InfrastructureError, match=r"worker2 node did not start(.|\n)*lock file"):
        DockerCluster.launch(settings(worker_container="w"), FakeClient(engine))
    assert engine.containers == [] and engine.networks == []


def test_a_node_never_healthy_times_out(engine: FakeEngine) -> None:
    engine.health_after_start["coordinator"] = "starting"
    with pytest.raises(InfrastructureError, match=r"\['coordinator'\] not healthy after 0.6 s"):
        DockerCluster.launch(
            Settings(docker=DockerSettings(worker_container="w", start_timeout_seconds=0.6)),
            FakeClient(engine),
        )
    assert engine.containers == []


def test_engine_errors_become_infrastructure_errors_with_their_cause(engine: FakeEngine) -> None:
    engine.refuse_networks = True
    with pytest.raises(InfrastructureError, match="pool overlaps") as caught:
        DockerCluster.launch(settings(worker_container="w"), FakeClient(engine))
    assert isinstance(caught.value.__cause__, docker.errors.APIError)


def test_a_spec_carrying_a_secret_is_refused_before_any_container_exists(
    engine: FakeEngine,
) -> None:
    leaky = Settings(
        docker=DockerSettings(worker_container="w", image="registry.example/hook-secret-0042"),
        github=GitHubApp(webhook_secret=SecretStr("hook-secret-0042")),
    )
    with pytest.raises(UnsafeContainerSpec, match="secret of the service"):
        DockerCluster.launch(leaky, FakeClient(engine))
    assert not [c for c in engine.calls if c[0] == "create container"]
    assert engine.networks == []


def test_without_a_way_to_reach_the_nodes_nothing_is_created(engine: FakeEngine) -> None:
    with pytest.raises(InfrastructureError, match="GRADER_DOCKER__WORKER_CONTAINER"):
        DockerCluster.launch(settings(), FakeClient(engine))
    assert engine.calls == []


def test_a_cluster_not_bootstrapped_says_so(engine: FakeEngine) -> None:
    cluster = DockerCluster.launch(settings(worker_container="w"), FakeClient(engine))
    with pytest.raises(InfrastructureError, match="not running"):
        cluster.engine_info()
    with pytest.raises(InfrastructureError, match="not bootstrapped"):
        _ = cluster.databases
    cluster.close()
