"""Reading a student's repository from disk: the one place the submission side does file I/O.

Everything read is capped and decoded defensively, and nothing outside the repository is
read, whatever its symlinks say: the tree comes from an untrusted push.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from grader.core.findings import Finding, Severity
from grader.core.lab import Lab
from grader.submission.data_sql import attach_data_sql
from grader.submission.markdown import read_exercise_markdown
from grader.submission.model import Submission

_SKIPPED_DIRS = frozenset({".git"})
_RENAMED_HINTS = ("tp", "mediai")


def read_submission(root: Path, lab: Lab, *, max_bytes: int) -> Submission:
    """The submission as the grader sees it, with a finding for everything odd about it."""
    files = list_files(root)
    findings: list[Finding] = []
    exercise_file = _exercise_file(files, lab.exercise_file, findings)
    submission = Submission(exercise_file=exercise_file or lab.exercise_file, files=files)
    if exercise_file is not None:
        text = _read_text(
            root, exercise_file, max_bytes, findings, binary_code="reader.not-markdown"
        )
        if text is not None:
            known = [e.id for e in lab.exercises]
            answers, read_findings = read_exercise_markdown(
                text, path=exercise_file, known_ids=known
            )
            submission.answers = answers
            findings += read_findings
    template_data = lab.root / "template" / "data"
    for path in files:
        if _is_extra_sql(path, template_data):
            text = _read_text(root, path, max_bytes, findings, binary_code="reader.binary-file")
            if text is not None:
                submission.extra_sql[path] = text
    attach_data_sql(submission.answers, submission.extra_sql)
    submission.findings = findings
    return submission


def list_files(root: Path) -> list[str]:
    """Every file and symlink of the tree as a relative POSIX path, without descending into
    symlinked folders or .git."""
    found: list[str] = []
    for folder, dirs, names in os.walk(root, followlinks=False):
        base = Path(folder)
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        entries = names + [d for d in dirs if (base / d).is_symlink()]
        found += ((base / n).relative_to(root).as_posix() for n in entries)
    return sorted(found)


def _exercise_file(files: list[str], expected: str, findings: list[Finding]) -> str | None:
    if expected in files:
        return expected
    candidates = [
        path
        for path in files
        if (p := PurePosixPath(path)).parent.as_posix() == "exercises"
        and p.suffix.lower() == ".md"
        and any(hint in p.name.lower() for hint in _RENAMED_HINTS)
    ]
    if not candidates:
        findings.append(
            Finding(
                code="reader.no-exercise-file",
                message=f"{expected} is missing and no exercises/*.md file looks like it: "
                "nothing could be graded",
                file=expected,
            )
        )
        return None
    chosen = candidates[0]
    others = f" (also found: {', '.join(candidates[1:])})" if len(candidates) > 1 else ""
    findings.append(
        Finding(
            code="reader.renamed-exercise-file",
            message=f"{expected} is missing; graded {chosen} instead{others}",
            severity=Severity.WARNING,
            file=chosen,
        )
    )
    return chosen


def _is_extra_sql(path: str, template_data: Path) -> bool:
    parts = PurePosixPath(path)
    if parts.parts[0] != "data" or parts.suffix.lower() != ".sql":
        return False
    return not (template_data / Path(*parts.parts[1:])).is_file()


def _read_text(
    root: Path, path: str, max_bytes: int, findings: list[Finding], *, binary_code: str
) -> str | None:
    """The file's text, or None with a finding saying why it could not be read."""
    target = (root / path).resolve()
    if not target.is_relative_to(root.resolve()):
        message = f"{path} is a link to something outside the repository; it was not read"
        findings.append(_warning("reader.symlink-outside", message, path))
        return None
    if not target.is_file():
        message = f"{path} is not a regular file (a broken link or a folder?); it was not read"
        findings.append(_warning("reader.not-a-file", message, path))
        return None
    with target.open("rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        data = data[:max_bytes]
        findings.append(
            Finding(
                code="reader.too-large",
                message=f"{path} is larger than {max_bytes} bytes; only its first {max_bytes} "
                "bytes were read",
                severity=Severity.WARNING,
                file=path,
            )
        )
        data = _without_cut_character(data)
    if b"\x00" in data:
        findings.append(
            Finding(
                code=binary_code,
                message=f"{path} is a binary file, not text (a screenshot or a document "
                "renamed?); answers must be plain text",
                file=path,
            )
        )
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        findings.append(
            Finding(
                code="reader.not-utf8",
                message=f"{path} is not valid UTF-8 from line {line} on; unreadable characters "
                "were replaced (save the file as UTF-8)",
                severity=Severity.WARNING,
                file=path,
                line=line,
            )
        )
        return data.decode("utf-8", errors="replace")


def _without_cut_character(data: bytes) -> bytes:
    """Drop a multi-byte character the size cap cut in half, so it is not reported as bad UTF-8."""
    for cut in range(1, 4):
        if len(data) >= cut and data[-cut] & 0xC0 == 0xC0:  # lead byte of a sequence
            needed = 2 if data[-cut] < 0xE0 else 3 if data[-cut] < 0xF0 else 4
            return data[:-cut] if needed > cut else data
        if len(data) >= cut and data[-cut] < 0x80:
            return data
    return data


def _warning(code: str, message: str, path: str) -> Finding:
    return Finding(code=code, message=message, severity=Severity.WARNING, file=path)
