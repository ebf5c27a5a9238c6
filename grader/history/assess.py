"""Reads what the history rules need from a clone and the lab bundle, then evaluates them.

The I/O half of `evaluate`: the history, the tree of the graded commit, the
template folder, and git's ancestry answers for the recorded pushes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from grader.core.lab import Lab
from grader.history.deadline import DeadlinePolicy, PushRecord, select_graded_commit
from grader.history.evaluate import HistoryVerdict, evaluate_history
from grader.history.git_log import MAX_TEXT_BYTES, is_ancestor, read_history, read_snapshot
from grader.history.integrity import is_protected
from grader.history.model import Snapshot


def read_template(
    root: Path, wanted: Sequence[str], max_bytes: int = MAX_TEXT_BYTES
) -> Snapshot | None:
    """Every file under the template folder, with the bytes of those `wanted` names (files,
    or folders ending in "/"); None when the folder does not exist."""
    if not root.is_dir():
        return None
    paths = frozenset(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(root).parts
    )
    contents = {
        path: (root / path).read_bytes()
        for path in paths
        if is_protected(path, wanted) and (root / path).stat().st_size <= max_bytes
    }
    return Snapshot(paths=paths, contents=contents)


def assess_repository(
    repo: Path,
    lab: Lab,
    policy: DeadlinePolicy | None,
    pushes: Sequence[PushRecord] = (),
    *,
    ref: str = "HEAD",
    template_root: Path | None = None,
) -> HistoryVerdict:
    """The history verdict of a clone. `template_root` defaults to the bundle's template/."""
    history = read_history(repo, ref, exercise_file=lab.exercise_file)
    wanted = [*lab.history.protected_paths, lab.exercise_file]
    selection = select_graded_commit(history, pushes, policy)
    graded = (
        None
        if selection.sha is None
        else read_snapshot(repo, selection.sha, lambda path: is_protected(path, wanted))
    )
    template = read_template(template_root or lab.root / "template", wanted)
    ancestry = {
        (p.before_sha, p.sha): is_ancestor(repo, p.before_sha, p.sha)
        for p in pushes
        if p.before_sha is not None and not p.created_branch
    }
    return evaluate_history(
        history, lab, policy, pushes, graded=graded, template=template, ancestry=ancestry
    )
