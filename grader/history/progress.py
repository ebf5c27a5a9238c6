"""How the answers grew, commit by commit: which parts each commit advanced.

An answer line is a non-blank line a commit added to the exercise file that the
template does not already hold, inside an exercise's section of the file as that
commit left it. The handout asks for a commit after each part and calls one
commit at 23:58 with everything done suspicious: `last_minute_dump` says when the
history looks like that, with the rubric's thresholds.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, Field

from grader.core.lab import HistoryRules
from grader.history.model import Commit, History
from grader.submission.markdown import read_exercise_markdown


class CommitProgress(BaseModel):
    sha: str
    subject: str
    answer_lines: int
    exercises: list[str] = Field(default_factory=list)  # in order of first appearance
    parts: list[str] = Field(default_factory=list)
    new_parts: list[str] = Field(default_factory=list)  # parts no earlier commit had advanced


class Progress(BaseModel):
    """The answer commits up to the graded one. The last of them is "the final commit": a
    later commit that adds no answer (a README touch-up) does not hide a dump before it."""

    commits: list[CommitProgress] = Field(default_factory=list)  # oldest first

    @property
    def answer_commits(self) -> int:
        return len(self.commits)

    @property
    def final(self) -> CommitProgress | None:
        return self.commits[-1] if self.commits else None

    @property
    def parts_reached_progressively(self) -> int:
        """Commits before the final one that each reached a part no earlier commit had."""
        return sum(1 for c in self.commits[:-1] if c.new_parts)

    @property
    def total_answer_lines(self) -> int:
        return sum(c.answer_lines for c in self.commits)

    @property
    def last_commit_share(self) -> float:
        total = self.total_answer_lines
        return self.commits[-1].answer_lines / total if total else 0.0


def _answer_lines(commit: Commit, baseline: frozenset[str], known: Sequence[str]) -> list[str]:
    """The exercise of every answer line the commit added, as the submission reader splits
    the file the commit left (so history and grading agree on what belongs where)."""
    change = commit.exercise
    if change is None or change.text is None:
        return []
    answers, _ = read_exercise_markdown(change.text, path=change.path, known_ids=known)
    sections = sorted((a.heading_line, a.end_line, a.id) for a in answers.values())
    starts = [first for first, _, _ in sections]
    owners = []
    for added in change.added:
        content = added.text.strip()
        index = bisect.bisect_right(starts, added.line) - 1
        if content and content not in baseline and index >= 0:
            _, last, exercise = sections[index]
            if added.line <= last:
                owners.append(exercise)
    return owners


def template_baseline(template_text: str | None) -> frozenset[str]:
    """The template's non-blank lines: a line a commit adds that is among them is no answer."""
    return frozenset(line.strip() for line in (template_text or "").splitlines() if line.strip())


def exercises_answered(commit: Commit, baseline: frozenset[str], known: Sequence[str]) -> list[str]:
    """The exercises whose answers the commit added lines to, in order of first appearance."""
    return list(dict.fromkeys(_answer_lines(commit, baseline, known)))


def measure_progress(
    history: History,
    graded_sha: str,
    *,
    template_text: str | None,
    parts: Mapping[str, str],
) -> Progress:
    """Progress up to and including the graded commit. `template_text` is the exercise file
    as the template ships it (None: every added line counts); `parts` maps the lab's
    exercise ids to their parts, as the rubric says."""
    baseline = template_baseline(template_text)
    progress = Progress()
    reached: set[str] = set()
    for commit in history.oldest_first(history.ancestors(graded_sha)):
        owners = _answer_lines(commit, baseline, list(parts))
        if not owners:
            continue
        exercises = list(dict.fromkeys(owners))
        commit_parts = list(dict.fromkeys(parts[e] for e in exercises))
        new_parts = [p for p in commit_parts if p not in reached]
        reached.update(commit_parts)
        progress.commits.append(
            CommitProgress(
                sha=commit.sha,
                subject=commit.subject,
                answer_lines=len(owners),
                exercises=exercises,
                parts=commit_parts,
                new_parts=new_parts,
            )
        )
    return progress


def last_minute_dump(
    progress: Progress, minutes_before_deadline: float | None, rules: HistoryRules
) -> str | None:
    """Why the history looks like everything was done at once at the end, or None.
    `minutes_before_deadline` is the final answer commit's (None: no deadline)."""
    if progress.commits and minutes_before_deadline is not None:
        share = progress.last_commit_share
        if share >= rules.dump_share and minutes_before_deadline <= rules.dump_window_minutes:
            return (
                f"the final commit adds {share:.0%} of the answer lines, "
                f"{_distance(minutes_before_deadline)}"
            )
    if progress.answer_commits == 1:
        only = progress.commits[0]
        if len(only.parts) >= rules.dump_min_parts:
            return (
                f"a single commit ({only.sha[:7]}) holds every answer, "
                f"covering {len(only.parts)} parts"
            )
    return None


def _distance(minutes: float) -> str:
    count = round(abs(minutes))
    unit = "minute" if count == 1 else "minutes"
    side = "after" if minutes < 0 else "before"
    return f"{count} {unit} {side} the deadline"
