"""A repository's history as the grader reads it: commits, their changes, and trees.

Plain data, filled by `git_log` (the only module that runs git) and read by the
pure rules beside it. Commit and author times are whatever the student's machine
said; only push times recorded by the service can be trusted (see `deadline`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property


@dataclass(frozen=True)
class FileChange:
    """One file changed by a commit, compared with its first parent."""

    status: str  # "A", "M", "D", "R" (renamed), "C" (copied), "T" (type changed)
    path: str  # the path after the change (for a deletion: the deleted path)
    old_path: str | None = None  # the path before a rename or copy
    blob: str | None = None  # object id of the new content; None when deleted
    added: int | None = None  # lines; None for a binary file
    deleted: int | None = None

    @property
    def binary(self) -> bool:
        return self.added is None

    @property
    def paths(self) -> tuple[str, ...]:
        return (self.path,) if self.old_path is None else (self.old_path, self.path)


@dataclass(frozen=True)
class AddedLine:
    line: int  # 1-based, in the file as the commit left it
    text: str  # without the line end


@dataclass(frozen=True)
class ExerciseChange:
    """What a commit did to the exercise file."""

    path: str  # the file's name at this commit (students sometimes rename it)
    added: tuple[AddedLine, ...]  # for a merge: only lines that no parent had
    text: str | None  # the whole file at this commit; None when too large to keep


@dataclass(frozen=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_at: datetime  # timezone-aware, as the student's machine set it
    committed_at: datetime  # timezone-aware, as the student's machine set it
    subject: str
    first_parent: bool  # on the first-parent line of the ref that was read
    files: tuple[FileChange, ...] = ()
    exercise: ExerciseChange | None = None

    @property
    def short(self) -> str:
        return self.sha[:7]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


@dataclass(frozen=True)
class History:
    """Every commit reachable from `head`, newest first: children before parents, otherwise
    by committer date."""

    ref: str
    head: str | None  # None: the repository has no commits
    commits: tuple[Commit, ...] = ()
    truncated: bool = False  # more commits exist than were read; the oldest are missing
    exercise_paths: frozenset[str] = frozenset()  # names the exercise file has had

    @cached_property
    def _by_sha(self) -> dict[str, Commit]:
        return {c.sha: c for c in self.commits}

    def __contains__(self, sha: object) -> bool:
        return sha in self._by_sha

    def commit(self, sha: str) -> Commit:
        return self._by_sha[sha]

    def ancestors(self, sha: str) -> set[str]:
        """`sha` and every commit read that it descends from."""
        seen: set[str] = set()
        todo = [sha] if sha in self._by_sha else []
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            todo.extend(p for p in self._by_sha[current].parents if p in self._by_sha)
        return seen

    def is_ancestor(self, ancestor: str, descendant: str) -> bool | None:
        """Whether `ancestor` is reachable from `descendant`; None when the commits read
        cannot tell (`descendant` unknown, or the history was cut short)."""
        if descendant not in self._by_sha:
            return None
        if ancestor in self.ancestors(descendant):
            return True
        return None if self.truncated else False

    def oldest_first(self, shas: set[str] | None = None) -> list[Commit]:
        """Commits in reverse topological order (parents before children), optionally
        only those in `shas`."""
        return [c for c in reversed(self.commits) if shas is None or c.sha in shas]


@dataclass(frozen=True)
class Snapshot:
    """The files of one tree: every path, and the bytes of the few the caller asked for."""

    paths: frozenset[str]
    contents: Mapping[str, bytes] = field(default_factory=dict)
    sha: str | None = None  # the commit; None for a folder on disk (the lab's template)
