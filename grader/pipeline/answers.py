"""The answers of the commit a report graded, read again from the checkout for the store:
the dashboard shows them beside the grade (grader.store.answers)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from grader.core.lab import Lab
from grader.history.git_log import export_tree, head_commit
from grader.store.answers import save_answers
from grader.store.db import Connection
from grader.submission.model import Block, Submission
from grader.submission.reader import read_submission


def graded_submission(checkout: Path, lab: Lab, commit: str | None, max_bytes: int) -> Submission:
    """The submission at `commit` (the deadline rules may have graded an earlier one than
    the checkout's HEAD); the folder itself when it is not a git clone."""
    if commit is None or not (checkout / ".git").exists() or commit == head_commit(checkout):
        return read_submission(checkout, lab, max_bytes=max_bytes)
    with tempfile.TemporaryDirectory(prefix="grader-answers-") as scratch:
        export_tree(checkout, commit, Path(scratch))
        return read_submission(Path(scratch), lab, max_bytes=max_bytes)


def answers_json(submission: Submission) -> dict[str, dict[str, list[dict[str, Any]]]]:
    return {
        ex_id: {
            "sql": [_block(b) for b in answer.sql],
            "outputs": [_block(b) for b in answer.outputs],
            "prose": [_block(b) for b in answer.prose],
        }
        for ex_id, answer in submission.answers.items()
    }


def store_answers(
    conn: Connection,
    repository_id: int,
    commit_sha: str,
    checkout: Path,
    lab: Lab,
    *,
    graded_commit: str | None,
    max_bytes: int,
) -> None:
    submission = graded_submission(checkout, lab, graded_commit, max_bytes)
    save_answers(
        conn, repository_id, commit_sha, submission.exercise_file, answers_json(submission)
    )


def _block(block: Block) -> dict[str, Any]:
    return {"text": block.text, "line": block.line, "end_line": block.end_line}
