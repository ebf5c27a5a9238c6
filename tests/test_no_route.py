"""On a real engine: a grading node reaches the other nodes and nothing of the host, whether
the grading worker runs on the host (`publish_loopback`) or in a container of its own.

Run with `pytest -m docker_engine` as root where an engine answers (the host rule needs
iptables); skipped elsewhere, saying why."""

from __future__ import annotations

import secrets
import socket
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import docker
import pytest

from grader.cluster.docker import firewall, spec
from grader.cluster.docker.backend import DockerCluster
from grader.cluster.docker.firewall import HostReachable
from grader.settings import DockerCluster as DockerSettings
from grader.settings import Settings

pytestmark = [pytest.mark.docker_engine, pytest.mark.slow]
pytest_plugins = ["docker_engine_fixtures"]


def settings_for(**docker: Any) -> Settings:
    configured = Settings()
    return configured.model_copy(update={"docker": configured.docker.model_copy(update=docker)})


@contextmanager
def launched(settings: Settings, client: Any) -> Iterator[DockerCluster]:
    cluster = DockerCluster.launch(settings, client)
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def worker_stand_in(client: Any, image: str) -> Iterator[str]:
    """A container in the place of a grading worker's own: the cluster joins it to its network."""
    name = f"sql-lab-grader-test-worker-{secrets.token_hex(4)}"
    container = client.containers.run(
        image, entrypoint=["sleep", "600"], name=name, detach=True, user="postgres"
    )
    try:
        yield name
    finally:
        container.remove(force=True)


def host_addresses(client: Any, cluster: DockerCluster) -> set[str]:
    """Every address where a node could find the host: the gateways of the cluster's networks
    and of the engine's default bridge, and the host's own addresses."""
    found: set[str] = set()
    for name in (cluster.identity.network_name, cluster.identity.edge_network_name, "bridge"):
        try:
            network = client.networks.get(name)
        except docker.errors.NotFound:
            continue
        for config in network.attrs.get("IPAM", {}).get("Config") or []:
            if config.get("Gateway"):
                found.add(str(config["Gateway"]))
    listed = subprocess.run(
        ["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=True
    ).stdout
    for line in listed.splitlines():  # "2: eth0    inet 192.0.2.2/24 brd ..."
        address = line.split()[3].split("/")[0]
        if not address.startswith("127."):
            found.add(address)
    return found


def reached(client: Any, cluster: DockerCluster, role: str, addresses: set[str]) -> list[str]:
    """What `role` reaches of two listeners the host opens on all its addresses (0.0.0.0), as
    careless host services would: addresses that connected, and connections the host took."""
    node = client.containers.get(cluster.identity.container_name(role))
    found = []
    with ExitStack() as stack:
        for _ in range(2):
            listener = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
            listener.bind(("0.0.0.0", 0))
            listener.listen(len(addresses) + 1)
            listener.setblocking(False)
            port = listener.getsockname()[1]
            found += [f"{a}:{port}" for a in firewall.reached_from(node, sorted(addresses), port)]
            try:
                listener.accept()[0].close()
                found.append(f"the listener on port {port} accepted a connection")
            except BlockingIOError:
                pass
    return found


def connects(client: Any, container: str, host: str, port: int) -> bool:
    code, _ = client.containers.get(container).exec_run(
        ["timeout", "5", "bash", "-c", f"exec 3<>/dev/tcp/{host}/{port}"], user="postgres"
    )
    return bool(code == 0)


def test_a_host_worker_s_nodes_reach_each_other_and_no_host_service(
    client: Any, image: str
) -> None:
    with launched(settings_for(publish_loopback=True, worker_container=""), client) as cluster:
        cluster.assert_isolated()  # installs the host rule here (root), then checks it
        addresses = host_addresses(client, cluster)
        assert len(addresses) >= 3, "the gateways and the host's own address are all tried"
        for role in ("coordinator", "worker1"):
            assert reached(client, cluster, role, addresses) == []
        coordinator = cluster.identity.container_name("coordinator")
        assert connects(client, coordinator, "citus_worker1", 5432), "nodes reach each other"


def test_a_worker_container_s_nodes_reach_each_other_and_no_host_service(
    client: Any, image: str, worker_stand_in: str
) -> None:
    settings = settings_for(publish_loopback=False, worker_container=worker_stand_in)
    with launched(settings, client) as cluster:
        addresses = host_addresses(client, cluster)
        assert len(addresses) >= 2, "the default bridge's gateway and the host's own address"
        for role in ("coordinator", "worker1"):
            assert reached(client, cluster, role, addresses) == []
        coordinator = cluster.identity.container_name("coordinator")
        assert connects(client, coordinator, "citus_worker1", 5432), "nodes reach each other"
        assert connects(client, worker_stand_in, coordinator, 5432), "the worker reaches them"


def test_a_host_worker_without_the_host_rule_is_refused(
    client: Any, image: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bridges outside the rule's prefix, and a worker that may not install it: the check
    from a node finds the host, and the cluster grades nothing."""
    monkeypatch.setattr(spec, "BRIDGE_PREFIX", "sqlx")
    monkeypatch.setattr(firewall, "ensure_host_rules", firewall.rule_commands)
    with launched(settings_for(publish_loopback=True, worker_container=""), client) as cluster:
        assert cluster.identity.bridge_name("e").startswith("sqlx")
        with pytest.raises(HostReachable, match=r"iptables -I INPUT -i sqlg\+ -m conntrack"):
            cluster.assert_isolated()


def test_the_node_spec_names_its_bridges_for_the_host_rule() -> None:
    identity = spec.ClusterIdentity.new("owner:1", 0)
    names = [
        spec.network_kwargs(identity)["options"]["com.docker.network.bridge.name"],
        spec.edge_network_kwargs(identity)["options"]["com.docker.network.bridge.name"],
    ]
    assert all(n.startswith(firewall.BRIDGE_PREFIX) and len(n) <= 15 for n in names)
    assert len(set(names)) == 2
    node = spec.node_kwargs(identity, "coordinator", "citus_master", DockerSettings(), {})
    assert node["sysctls"] == {"net.ipv6.conf.all.disable_ipv6": "1"}
