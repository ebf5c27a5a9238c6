"""Node addresses in pasted output, replaced by the role each node plays.

Plans print nodes as the coordinator knows them: `host=citus_worker3 port=5432` in the
lab's Docker cluster, `host=127.0.0.1 port=9703` in the grader's. Comparing a student's
plan with the engine's needs both spelled by role ("worker1") instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_ADDRESS = re.compile(
    r"host=(?P<host>[^\s,;'\"()]+)\s+port=(?P<port>\d+|x+)"
    r"|(?<![\w.:/@-])(?P<chost>\[[0-9A-Fa-f:.]+\]|(?:\d{1,3}\.){3}\d{1,3}|[A-Za-z][\w.-]*)"
    r":(?P<cport>\d{1,5})(?![\w:.])"
)


def normalise_node_addresses(text: str, nodes: Mapping[tuple[str, int], str] | None = None) -> str:
    """`host=H port=P` becomes `host=ROLE`, and `H:P` becomes `ROLE`.

    With `nodes` ((host, port) -> role; hosts compared without case) only those
    addresses change. Without it every address gets a placeholder, "node1", "node2", ...
    in order of first appearance, so two pastes of the same plan compare equal.
    """
    known = {(host.lower(), str(port)): role for (host, port), role in (nodes or {}).items()}
    seen_hosts = {m.group("host").lower() for m in _ADDRESS.finditer(text) if m.group("host")}
    placeholders: dict[tuple[str, str], str] = {}

    def role(host: str, port: str, spelled_out: bool) -> str | None:
        key = (host.lower(), port)
        if nodes is not None:
            return known.get(key)
        if not spelled_out and not _looks_like_host(key[0], seen_hosts):
            return None
        return placeholders.setdefault(key, f"node{len(placeholders) + 1}")

    def replace(m: re.Match[str]) -> str:
        if m.group("host"):
            name = role(m.group("host"), m.group("port"), True)
            return m.group(0) if name is None else f"host={name}"
        name = role(m.group("chost"), m.group("cport"), False)
        return m.group(0) if name is None else name

    return _ADDRESS.sub(replace, text)


def _looks_like_host(host: str, seen: set[str]) -> bool:
    """Keep "12:30" and "Note:1" out of the placeholders when nothing says they are nodes."""
    if host in seen or host == "localhost" or host.startswith("["):
        return True
    return re.fullmatch(r"(?:\d{1,3}\.){3}\d{1,3}", host) is not None or any(
        ch in host for ch in "._-"
    )
