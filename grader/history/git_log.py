"""The one place that runs git: a clone's history, one tree's files, and ancestry.

A student's repository is data. git runs with an environment that ignores the
machine's and the user's configuration, never pages, never runs hooks, external
diff drivers, text conversions or an fsmonitor, and ignores replace refs, so
nothing inside the repository can execute or rewrite what we read. Record and
field separators carry a random nonce: a commit message cannot forge them.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from grader.core.errors import InfrastructureError
from grader.history.git_parse import (
    LOG_FIELDS,
    LogEntry,
    exercise_names,
    new_in_merge,
    parse_exercise_diffs,
    parse_log,
    text,
)
from grader.history.model import Commit, ExerciseChange, History, Snapshot

MAX_COMMITS = 2000
MAX_TEXT_BYTES = 1_000_000
_TIMEOUT_SECONDS = 120
_SHA = re.compile(r"[0-9a-f]{4,64}")
_CONFIG = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.quotePath=false",
    "safe.directory=*",  # clones may belong to another OS user than the worker
    "i18n.logOutputEncoding=UTF-8",
    "log.showSignature=false",
)


class GitError(InfrastructureError):
    code = "history.git"


def _run(repo: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    executable = shutil.which("git")
    if executable is None:
        raise GitError("git is not installed")
    config = [part for item in _CONFIG for part in ("-c", item)]
    with tempfile.TemporaryDirectory(prefix="grader-git-home-") as home:
        env = {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "HOME": home,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_NO_REPLACE_OBJECTS": "1",
            "GIT_LITERAL_PATHSPECS": "1",  # a student's file name is never a glob or magic
            "GIT_OPTIONAL_LOCKS": "0",
            "LC_ALL": "C",
        }
        try:
            return subprocess.run(
                [executable, "--no-pager", *config, "-C", str(repo), *args],
                input=stdin,
                capture_output=True,
                env=env,
                timeout=_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise GitError(f"git {args[0]} took more than {_TIMEOUT_SECONDS} s in {repo}") from exc


def _git(repo: Path, *args: str, stdin: bytes | None = None, ok: tuple[int, ...] = (0,)) -> bytes:
    proc = _run(repo, *args, stdin=stdin)
    if proc.returncode not in ok:
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise GitError(f"git {args[0]} failed in {repo}: {message}")
    return proc.stdout


def _resolve(repo: Path, ref: str) -> str | None:
    """The commit `ref` names; None when the repository has no commits at all."""
    if ref.startswith("-"):
        raise GitError(f"{ref!r} is not a ref")
    out = _git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", ok=(0, 1, 128))
    if out.strip():
        return out.decode().strip()
    if _git(repo, "rev-list", "--all", "--max-count=1").strip():
        raise GitError(f"{ref!r} does not name a commit in {repo}")
    return None


def _read_log(repo: Path, head: str, limit: int) -> list[LogEntry]:
    nonce = secrets.token_hex(8)
    fields = f"%x1f{nonce}".join(LOG_FIELDS)
    out = _git(
        repo, "log", head, "--date-order", f"--max-count={limit}", "--root",
        "--diff-merges=first-parent", "-M", "--raw", "--numstat", "--no-abbrev", "-z",
        "--no-color", "--no-mailmap", "--no-notes", "--no-ext-diff", "--no-textconv",
        f"--format=%x1e{nonce}{fields}",
    )  # fmt: skip
    return parse_log(out, nonce)


def _blobs(repo: Path, specs: list[str], max_bytes: int) -> list[bytes | None]:
    """Contents of `rev:path` or object-id specs, None when missing or larger than max_bytes
    (or not expressible: cat-file reads one spec a line)."""
    asked = [s for s in specs if "\n" not in s]
    if not asked:
        return [None] * len(specs)
    request = "".join(f"{s}\n" for s in asked).encode()
    sizes = _git(repo, "cat-file", "--batch-check", stdin=request).splitlines()
    wanted = [s for s, line in zip(asked, sizes, strict=True) if 0 <= _size(line) <= max_bytes]
    out = _git(repo, "cat-file", "--batch", stdin="".join(f"{s}\n" for s in wanted).encode())
    found: dict[str, bytes] = {}
    pos = 0
    for spec in wanted:  # only blobs that exist: each is a header line, the bytes, a newline
        end = out.index(b"\n", pos)
        size = _size(out[pos:end])
        found[spec] = out[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1
    return [found.get(s) for s in specs]


def _size(batch_header: bytes) -> int:
    """The size in a cat-file header, or -1 for a missing object or a non-blob."""
    parts = batch_header.split(b" ")
    return int(parts[2]) if len(parts) == 3 and parts[1] == b"blob" else -1


def _exercise_changes(
    repo: Path,
    entries: list[LogEntry],
    names: set[str],
    max_text_bytes: int,
) -> dict[str, ExerciseChange]:
    touching = [e for e in entries if any(names.intersection(c.paths) for c in e.changes)]
    if not touching:
        return {}
    nonce = secrets.token_hex(8)
    out = _git(
        repo, "log", "--stdin", "--no-walk=unsorted", "--root", "--diff-merges=first-parent",
        "-M", "-p", "--unified=0", "--no-color", "--no-ext-diff", "--no-textconv",
        "--src-prefix=a/", "--dst-prefix=b/", f"--format=%x1e{nonce}%H", "--", *sorted(names),
        stdin="".join(f"{h.sha}\n" for h in touching).encode(),
    )  # fmt: skip
    diffs = parse_exercise_diffs(out, nonce)
    specs: list[str] = []
    for h in touching:
        for path in diffs.get(h.sha, {}):
            specs += [f"{rev}:{path}" for rev in (h.sha, *h.parents[1:])]
    contents = dict(zip(specs, _blobs(repo, specs, max_text_bytes), strict=True))
    changes: dict[str, ExerciseChange] = {}
    for h in touching:
        # a commit that changes two copies of the file: the one it added most to
        for path, added in sorted(diffs.get(h.sha, {}).items(), key=lambda item: len(item[1])):
            others = [contents[f"{p}:{path}"] for p in h.parents[1:]]
            kept = new_in_merge(added, [text(o) for o in others if o is not None])
            body = contents[f"{h.sha}:{path}"]
            changes[h.sha] = ExerciseChange(path, tuple(kept), None if body is None else text(body))
    return changes


def read_history(
    repo: Path,
    ref: str = "HEAD",
    *,
    exercise_file: str | None = None,
    max_commits: int = MAX_COMMITS,
    max_text_bytes: int = MAX_TEXT_BYTES,
) -> History:
    """Every commit reachable from `ref` (at most `max_commits`, newest first), with its
    changes, and for the exercise file the lines each commit added."""
    head = _resolve(repo, ref)
    if head is None:
        return History(ref=ref, head=None)
    entries = _read_log(repo, head, max_commits + 1)
    truncated = len(entries) > max_commits
    entries = entries[:max_commits]
    first_parent = set(
        _git(repo, "rev-list", "--first-parent", f"--max-count={max_commits}", head)
        .decode()
        .split()
    )
    names = exercise_names(exercise_file, entries) if exercise_file else set()
    exercise = _exercise_changes(repo, entries, names, max_text_bytes) if names else {}
    commits = tuple(
        Commit(
            sha=h.sha,
            parents=h.parents,
            author_name=h.author_name,
            author_email=h.author_email,
            authored_at=h.authored_at,
            committed_at=h.committed_at,
            subject=h.subject,
            first_parent=h.sha in first_parent,
            files=h.changes,
            exercise=exercise.get(h.sha),
        )
        for h in entries
    )
    return History(ref, head, commits, truncated, frozenset(names))


def is_ancestor(repo: Path, ancestor: str, descendant: str) -> bool | None:
    """Whether `ancestor` is reachable from `descendant`; None when either commit is not in
    the repository (e.g. it vanished in a force-push) or is not a commit id."""
    if not (_SHA.fullmatch(ancestor) and _SHA.fullmatch(descendant)):
        return None
    code = _run(repo, "merge-base", "--is-ancestor", ancestor, descendant).returncode
    return {0: True, 1: False}.get(code)


def read_snapshot(
    repo: Path, sha: str, wanted: Callable[[str], bool], max_bytes: int = MAX_TEXT_BYTES
) -> Snapshot:
    """Every path in the tree of `sha`, and the bytes of the files `wanted` accepts (those
    larger than `max_bytes` are left out)."""
    out = _git(repo, "ls-tree", "-r", "-z", "--full-tree", sha)
    blobs: dict[str, str] = {}
    for entry in out.split(b"\0"):
        if not entry:
            continue
        meta, _, path = entry.partition(b"\t")
        kind, oid = meta.split(b" ")[1:3]
        if kind == b"blob":  # submodules ("commit") have no content here
            blobs[text(path)] = oid.decode()
    keep = [p for p in blobs if wanted(p)]
    data = _blobs(repo, [blobs[p] for p in keep], max_bytes)
    contents = {p: d for p, d in zip(keep, data, strict=True) if d is not None}
    return Snapshot(paths=frozenset(blobs), contents=contents, sha=sha)


def export_tree(repo: Path, sha: str, dest: Path) -> None:
    """The files of commit `sha` written under `dest`, without checking anything out.

    Goes through `git archive` and tarfile's "data" filter, so a hostile tree cannot
    write outside `dest` (absolute paths, `..`, links pointing out are refused)."""
    if not _SHA.fullmatch(sha):
        raise GitError(f"{sha!r} is not a commit id")
    archive = _git(repo, "archive", "--format=tar", sha)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(dest, filter="data")


def head_commit(repo: Path) -> str | None:
    """The commit checked out in `repo`; None in a repository without commits."""
    return _resolve(repo, "HEAD")
