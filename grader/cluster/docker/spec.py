"""What a Docker grading cluster is made of, as docker SDK keyword arguments. Pure: no engine.

One cluster is an internal network and four containers of the students' image, named on that
network like the students' compose cluster (citus_master, citus_worker1..3), so plans print the
same host names. Nothing is published unless a host worker opts in (`publish_loopback`), and then
only on 127.0.0.1 through a second, per-cluster bridge that does not masquerade.

Each container runs as the image's `postgres` user with every capability dropped: the entrypoint
only chowns, chmods and switches user when it starts as root, so as `postgres` it needs none of
CHOWN, FOWNER, DAC_OVERRIDE (PGDATA is a fresh subfolder of a world-writable tmpfs, created by
`postgres` itself) nor SETUID/SETGID (there is no gosu step to make).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docker.utils import parse_bytes

from grader.cluster.docker.firewall import BRIDGE_PREFIX
from grader.settings import DockerCluster as DockerSettings

LABEL = "org.sql-lab-grader"
CLUSTER_LABEL = f"{LABEL}.cluster"
OWNER_LABEL = f"{LABEL}.owner"
ROLE_LABEL = f"{LABEL}.role"
STARTED_LABEL = f"{LABEL}.started-at"  # epoch seconds, for the reaper

POSTGRES_PORT = 5432
POSTGRES_USER = "postgres"
COORDINATOR_HOST = "citus_master"
DATA_MOUNT = "/var/lib/postgresql/data"  # the image's VOLUME: a tmpfs here means no volume
PGDATA = f"{DATA_MOUNT}/pgdata"
IMAGE_ENTRYPOINT = "docker-entrypoint.sh"  # the official postgres images', on their PATH

# The grading settings shared with `local` nodes; in a container a node listens on its own
# network (the network is the boundary) and keeps the socket folder that the image's entrypoint
# uses for its init server. Passed with -c, so the stock image needs no mounted file.
GRADING_CONF = Path(__file__).resolve().parents[3] / "citus" / "postgresql.grading.conf"
CONTAINER_SETTINGS: dict[str, str] = {
    "listen_addresses": "*",
    "unix_socket_directories": "/var/run/postgresql",
    "citus.enable_statistics_collection": "off",  # a grading node reports to no one
}


_CONF_LINE = re.compile(r"^\s*([\w.]+)\s*=?\s*(?:'((?:[^']|'')*)'|([^\s#']+))")


def worker_host(number: int) -> str:
    return f"citus_worker{number}"


def node_roles(workers: int) -> list[tuple[str, str]]:
    """(role, host name on the cluster network), coordinator first."""
    return [("coordinator", COORDINATOR_HOST)] + [
        (f"worker{n}", worker_host(n)) for n in range(1, workers + 1)
    ]


@dataclass(frozen=True)
class ClusterIdentity:
    """What makes one cluster distinct from every other on the engine."""

    cluster_id: str
    owner: str  # the grading worker that started it: "<hostname>:<pid>"
    started_at: int  # epoch seconds
    password: str  # generated for this cluster only; never a secret of the service

    @classmethod
    def new(cls, owner: str, now: float) -> ClusterIdentity:
        return cls(
            cluster_id=secrets.token_hex(6),
            owner=owner,
            started_at=int(now),
            password=secrets.token_urlsafe(24),
        )

    def labels(self, role: str) -> dict[str, str]:
        return {
            CLUSTER_LABEL: self.cluster_id,
            OWNER_LABEL: self.owner,
            ROLE_LABEL: role,
            STARTED_LABEL: str(self.started_at),
        }

    @property
    def network_name(self) -> str:
        return f"sql-lab-grader-{self.cluster_id}"

    @property
    def edge_network_name(self) -> str:
        return f"sql-lab-grader-{self.cluster_id}-edge"

    def container_name(self, role: str) -> str:
        return f"sql-lab-grader-{self.cluster_id}-{role}"

    def bridge_name(self, kind: str) -> str:
        """The host's interface of a cluster network ("i" internal, "e" edge): the host rule
        (firewall.py) matches the prefix; Linux takes 15 characters at most."""
        return f"{BRIDGE_PREFIX}{self.cluster_id[:10]}{kind}"


def network_kwargs(identity: ClusterIdentity) -> dict[str, Any]:
    """The cluster's own network: internal, so no route leaves it to the internet or other
    networks. Internal alone still leaves the host's side of the bridge, the gateway, where a
    node reaches every host service listening on all addresses: without an IPv4 address on the
    host's side (`inhibit_ipv4`) there is no gateway to reach."""
    return {
        "name": identity.network_name,
        "driver": "bridge",
        "internal": True,
        "check_duplicate": True,
        "options": {
            "com.docker.network.bridge.inhibit_ipv4": "true",
            "com.docker.network.bridge.name": identity.bridge_name("i"),
        },
        "labels": identity.labels("network"),
    }


