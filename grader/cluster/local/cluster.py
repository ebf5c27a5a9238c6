"""The embedded grading cluster: PostgreSQL node processes started from the installed server.

One folder per cluster under the base folder, named after the owning process (pid and
start time), so a later `start` can tell clusters whose owner died and remove them: nodes
must not outlive the grader that started them.
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

from grader import settings as grader_settings
from grader.cluster.base import MemoryWatch, Node, TemplateCluster
from grader.cluster.lab_databases import LabDatabases
from grader.cluster.local import nodes as node_processes
from grader.cluster.local.binaries import OsUser, ServerBinaries, find_binaries
from grader.core.errors import InfrastructureError
from grader.core.trace import EngineInfo

_HOST = "127.0.0.1"
_FOLDER = re.compile(r"(\d+)-(\d+)-[0-9a-f]+")
_MEMORY_DIR = Path("/dev/shm")
# A cluster's nodes hold about 100 MB each at a deadline (templates, job copies, WAL up to
# max_wal_size): in memory only where a few clusters fit with room to spare.
_MEMORY_MIN_FREE = 4 << 30


class LocalCluster(TemplateCluster):
    def __init__(
        self,
        folder: Path,
        processes: list[node_processes.NodeProcess],
        binaries: ServerBinaries,
        user: OsUser,
        citus: bool,
        limits: grader_settings.Limits,
    ) -> None:
        self.folder = folder
        self._processes = processes
        self._binaries = binaries
        self._user = user
        self._nodes = [Node(p.role, _HOST, p.port) for p in processes]
        self._databases = LabDatabases(
            self._nodes,
            _admin_dsn,
            coordinator_address=(_HOST, processes[0].port),
            worker_addresses=[(_HOST, p.port) for p in processes[1:]],
            has_citus=citus,
            limits=limits,
        )
        self._engine: EngineInfo | None = None
        self._closed = False
        self._memory_mb = limits.node_memory_mb
        self._killed = node_processes.KilledProcesses(processes)

    @property
    def databases(self) -> LabDatabases:
        return self._databases

    def memory_watch(self) -> MemoryWatch:
        return MemoryWatch(
            statement_limit=f"node memory limit ({self._memory_mb} MB per server process)",
            node_limit="node memory limit (a server process was killed for memory)",
            kills=self._killed.count,
        )

    @classmethod
    def start(
        cls, settings: grader_settings.LocalCluster, limits: grader_settings.Limits
    ) -> LocalCluster:
        binaries = find_binaries(settings.pg_bin_dir)
        citus = _use_citus(settings.citus, binaries)
        user = OsUser.for_servers(settings.os_user)
        base = _base_folder(settings.base_dir)
        reap_stale(base, binaries, user)
        folder = base / f"{os.getpid()}-{_start_time(os.getpid())}-{secrets.token_hex(4)}"
        folder.mkdir(mode=0o755)
        user.give(folder)
        _check_reachable(folder, user)
        # Without Citus nothing would ever reach a worker: the coordinator alone serves.
        count = 1 + settings.workers if citus else 1
        ports = (
            [settings.first_port + i for i in range(count)]
            if settings.first_port
            else node_processes.free_ports(count)
        )
        roles = ["coordinator"] + [f"worker{i}" for i in range(1, count)]
        processes = [
            node_processes.NodeProcess(role, port, folder / role)
            for role, port in zip(roles, ports, strict=True)
        ]
        cluster = cls(folder, processes, binaries, user, citus, limits)
        atexit.register(cluster.close)
        try:
            node_processes.create(processes, binaries, user, citus=citus)
            node_processes.start(processes, binaries, user, memory_mb=limits.node_memory_mb)
            cluster._engine = cluster._read_engine_info()
        except BaseException:
            cluster.close()
            raise
        return cluster

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        atexit.unregister(self.close)
        self.databases.close()
        node_processes.stop([p.data_dir for p in self._processes], self._binaries, self._user)
        shutil.rmtree(self.folder, ignore_errors=True)

    def _read_engine_info(self) -> EngineInfo:
        with psycopg.connect(_admin_dsn(self._nodes[0], "postgres"), connect_timeout=10) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            version = str(row[0]).split()[0] if row else "unknown"
            citus_version = None
            if self.databases.has_citus:
                row = conn.execute("SHOW citus.version").fetchone()
                citus_version = str(row[0]) if row else "unknown"
        return EngineInfo(
            backend="local",
            postgres_version=version,
            citus_version=citus_version,
            workers=len(self._nodes) - 1,
        )


def reap_stale(base: Path, binaries: ServerBinaries, user: OsUser) -> list[Path]:
    """Stop and remove the clusters under `base` whose owning process is gone."""
    reaped = []
    for folder in base.iterdir():
        match = _FOLDER.fullmatch(folder.name)
        if not match or not folder.is_dir():
            continue
        pid, started = int(match[1]), int(match[2])
        if _alive(pid, started):
            continue
        try:
            data_dirs = [d for d in folder.iterdir() if d.is_dir()]
        except FileNotFoundError:
            continue  # another grader reaped it first
        node_processes.stop(data_dirs, binaries, user)
        shutil.rmtree(folder, ignore_errors=True)
        reaped.append(folder)
    return reaped


def _admin_dsn(node: Node, database: str) -> str:
    return make_conninfo(
        host=node.host, port=node.port, user=node_processes.SUPERUSER, dbname=database
    )


def _use_citus(mode: str, binaries: ServerBinaries) -> bool:
    if mode == "off":
        return False
    if mode == "on" and not binaries.has_citus:
        raise InfrastructureError(
            f"Citus is required (GRADER_LOCAL__CITUS=on) but is not installed beside "
            f"{binaries.bin_dir}: no citus.so in {binaries.pkglib_dir or '(pg_config not found)'}"
            f" or no citus.control in {binaries.share_dir or '(pg_config not found)'}/extension"
        )
    return binaries.has_citus


def default_base_folder(
    memory_dir: Path = _MEMORY_DIR, mounts: Path = Path("/proc/self/mounts")
) -> Path:
    """In memory where the machine has it to spare: the nodes hold only disposable copies,
    and a job creates hundreds of files (a copy of the lab on every node, then the
    student's tables and shards). On disk that is kernel time: on our machines' ext4
    (no journal), each file created after many deletions waits for a scan past the
    recently freed inodes, about 150 us a file, which was half the CPU of a job."""
    try:
        in_memory = any(
            line.split()[1:3] == [str(memory_dir), "tmpfs"]
            for line in mounts.read_text().splitlines()
        )
        stats = os.statvfs(memory_dir)
    except (OSError, IndexError):
        in_memory = False
    if in_memory and stats.f_bavail * stats.f_frsize >= _MEMORY_MIN_FREE:
        return memory_dir / "sql-lab-grader" / "clusters"
    return Path(tempfile.gettempdir()) / "sql-lab-grader" / "clusters"


def _base_folder(configured: Path | None) -> Path:
    """The base folder, refused when someone else owns it: it holds nodes we run as root."""
    configured = configured or default_base_folder()
    configured.mkdir(mode=0o755, parents=True, exist_ok=True)
    owner = configured.stat().st_uid
    if owner != os.geteuid():
        raise InfrastructureError(
            f"{configured} belongs to uid {owner}, not to the grader (uid {os.geteuid()}): "
            "set GRADER_LOCAL__BASE_DIR to a folder of its own"
        )
    return configured


def _check_reachable(folder: Path, user: OsUser) -> None:
    if not user.switch:
        return
    probe = subprocess.run(user.command(["test", "-w", str(folder)]), check=False, timeout=10)
    if probe.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise InfrastructureError(
            f"OS user {user.name} cannot reach {folder} (a parent folder is closed to it): "
            "set GRADER_LOCAL__BASE_DIR to a folder it can enter"
        )


def _start_time(pid: int) -> int:
    """The process's start time in clock ticks since boot, to tell a reused pid; 0 if unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    # Fields after the command name, which is in parentheses and may contain spaces.
    return int(stat.rsplit(")", 1)[1].split()[19])


def _alive(pid: int, started: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return started == 0 or _start_time(pid) in (0, started)
