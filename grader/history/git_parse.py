"""Parsers for git's machine output (`log -z --raw --numstat`, `log -p --unified=0`).

Pure functions over bytes, so the odd cases (renames, binary files, quoted paths,
bytes that are not UTF-8) are tested without a repository.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from grader.history.model import AddedLine, FileChange

_HUNK = re.compile(rb"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13, b'"': 34, b"\\": 92}
_NO_BLOB = re.compile(r"0+")


def text(raw: bytes) -> str:
    """Bytes from a student's machine as text: names and messages need not be UTF-8."""
    return raw.decode("utf-8", "replace")


@dataclass(frozen=True)
class LogEntry:
    """One commit of `log -z --raw --numstat`, before the exercise file is looked at."""

    sha: str
    parents: tuple[str, ...]
    authored_at: datetime
    committed_at: datetime
    author_name: str
    author_email: str
    subject: str
    changes: tuple[FileChange, ...]


LOG_FIELDS = ("%H", "%P", "%aI", "%at", "%cI", "%ct", "%an", "%ae", "%s")


def parse_log(out: bytes, nonce: str) -> list[LogEntry]:
    """Commits formatted as `%x1e<nonce>` then LOG_FIELDS joined by `%x1f<nonce>`."""
    entries = []
    for chunk in out.split(b"\x1e" + nonce.encode())[1:]:
        header, _, diff = chunk.partition(b"\0")
        sha, parents, aiso, aunix, ciso, cunix, name, email, subject = header.split(
            b"\x1f" + nonce.encode()
        )
        entries.append(
            LogEntry(
                sha=sha.decode(),
                parents=tuple(parents.decode().split()),
                authored_at=_when(aiso, aunix),
                committed_at=_when(ciso, cunix),
                author_name=text(name),
                author_email=text(email),
                subject=text(subject),
                changes=tuple(parse_changes(diff.lstrip(b"\n").split(b"\0"))),
            )
        )
    return entries


def _when(iso: bytes, unix: bytes) -> datetime:
    try:
        return datetime.fromisoformat(iso.decode())
    except ValueError:  # an offset Python cannot hold (forged commits can carry any)
        return datetime.fromtimestamp(int(unix), tz=UTC)


def exercise_names(exercise_file: str, entries: list[LogEntry]) -> set[str]:
    """Every name the exercise file had: the lab's path and whatever it was renamed to or from."""
    names = {exercise_file}
    renames = [c.paths for e in entries for c in e.changes if c.old_path is not None]
    grew = True
    while grew:
        grew = False
        for pair in renames:
            if names.intersection(pair) and not names.issuperset(pair):
                names.update(pair)
                grew = True
    return names


def new_in_merge(added: list[AddedLine], other_parents: list[str]) -> list[AddedLine]:
    """Lines a merge adds over its first parent, less those a merged parent already had:
    those were written (and are counted) in the merged branch's own commits."""
    available = Counter(line for t in other_parents for line in t.splitlines())
    kept = []
    for line in added:
        if available[line.text] > 0:
            available[line.text] -= 1
        else:
            kept.append(line)
    return kept


@dataclass(frozen=True)
class _Raw:
    status: str
    path: str
    old_path: str | None
    blob: str | None


def parse_changes(tokens: list[bytes]) -> list[FileChange]:
    """The NUL-separated `--raw` then `--numstat` records of one commit, paired by path."""
    raws: list[_Raw] = []
    counts: dict[str, tuple[int | None, int | None]] = {}
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if not token:
            i += 1
        elif token.startswith(b":"):
            meta = token[1:].split(b" ")  # src mode, dst mode, src oid, dst oid, status
            status = meta[4].decode()[:1]
            oid = meta[3].decode()
            blob = None if _NO_BLOB.fullmatch(oid) else oid
            if status in ("R", "C"):
                raws.append(_Raw(status, text(tokens[i + 2]), text(tokens[i + 1]), blob))
                i += 3
            else:
                raws.append(_Raw(status, text(tokens[i + 1]), None, blob))
                i += 2
        else:
            added, deleted, path = token.split(b"\t", 2)
            if path:
                i += 1
            else:  # a rename: the old and the new path follow as their own records
                path = tokens[i + 2]
                i += 3
            counts[text(path)] = (_count(added), _count(deleted))
    return [
        FileChange(r.status, r.path, r.old_path, r.blob, *counts.get(r.path, (None, None)))
        for r in raws
    ]


def _count(field: bytes) -> int | None:
    return None if field == b"-" else int(field)  # "-": binary


def parse_exercise_diffs(out: bytes, nonce: str) -> dict[str, dict[str, list[AddedLine]]]:
    """Added lines per commit and path, from `log -p --unified=0` whose commits begin with
    the record separator and `nonce`."""
    result: dict[str, dict[str, list[AddedLine]]] = {}
    for chunk in out.split(b"\x1e" + nonce.encode())[1:]:
        sha_line, _, body = chunk.partition(b"\n")
        result[sha_line.decode().strip()] = _added_lines(body.split(b"\n"))
    return result


def _added_lines(lines: list[bytes]) -> dict[str, list[AddedLine]]:
    files: dict[str, list[AddedLine]] = {}
    path: str | None = None
    old_left = new_left = next_line = 0
    for line in lines:
        if old_left or new_left:  # inside a hunk: content, whatever it starts with
            if line.startswith(b"+"):
                if path is not None:
                    content = text(line[1:]).removesuffix("\r")
                    files.setdefault(path, []).append(AddedLine(next_line, content))
                next_line += 1
                new_left -= 1
            elif line.startswith(b"-"):
                old_left -= 1
            continue
        if line.startswith(b"diff --git "):
            path = None
        elif line.startswith(b"+++ "):
            path = _diff_path(line[4:])
        elif match := _HUNK.match(line):
            old_left = int(match[1]) if match[1] is not None else 1
            next_line = int(match[2])
            new_left = int(match[3]) if match[3] is not None else 1
    return files


def _diff_path(field: bytes) -> str | None:
    if field == b"/dev/null":
        return None
    if field.startswith(b'"'):
        field = unquote(field)
    return text(field.removeprefix(b"b/"))


def unquote(quoted: bytes) -> bytes:
    """A path as git quotes it ("a\\tb", octal escapes for other bytes), back to its bytes."""
    body = quoted[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        if body[i : i + 1] != b"\\":
            out.append(body[i])
            i += 1
        elif body[i + 1 : i + 2].isdigit():
            out.append(int(body[i + 1 : i + 4], 8))
            i += 4
        else:
            out.append(_ESCAPES.get(body[i + 1 : i + 2], body[i + 1]))
            i += 2
    return bytes(out)
