"""Posting check runs with PyGithub: created in progress, completed with the grade.

Annotations go 50 per request: every batch but the last is added while the check is
still in progress, and the last one travels with the completion, so the check is
only "completed" once it carries all of them. GitHub appends the annotations of every
request, so a completed check run is updated (a review, a release) without them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from github import Github

from grader.publish.checkrun_render import RERUN_ACTION, CheckRunContent


class CheckRunPoster:
    def __init__(self, client: Github, full_name: str, name: str) -> None:
        self._repo = client.get_repo(full_name)  # the client is lazy: no request here
        self._name = name

    def start(self, head_sha: str, *, external_id: str) -> int:
        check = self._repo.create_check_run(
            name=self._name,
            head_sha=head_sha,
            external_id=external_id,
            status="in_progress",
            started_at=datetime.now(UTC),
            output={
                "title": "Grading",
                "summary": "Your push is being graded; the score appears here when done.",
            },
        )
        return int(check.id)

    def complete(self, check_run_id: int, content: CheckRunContent) -> None:
        check = self._repo.get_check_run(check_run_id)
        *early, last = content.annotation_batches()
        for batch in early:
            check.edit(output=content.output(batch))
        check.edit(
            status="completed",
            conclusion=content.conclusion,
            completed_at=datetime.now(UTC),
            output=content.output(last),
            actions=[RERUN_ACTION],
        )

    def update(self, check_run_id: int, content: CheckRunContent) -> None:
        """Replace what a completed check run says; its annotations stay as they are."""
        output = {"title": content.title, "summary": content.summary, "text": content.text}
        self._repo.get_check_run(check_run_id).edit(
            status="completed",
            conclusion=content.conclusion,
            completed_at=datetime.now(UTC),
            output=output,
            actions=[RERUN_ACTION],
        )
