"""PostgreSQL node processes of a `local` cluster: initdb, configure, start, stop.

Nodes are created and started side by side, so a four-node cluster costs about as much
wall time as its slowest node.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.cluster.local.binaries import OsUser, ServerBinaries
from grader.core.errors import InfrastructureError

GRADING_CONF = Path(__file__).resolve().parents[3] / "citus" / "postgresql.grading.conf"
SUPERUSER = "postgres"
_TIMEOUT_SECONDS = 60
# What a postmaster logs when a server process it forked was killed outright: RLIMIT_AS makes
# an allocation fail instead, so on a grading node only the kernel's out-of-memory killer (or
# an operator) sends that signal. The postmaster then restarts every session of the node.
_KILLED = b"was terminated by signal 9"


@dataclass(frozen=True)
class NodeProcess:
    role: str  # "coordinator", "worker1", ...
    port: int
    data_dir: Path

    @property
    def log_file(self) -> Path:
        return self.data_dir.with_suffix(".log")


def free_ports(count: int) -> list[int]:
    """Ports the kernel says are free on loopback right now (held open together so they differ)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        # Ascending, so worker1 gets the lowest: Citus orders workers by (name, port) when
        # it places shards, and the students' cluster sorts citus_worker1 < 2 < 3 by name.
        # The same order puts each shard on the worker of the same role in both clusters.
        return sorted(s.getsockname()[1] for s in sockets)
    finally:
        for s in sockets:
            s.close()


def create(
    nodes: Sequence[NodeProcess], binaries: ServerBinaries, user: OsUser, *, citus: bool
) -> None:
    """initdb every node, then append the grading settings and the node's own."""
    locale = _initdb_locale()
    _run_side_by_side(
        nodes,
        user,
        "initdb",
        lambda n: [
            binaries.tool("initdb"),
            "-D",
            str(n.data_dir),
            "-U",
            SUPERUSER,
            "--auth=trust",  # loopback only (listen_addresses), and no socket files
            "-E",
            "UTF8",
            f"--locale={locale}",
            "--no-sync",
        ],
    )
    try:
        grading = GRADING_CONF.read_text(encoding="utf-8")
    except OSError as exc:
        raise InfrastructureError(f"cannot read the node settings {GRADING_CONF}: {exc}") from exc
    for node in nodes:
        own = [f"port = {node.port}"]
        if citus:
            own.append("shared_preload_libraries = 'citus'")
            # A grading node must not report to anyone or check for updates.
            own.append("citus.enable_statistics_collection = off")
        with (node.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write(f"\n# --- grading settings ({GRADING_CONF.name})\n{grading}")
            conf.write("\n# --- this node\n" + "\n".join(own) + "\n")


def start(
    nodes: Sequence[NodeProcess],
    binaries: ServerBinaries,
    user: OsUser,
    *,
    memory_mb: int | None = None,
) -> None:
    """Start the nodes; with `memory_mb`, every server process they fork inherits that
    address space limit (RLIMIT_AS), so one statement cannot take the machine's memory."""
    bound = (
        ["prlimit", f"--as={memory_mb * 1024 * 1024}", "--"]
        if memory_mb and shutil.which("prlimit")
        else []
    )
    _run_side_by_side(
        nodes,
        user,
        "start",
        lambda n: [
            *bound,
            binaries.tool("pg_ctl"),
            "-D",
            str(n.data_dir),
            "-l",
            str(n.log_file),
            "-w",
            "-t",
            str(_TIMEOUT_SECONDS),
            "start",
        ],
    )


class KilledProcesses:
    """Server processes the nodes' postmasters saw killed, counted from their logs as they grow:
    each call reads only what was written since the last one."""

    def __init__(self, nodes: Sequence[NodeProcess]) -> None:
        self._offsets = {n.log_file: 0 for n in nodes}
        self._count = 0
        self._lock = threading.Lock()  # jobs side by side on one cluster ask at once

    def count(self) -> int:
        with self._lock:
            for path, offset in self._offsets.items():
                try:
                    with path.open("rb") as log:
                        log.seek(offset)
                        written = log.read()
                except OSError:
                    continue  # not started yet, or being removed with the cluster
                whole = written.rfind(b"\n") + 1  # a line still being written counts next time
                self._count += written[:whole].count(_KILLED)
                self._offsets[path] = offset + whole
            return self._count


def stop(data_dirs: Sequence[Path], binaries: ServerBinaries, user: OsUser) -> None:
    """Stop nodes at once, side by side, those that run; their data is thrown away next."""
    running = [
        subprocess.Popen(
            user.command([binaries.tool("pg_ctl"), "-D", str(d), "-m", "immediate", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=d.parent,
        )
        for d in data_dirs
        if (d / "postmaster.pid").exists()
    ]
    for proc in running:
        try:
            proc.wait(timeout=_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def _run_side_by_side(
    nodes: Sequence[NodeProcess],
    user: OsUser,
    what: str,
    argv_for: Callable[[NodeProcess], list[str]],
) -> None:
    running = [
        (
            node,
            subprocess.Popen(
                user.command(argv_for(node)),
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                cwd=node.data_dir.parent,  # the server user may not enter our cwd
            ),
        )
        for node in nodes
    ]
    failures = []
    for node, proc in running:
        try:
            output, _ = proc.communicate(timeout=_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
            output += f"\n(timed out after {_TIMEOUT_SECONDS} s)"
        if proc.returncode != 0:
            failures.append(
                f"{what} of {node.role} (port {node.port}) failed:\n{output.strip()[-2000:]}\n"
                f"log {node.log_file}:\n{log_tail(node.log_file)}"
            )
    if failures:
        raise InfrastructureError("\n\n".join(failures))


def _initdb_locale() -> str:
    """en_US.UTF-8 when the machine has it: the lab's own image sorts text that way, so
    ORDER BY output matches what students paste. Else C.UTF-8, else plain C."""
    try:
        listed = subprocess.run(
            ["locale", "-a"], capture_output=True, text=True, timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "C"
    available = {_normalised(name): name for name in listed.split()}
    for wanted in ("en_US.utf8", "C.utf8"):
        if _normalised(wanted) in available:
            return available[_normalised(wanted)]
    return "C"


def _normalised(locale: str) -> str:
    return locale.lower().replace("-", "")