def edge_network_kwargs(identity: ClusterIdentity) -> dict[str, Any]:
    """Only with `publish_loopback`: a bridge that carries the published ports. Without
    masquerading, containers on it get no way out to other networks; its gateway is the host,
    closed to nodes by the host rule over the bridge's name (firewall.py)."""
    return {
        "name": identity.edge_network_name,
        "driver": "bridge",
        "internal": False,
        "check_duplicate": True,
        "options": {
            "com.docker.network.bridge.enable_ip_masquerade": "false",
            "com.docker.network.bridge.host_binding_ipv4": "127.0.0.1",
            "com.docker.network.bridge.name": identity.bridge_name("e"),
        },
        "labels": identity.labels("edge-network"),
    }


def parse_conf(text: str) -> dict[str, str]:
    """`key = value` lines of a postgresql.conf, values unquoted, comments dropped."""
    settings: dict[str, str] = {}
    for line in text.splitlines():
        match = _CONF_LINE.match(line)
        if match:
            key, quoted, bare = match.groups()
            settings[key] = quoted.replace("''", "'") if quoted is not None else bare
    return settings


def server_command(grading_settings: Mapping[str, str]) -> list[str]:
    """The server's command line: the grading settings, then the container's own over them."""
    command = ["postgres"]
    for key, value in {**grading_settings, **CONTAINER_SETTINGS}.items():
        command += ["-c", f"{key}={value}"]
    return command


def healthcheck() -> dict[str, Any]:
    """Ready on TCP: the entrypoint's temporary init server listens on no TCP address, so this
    passes only once initdb, the image's CREATE EXTENSION citus and the final start are done."""
    second = 1_000_000_000
    return {
        "test": ["CMD", "pg_isready", "-q", "-h", "127.0.0.1", "-U", POSTGRES_USER],
        "interval": second,
        "timeout": 3 * second,
        "retries": 5,
        "start_period": 60 * second,
    }


def process_memory_mb(settings: DockerSettings) -> int:
    """The address space of each server process of a node: half the node's memory."""
    return int(parse_bytes(settings.memory) // 2 // (1024 * 1024))


def node_kwargs(
    identity: ClusterIdentity,
    role: str,
    host: str,
    settings: DockerSettings,
    grading_settings: Mapping[str, str],
) -> dict[str, Any]:
    """`containers.create` arguments for one node. With `publish_loopback` the node starts on the
    edge network (which carries the published port) and is then connected to the internal one
    under its alias; otherwise it starts on the internal network only."""
    process_bytes = process_memory_mb(settings) * 1024 * 1024
    kwargs: dict[str, Any] = {
        "image": settings.image,
        "name": identity.container_name(role),
        "hostname": host,
        # One server process may take half the node: a statement that would build more fails
        # with "out of memory" (a named limit, the node unharmed) before the container's limit
        # has the kernel kill a process, which takes the whole node through crash recovery.
        # prlimit, not the engine's `ulimits`: runc itself cannot start under such a bound.
        "entrypoint": ["prlimit", f"--as={process_bytes}", "--", IMAGE_ENTRYPOINT],
        "command": server_command(grading_settings),
        "user": POSTGRES_USER,
        "environment": {
            "POSTGRES_USER": POSTGRES_USER,
            "POSTGRES_PASSWORD": identity.password,
            # Citus's own connections to the other nodes authenticate with it (the image keeps
            # PGPASSWORD for that reason).
            "PGPASSWORD": identity.password,
            "POSTGRES_HOST_AUTH_METHOD": "scram-sha-256",
            "PGDATA": PGDATA,
        },
        "labels": identity.labels(role),
        "mem_limit": settings.memory,
        "memswap_limit": settings.memory,  # no swap: a runaway query is stopped, not slowed
        "nano_cpus": int(settings.cpus * 1_000_000_000),
        "pids_limit": settings.pids_limit,
        "shm_size": "128m",
        "security_opt": ["no-new-privileges:true"],
        "cap_drop": ["ALL"],
        "read_only": settings.read_only_root,
        "tmpfs": {
            DATA_MOUNT: f"rw,size={settings.tmpfs_size},mode=1777",
            "/var/run/postgresql": "rw,size=1m,mode=1777",
            "/tmp": "rw,size=16m,mode=1777",
        },
        "healthcheck": healthcheck(),
        # No IPv6 in a node, not even link-local: the host's side of every bridge has one.
        "sysctls": {"net.ipv6.conf.all.disable_ipv6": "1"},
        # The client's proxy settings (which may carry credentials) stay out of the node.
        "use_config_proxy": False,
    }
    if settings.publish_loopback:
        kwargs["network"] = identity.edge_network_name
        kwargs["ports"] = {f"{POSTGRES_PORT}/tcp": ("127.0.0.1", None)}
    else:
        kwargs["network"] = identity.network_name
        kwargs["networking_config"] = {identity.network_name: {"Aliases": [host]}}
    return kwargs
