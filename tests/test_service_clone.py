"""Cloning a student's repository over real git smart HTTP (the GitHub stand-in): the token
travels in a header only, symlinks arrive as plain files, the caps hold."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from github_standin import GitHubStandIn
from openapi_check import OPENAPI
from service_support import APP_ID, WorkRepo, rsa_key_pair

from grader.core.errors import InfrastructureError
from grader.github.clone import RepositoryRejected, clone_commit

REPO = "classroom-org/tp-distributed-alice"
TOKEN = "ghs_test_token_that_must_not_leak"


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[GitHubStandIn]:
    if not OPENAPI.exists():  # the stand-in checks every call against it
        pytest.skip(f"GitHub's OpenAPI excerpt not found at {OPENAPI}")
    _, public = rsa_key_pair()
    with GitHubStandIn(tmp_path / "hosted", APP_ID, public) as s:
        s.tokens.add(TOKEN)
        yield s


@pytest.fixture
def student(standin: GitHubStandIn, tmp_path: Path) -> WorkRepo:
    return WorkRepo(tmp_path / "student", standin.bare_repo(REPO))


def clone(
    standin: GitHubStandIn,
    dest: Path,
    sha: str,
    *,
    branch: str | None = "main",
    token: str | None = TOKEN,
    max_bytes: int = 10_000_000,
) -> Path:
    return clone_commit(
        f"{standin.git_url}/{REPO}.git",
        branch=branch,
        sha=sha,
        dest=dest,
        token=token,
        max_bytes=max_bytes,
        timeout=60,
    )


def test_the_pushed_commit_with_its_history(
    standin: GitHubStandIn, student: WorkRepo, tmp_path: Path
) -> None:
    first = student.commit({"a.md": "one\n"}, "one")
    second = student.commit({"a.md": "two\n"}, "two")
    student.commit({"a.md": "three\n"}, "three")
    student.push()
    checkout = clone(standin, tmp_path / "clone", second)
    assert (checkout / "a.md").read_text() == "two\n"
    log = student.git("-C", str(checkout), "log", "--format=%H", "HEAD").split()
    assert log == [second, first]
    # the token was sent as a header, and is nowhere in the clone
    for path in checkout.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    assert "extraheader" not in (checkout / ".git" / "config").read_text().lower()


def test_a_commit_force_pushed_away_is_still_fetched(
    standin: GitHubStandIn, student: WorkRepo, tmp_path: Path
) -> None:
    student.commit({"a.md": "one\n"}, "one")
    gone = student.commit({"a.md": "two\n"}, "two")
    student.push()
    student.git("reset", "--quiet", "--hard", "HEAD~1")
    student.commit({"a.md": "rewritten\n"}, "rewritten")
    student.push("--force")
    student.git("-C", str(student.bare), "config", "uploadpack.allowAnySHA1InWant", "true")
    checkout = clone(standin, tmp_path / "clone", gone)
    assert (checkout / "a.md").read_text() == "two\n"


def test_symlinks_arrive_as_plain_files(
    standin: GitHubStandIn, student: WorkRepo, tmp_path: Path
) -> None:
    (student.path / "escape").symlink_to("/etc/passwd")
    sha = student.commit({"a.md": "x\n"}, "link")
    student.push()
    checkout = clone(standin, tmp_path / "clone", sha)
    link = checkout / "escape"
    assert not link.is_symlink() and link.read_text() == "/etc/passwd"


def test_no_token_no_clone(standin: GitHubStandIn, student: WorkRepo, tmp_path: Path) -> None:
    sha = student.commit({"a.md": "x\n"}, "one")
    student.push()
    with pytest.raises(InfrastructureError, match="fetching the repository failed"):
        clone(standin, tmp_path / "clone", sha, token=None)
    with pytest.raises(InfrastructureError):
        clone(standin, tmp_path / "clone2", sha, token="ghs_not_issued")


def test_an_oversized_repository_is_refused(
    standin: GitHubStandIn, student: WorkRepo, tmp_path: Path
) -> None:
    sha = student.commit({"data.csv": "".join(f"{i},{i * i}\n" for i in range(300_000))}, "big")
    student.push()
    with pytest.raises(RepositoryRejected, match="larger than the grader's limit"):
        clone(standin, tmp_path / "clone", sha, max_bytes=200_000)


def test_submodules_are_not_fetched(
    standin: GitHubStandIn, student: WorkRepo, tmp_path: Path
) -> None:
    other = WorkRepo(tmp_path / "other", tmp_path / "other.git")
    other.commit({"secret.txt": "x\n"}, "other")
    other.push()
    student.git(
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "--quiet",
        "add",
        str(tmp_path / "other.git"),
        "sub",
    )
    sha = student.commit({"a.md": "x\n"}, "with a submodule")
    student.push()
    checkout = clone(standin, tmp_path / "clone", sha)
    assert (checkout / ".gitmodules").is_file()
    assert not (checkout / "sub" / "secret.txt").exists()
