"""Fetch a student's repository at a pushed commit, with the caps a shared worker needs.

The checkout is untrusted data: git runs with no system or user config, hooks off,
symlinks checked out as plain files, no submodules, only http(s), and is killed when
the repository outgrows `max_bytes` or the time runs out. The installation token
travels in an environment-provided `http.extraHeader`: never on the command line,
never in the clone's config, never logged.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import subprocess
import time
from pathlib import Path

from grader.core.errors import InfrastructureError, InvalidInput

_POLL_SECONDS = 0.2


class RepositoryRejected(InvalidInput):
    """The repository cannot be graded as it is (too large, a symlink): retrying won't help."""


def clone_commit(
    clone_url: str,
    *,
    branch: str | None,
    sha: str,
    dest: Path,
    token: str | None,
    max_bytes: int,
    timeout: float,
) -> Path:
    """Fetch the branch's history into a new repository at `dest` and check out `sha`.

    Without a branch (a re-run of a commit whose push is unknown) only `sha` and its
    ancestors are fetched.
    """
    deadline = time.monotonic() + timeout
    home = dest.parent / f"{dest.name}.home"
    home.mkdir(parents=True, exist_ok=True)
    env = _git_env(home, token)
    _git(["init", "--quiet", str(dest)], env, deadline)
    _git(["-C", str(dest), "config", "core.symlinks", "false"], env, deadline)
    if branch is not None:
        refspec = f"+refs/heads/{branch}:refs/remotes/origin/{branch}"
        _fetch(dest, clone_url, refspec, env, deadline, max_bytes)
    if not _has_commit(dest, sha, env, deadline):
        # No branch given, or the commit left the branch since (a force-push): ask for it.
        _fetch(dest, clone_url, sha, env, deadline, max_bytes)
    _git(["-C", str(dest), "checkout", "--quiet", "--detach", sha], env, deadline)
    _verify_tree(dest, max_bytes)
    return dest


def _git_env(home: Path, token: str | None) -> dict[str, str]:
    env = {
        "PATH": os.defpath,
        "HOME": str(home),
        "LC_ALL": "C",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ALLOW_PROTOCOL": "http:https",
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": "core.hooksPath",
        "GIT_CONFIG_VALUE_0": os.devnull,
        "GIT_CONFIG_KEY_1": "submodule.recurse",
        "GIT_CONFIG_VALUE_1": "false",
    }
    if token:
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        env.update(
            GIT_CONFIG_COUNT="3",
            GIT_CONFIG_KEY_2="http.extraHeader",
            GIT_CONFIG_VALUE_2=f"Authorization: Basic {basic}",
        )
    return env


def _git_binary() -> str:
    found = shutil.which("git")
    if found is None:
        raise InfrastructureError("git is not installed on this worker")
    return found


def _git(args: list[str], env: dict[str, str], deadline: float) -> str:
    command = args[2] if args[0] == "-C" else args[0]
    try:
        done = subprocess.run(
            [_git_binary(), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=max(deadline - time.monotonic(), 0.1),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise InfrastructureError(f"git {command} did not finish in time") from exc
    if done.returncode != 0:
        raise InfrastructureError(f"git {command} failed: {done.stderr.strip()}")
    return done.stdout


def _fetch(
    dest: Path, url: str, what: str, env: dict[str, str], deadline: float, max_bytes: int
) -> None:
    args = [_git_binary(), "-C", str(dest), "fetch", "--quiet", "--no-tags"]
    args += ["--no-recurse-submodules", url, what]
    proc = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        while proc.poll() is None:
            if time.monotonic() > deadline:
                raise InfrastructureError("fetching the repository did not finish in time")
            if _size(dest / ".git") > max_bytes:
                raise RepositoryRejected(_too_large(max_bytes))
            time.sleep(_POLL_SECONDS)
    finally:
        if proc.poll() is None:
            proc.kill()
        _, stderr = proc.communicate()
    if proc.returncode != 0:
        raise InfrastructureError(f"fetching the repository failed: {stderr.strip()}")


def _has_commit(dest: Path, sha: str, env: dict[str, str], deadline: float) -> bool:
    try:
        _git(["-C", str(dest), "cat-file", "-e", f"{sha}^{{commit}}"], env, deadline)
    except InfrastructureError:
        return False
    return True


def _verify_tree(dest: Path, max_bytes: int) -> None:
    total = 0
    for root, dirs, files in os.walk(dest):
        if Path(root) == dest:
            dirs[:] = [d for d in dirs if d != ".git"]
        for name in dirs + files:
            path = Path(root) / name
            if path.is_symlink():
                relative = path.relative_to(dest)
                raise RepositoryRejected(f"{relative} is a symbolic link: remove it and push")
        total += sum((Path(root) / f).stat().st_size for f in files)
    if total > max_bytes:
        raise RepositoryRejected(_too_large(max_bytes))


def _size(folder: Path) -> int:
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            # git renames its temporary packs while we count
            with contextlib.suppress(FileNotFoundError):
                total += (Path(root) / name).stat().st_size
    return total


def _too_large(max_bytes: int) -> str:
    return (
        f"the repository is larger than the grader's limit ({max_bytes / 1e6:g} MB): "
        "remove large files from its history and push again"
    )
