"""The handout's "do not" rules, read from the tree and the history.

Protected files (solutions/, the lab's data/ scripts) must stay as the template
ships them: the graded tree is compared with the template file by file, ignoring
CRLF line ends (Windows students' git may convert them), and the commits that
changed them are named. Results must be pasted as text, so images the template
did not ship are flagged. A push that rewrote the branch is named with the
commits it made vanish, when we know them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

from grader.core.findings import Finding, Severity
from grader.core.lab import HistoryRules
from grader.history.deadline import PushRecord
from grader.history.model import Commit, History, Snapshot

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".heic"})


def is_protected(path: str, protected: Sequence[str]) -> bool:
    """A protected entry ending in "/" covers a folder, any other names one file."""
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in protected)


def _object_ids(data: bytes) -> set[str]:
    """git's ids for these bytes, with either line ending, in SHA-1 and SHA-256 repositories."""
    lf = data.replace(b"\r\n", b"\n")
    ids = set()
    for variant in {data, lf, lf.replace(b"\n", b"\r\n")}:
        stored = b"blob %d\0" % len(variant) + variant
        ids |= {hashlib.sha1(stored).hexdigest(), hashlib.sha256(stored).hexdigest()}
    return ids


def _touching(
    history: History, graded_sha: str, template: Snapshot | None, protected: Sequence[str]
) -> dict[str, list[Commit]]:
    """Per protected path, the commits up to the graded one that left it unlike the template.
    Without a template, root commits are taken for the template's import."""
    shipped = {p: _object_ids(d) for p, d in (template.contents if template else {}).items()}
    touched: dict[str, list[Commit]] = {}
    for commit in history.oldest_first(history.ancestors(graded_sha)):
        if template is None and not commit.parents:
            continue
        for change in commit.files:
            for path in change.paths:
                if not is_protected(path, protected):
                    continue
                kept = change.blob if path == change.path and change.status != "D" else None
                if kept is None or kept not in shipped.get(path, set()):
                    touched.setdefault(path, []).append(commit)
    return touched


def _shas(commits: Sequence[Commit]) -> str:
    return ", ".join(dict.fromkeys(c.short for c in commits))


def protected_findings(
    history: History,
    graded: Snapshot,
    template: Snapshot | None,
    rules: HistoryRules,
) -> list[Finding]:
    """Protected files of the graded tree that differ from the template, with the commits
    that changed them. `template` is None when the lab bundle ships no template."""
    protected = rules.protected_paths
    if not protected or graded.sha is None:
        return []
    touched = _touching(history, graded.sha, template, protected)
    if template is None:
        unchecked = Finding(
            code="history.protected-unchecked",
            severity=Severity.INFO,
            message="the lab bundle has no template: protected files were not compared with it",
        )
        return [unchecked] + [
            _finding(
                "history.protected-touched",
                Severity.WARNING,
                path,
                f"{path} is protected and was changed in {_shas(commits)}",
            )
            for path, commits in sorted(touched.items())
        ]
    severity = Severity.ERROR if rules.protected_penalty > 0 else Severity.WARNING
    ours = {p for p in graded.paths if is_protected(p, protected)}
    theirs = {p for p in template.paths if is_protected(p, protected)}
    findings = []
    for path in sorted(ours | theirs | set(touched)):
        state = _state(path, graded, template)
        commits = touched.get(path, [])
        by = f": changed in {_shas(commits)}" if commits else ""
        if state:
            message = f"{path} is protected and was {state} (the template's version differs){by}"
            findings.append(_finding("history.protected-modified", severity, path, message))
        elif commits:
            message = f"{path} is protected; it was changed in {_shas(commits)}, then restored"
            findings.append(_finding("history.protected-restored", Severity.INFO, path, message))
    return findings


def _finding(code: str, severity: Severity, path: str, message: str) -> Finding:
    return Finding(code=code, severity=severity, file=path, message=message)


def _state(path: str, graded: Snapshot, template: Snapshot) -> str | None:
    if path not in graded.paths:
        return "deleted" if path in template.paths else None
    if path not in template.paths:
        return "added"
    ours, theirs = graded.contents.get(path), template.contents.get(path)
    if ours is None or theirs is None:
        return None  # too large to have been read: the touching commits still say it
    same = ours.replace(b"\r\n", b"\n") == theirs.replace(b"\r\n", b"\n")
    return None if same else "modified"


def screenshot_findings(
    history: History, graded: Snapshot, template: Snapshot | None, rules: HistoryRules
) -> list[Finding]:
    """Images in the graded tree that the template did not ship."""
    if not rules.text_only or graded.sha is None:
        return []
    shipped = template.paths if template else frozenset()
    severity = Severity.ERROR if rules.screenshot_penalty > 0 else Severity.WARNING
    added_by = {
        change.path: commit.short
        for commit in history.oldest_first(history.ancestors(graded.sha))
        for change in commit.files
        if change.status in ("A", "R", "C")
    }
    return [
        Finding(
            code="history.screenshot",
            severity=severity,
            file=path,
            message=(
                f"{path} is an image{_added(added_by.get(path))}: results must be pasted as "
                "text, screenshots cannot be verified"
            ),
        )
        for path in sorted(graded.paths - shipped)
        if PurePosixPath(path).suffix.lower() in IMAGE_SUFFIXES
    ]


def _added(short: str | None) -> str:
    return f" (added in {short})" if short else ""


def force_push_findings(
    history: History,
    pushes: Sequence[PushRecord],
    ancestry: Mapping[tuple[str, str], bool | None],
) -> list[Finding]:
    """Pushes that rewrote the branch: flagged by the service as forced, or whose previous
    head is not an ancestor of the new one. `ancestry` maps (before_sha, sha) to git's
    answer; missing or unknown answers are worked out from the history when it can."""
    findings = []
    ordered = sorted(pushes, key=lambda p: p.pushed_at)
    for index, push in enumerate(ordered):
        if push.created_branch or push.before_sha is None:
            continue
        answer = ancestry.get((push.before_sha, push.sha))
        if answer is None:
            answer = history.is_ancestor(push.before_sha, push.sha)
        if not push.forced and answer is not False:
            continue
        earlier = [push.before_sha] + [s for p in ordered[:index] for s in (p.sha, p.before_sha)]
        gone = [] if history.truncated else [s for s in earlier if s and s.strip("0")]
        vanished = list(dict.fromkeys(s[:7] for s in gone if s not in history))
        lost = f"; commits that vanished: {', '.join(vanished)}" if vanished else ""
        how = (
            f"{push.before_sha[:7]} is not an ancestor of {push.sha[:7]}"
            if answer is False
            else f"the service recorded it as forced ({push.before_sha[:7]} to {push.sha[:7]})"
        )
        when = f"{push.pushed_at:%Y-%m-%d %H:%M %z}"
        findings.append(
            Finding(
                code="history.force-push",
                severity=Severity.WARNING,
                message=f"the push at {when} rewrote the branch: {how}{lost}",
            )
        )
    return findings
