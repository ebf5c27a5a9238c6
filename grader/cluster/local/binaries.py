"""Where the PostgreSQL server binaries are, whether Citus sits beside them, and who runs them.

PostgreSQL refuses to run as root, so when the grader runs as root every server command is
run as an unprivileged OS user instead (`runuser`, else `su`).
"""

from __future__ import annotations

import os
import pwd
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from grader.core.errors import InfrastructureError

_DEBIAN_LAYOUT = Path("/usr/lib/postgresql")


@dataclass(frozen=True)
class ServerBinaries:
    bin_dir: Path
    pkglib_dir: Path | None  # None: pg_config was not found, so extensions cannot be seen
    share_dir: Path | None

    def tool(self, name: str) -> str:
        return str(self.bin_dir / name)

    @property
    def has_citus(self) -> bool:
        """The Citus library and its extension control file are both installed here."""
        if self.pkglib_dir is None or self.share_dir is None:
            return False
        return (self.pkglib_dir / "citus.so").is_file() and (
            self.share_dir / "extension" / "citus.control"
        ).is_file()


def find_binaries(configured: Path | None) -> ServerBinaries:
    """The configured folder, else what pg_config names, else the newest Debian-layout one."""
    bin_dir = configured or _from_pg_config("pg_config") or _newest_debian_bin_dir()
    if bin_dir is None or not (bin_dir / "postgres").is_file():
        raise InfrastructureError(
            f"PostgreSQL server binaries not found (looked in {bin_dir or 'pg_config --bindir'}"
            f" and {_DEBIAN_LAYOUT}/*/bin); install the PostgreSQL server or set "
            "GRADER_LOCAL__PG_BIN_DIR"
        )
    for tool in ("initdb", "pg_ctl"):
        if not (bin_dir / tool).is_file():
            raise InfrastructureError(f"{bin_dir} has no {tool}")
    pg_config = _pg_config_for(bin_dir)
    if pg_config is None:
        return ServerBinaries(bin_dir, None, None)
    return ServerBinaries(
        bin_dir,
        Path(_run_pg_config(pg_config, "--pkglibdir")),
        Path(_run_pg_config(pg_config, "--sharedir")),
    )


def _pg_config_for(bin_dir: Path) -> str | None:
    """A pg_config that describes this very installation, not just any on PATH."""
    beside = bin_dir / "pg_config"
    if beside.is_file():
        return str(beside)
    on_path = shutil.which("pg_config")
    if on_path and _from_pg_config(on_path) == bin_dir.resolve():
        return on_path
    return None


def _from_pg_config(pg_config: str) -> Path | None:
    if shutil.which(pg_config) is None:
        return None
    try:
        return Path(_run_pg_config(pg_config, "--bindir")).resolve()
    except InfrastructureError:
        return None


def _run_pg_config(pg_config: str, option: str) -> str:
    try:
        done = subprocess.run(
            [pg_config, option], capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise InfrastructureError(f"{pg_config} {option} failed: {exc}") from exc
    return done.stdout.strip()


def _newest_debian_bin_dir() -> Path | None:
    candidates = [p / "bin" for p in _DEBIAN_LAYOUT.glob("*") if (p / "bin" / "postgres").is_file()]
    if not candidates:
        return None
    return max(candidates, key=lambda p: _version_key(p.parent.name))


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


@dataclass(frozen=True)
class OsUser:
    """Who server processes run as: `name` when we are root, else ourselves."""

    name: str
    uid: int
    gid: int
    home: Path
    switch: bool  # run commands through runuser/su

    @classmethod
    def for_servers(cls, configured: str) -> OsUser:
        if os.geteuid() != 0:
            me = pwd.getpwuid(os.geteuid())
            return cls(me.pw_name, me.pw_uid, me.pw_gid, Path(me.pw_dir), switch=False)
        try:
            entry = pwd.getpwnam(configured)
        except KeyError as exc:
            raise InfrastructureError(
                f"running as root, PostgreSQL nodes must run as another OS user, but "
                f"{configured!r} does not exist (set GRADER_LOCAL__OS_USER)"
            ) from exc
        if entry.pw_uid == 0:
            raise InfrastructureError(f"OS user {configured!r} is root; PostgreSQL refuses it")
        return cls(entry.pw_name, entry.pw_uid, entry.pw_gid, Path(entry.pw_dir), switch=True)

    def command(self, argv: list[str]) -> list[str]:
        if not self.switch:
            return argv
        if shutil.which("runuser"):
            return ["runuser", "-u", self.name, "--", *argv]
        return ["su", self.name, "-s", "/bin/sh", "-c", shlex.join(argv)]

    def give(self, path: Path) -> None:
        """Hand a folder we created to the server user."""
        if self.switch:
            os.chown(path, self.uid, self.gid)
