"""No way from a grading node to the host: a host rule over every cluster bridge, and a check.

Every bridge of a grading cluster is named with BRIDGE_PREFIX (spec.py), so one rule in the
host's INPUT chain covers all of them, present and future: a connection that *starts* on such a
bridge is dropped. Packets of connections the host opened (the grader's sessions through the
published loopback ports) are ESTABLISHED and pass. Node-to-node traffic never enters INPUT.

The internal network alone has no host address (spec.network_kwargs); the edge network of
`publish_loopback` has one, the gateway, where a host service listening on all addresses
would answer a node. So a host worker installs the rule when it may (root with iptables) and,
whatever it could install, checks from a node that the host does not answer before a cluster
grades anything: `HostReachable` otherwise, naming the rule to install.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
from typing import Any

from grader.core.errors import GraderError

log = logging.getLogger(__name__)

BRIDGE_PREFIX = "sqlg"
# iptables' interface wildcard: every interface whose name starts with the prefix.
_RULE = ("-i", f"{BRIDGE_PREFIX}+", "-m", "conntrack", "--ctstate", "NEW", "-j", "DROP")
_TOOLS = ("iptables", "ip6tables")
_PROBE_SECONDS = 2  # a connection the host accepts on a local bridge takes a millisecond


class HostReachable(GraderError):
    """A node can open connections to the host: the host rule is missing. Configuration, not a
    passing fault: retrying cannot fix it."""

    code = "docker.host-reachable"


def rule_commands() -> list[str]:
    """The host rules, as the commands an operator runs to install them."""
    return [f"{tool} -I INPUT {' '.join(_RULE)}" for tool in _TOOLS]


def ensure_host_rules() -> list[str]:
    """Install whichever host rule is missing, where this process may; the rules it could not
    confirm (no iptables here, or no right to read or change the chain), as commands."""
    unconfirmed = []
    for tool, command in zip(_TOOLS, rule_commands(), strict=True):
        if not _has_rule(tool) and not _insert_rule(tool):
            unconfirmed.append(command)
    return unconfirmed


def _has_rule(tool: str) -> bool:
    return _iptables(tool, "-C") == 0


def _insert_rule(tool: str) -> bool:
    inserted = _iptables(tool, "-I") == 0
    if inserted:
        log.warning("installed the host rule: %s -I INPUT %s", tool, " ".join(_RULE))
    return inserted


def _iptables(tool: str, action: str) -> int | None:
    binary = shutil.which(tool)
    if binary is None:
        return None
    try:
        done = subprocess.run(
            [binary, "-w", "5", action, "INPUT", *_RULE],
            capture_output=True,
            timeout=15,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.returncode


def host_addresses(node: Any) -> list[str]:
    """Where a node would find the host: the gateways of its networks, and the host's own
    addresses (a packet to any of them that starts on a cluster bridge meets the rule)."""
    networks = (node.attrs.get("NetworkSettings") or {}).get("Networks") or {}
    found = {str(n["Gateway"]) for n in networks.values() if n.get("Gateway")}
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        infos = []
    found.update(str(info[4][0]) for info in infos if not str(info[4][0]).startswith("127."))
    return sorted(found)


def assert_host_unreachable(node: Any, addresses: list[str], unconfirmed: list[str]) -> None:
    """Refuse the cluster if `node` (a docker SDK Container) opens a connection to a listener
    the host holds on all its addresses, at any of `addresses`."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind(("0.0.0.0", 0))  # as a careless host service would
        listener.listen(len(addresses) + 1)
        listener.setblocking(False)
        reached = reached_from(node, addresses, listener.getsockname()[1])
        try:
            listener.accept()[0].close()
            reached.append("(the host's listener accepted a connection)")
        except BlockingIOError:
            pass
    finally:
        listener.close()
    if reached:
        missing = unconfirmed or rule_commands()
        raise HostReachable(
            f"a grading node reaches the host at {', '.join(reached)}: student SQL could talk "
            f"to every host service listening on all addresses. Install the host rule as root "
            f"({'; '.join(missing)}), or run the grading worker in a container "
            "(GRADER_DOCKER__WORKER_CONTAINER)"
        )


def reached_from(node: Any, addresses: list[str], port: int) -> list[str]:
    """The addresses where `node` opens a TCP connection to `port`: all tried at once, so a
    dropped connection costs the probe's timeout once."""
    tries = " ".join(
        f"(timeout {_PROBE_SECONDS} bash -c 'exec 3<>/dev/tcp/{a}/{port}' 2>/dev/null"
        f" && echo {a}) &"
        for a in addresses
    )
    _, output = node.exec_run(["bash", "-c", f"{tries} wait"], user="postgres")
    printed = bytes(output or b"").decode("utf-8", "replace").split()
    return sorted(a for a in addresses if a in printed)
