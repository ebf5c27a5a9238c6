"""Work that came after the deadline and so was not graded, said plainly.

A student who pushes a fix an hour late sees a grade that ignores it; the report
has to say which commits were left out, how late each was and what they touched,
so neither the student nor the TA has to dig through the log. Lateness is by the
push time the service recorded when it has one, by the committer date otherwise
(the CLI grading a clone). A commit whose author date lies far before its
committer date was rebased, amended or had its date set: worth a look, not proof.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from grader.core.findings import Finding, Severity
from grader.history.deadline import (
    Basis,
    DeadlinePolicy,
    PushRecord,
    Selection,
    Timeliness,
    push_times,
)
from grader.history.model import History
from grader.history.progress import exercises_answered, template_baseline


def late_work_findings(
    history: History,
    selection: Selection,
    pushes: Sequence[PushRecord],
    policy: DeadlinePolicy | None,
    *,
    template_text: str | None,
    known: Sequence[str],
) -> list[Finding]:
    """One finding listing the commits after the deadline plus grace that the graded commit
    does not contain; none when every commit counted."""
    if policy is None or selection.sha is None:
        return []
    pushed = push_times(history, pushes) if selection.basis is Basis.PUSH else {}
    graded = history.ancestors(selection.sha)
    late = [
        (commit, when)
        for commit in history.oldest_first()
        if commit.sha not in graded
        and (when := pushed.get(commit.sha, commit.committed_at)) > policy.due
    ]
    if not late:
        return []
    baseline = template_baseline(template_text)
    changed = list(
        dict.fromkeys(e for commit, _ in late for e in exercises_answered(commit, baseline, known))
    )
    count = _plural(len(late), "commit")
    verb = "pushed" if selection.basis is Basis.PUSH else "dated (by committer date)"
    listed = ", ".join(f"{c.short} ({_lateness(when - policy.deadline)})" for c, when in late)
    subject = "It" if len(late) == 1 else "They"
    touched = (
        f"{subject} changed {_exercises(changed)}."
        if changed
        else f"{subject} changed no exercise's answer."
    )
    was = "was" if len(late) == 1 else "were"
    on_time = selection.timeliness in (Timeliness.ON_TIME, Timeliness.IN_GRACE)
    graded_as = "before the deadline" if on_time else "accepted"
    message = (
        f"{count} {verb} after the deadline {was} not graded: {listed}. {touched} "
        f"The grade is that of {selection.sha[:7]}, the last state {graded_as}; "
        "ask the instructor if the late work should count."
    )
    return [
        Finding(code="history.late-work-not-graded", severity=Severity.WARNING, message=message)
    ]


def author_date_findings(history: History, backdate: timedelta) -> list[Finding]:
    """One finding per commit authored more than `backdate` before it was committed."""
    findings = []
    for commit in history.oldest_first():
        gap = commit.committed_at - commit.authored_at
        if gap > backdate:
            findings.append(
                Finding(
                    code="history.author-date-before-commit",
                    severity=Severity.INFO,
                    message=(
                        f"commit {commit.short} was authored at {_at(commit.authored_at)} but "
                        f"committed at {_at(commit.committed_at)}, {_duration(gap)} later: "
                        "it was rebased or amended, or its author date was set by hand"
                    ),
                )
            )
    return findings


def _at(when: datetime) -> str:
    return f"{when:%Y-%m-%d %H:%M %z}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _duration(delta: timedelta) -> str:
    minutes = max(1, round(delta / timedelta(minutes=1)))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [_plural(days, "day")] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes and not days else []
    return " ".join(parts)


def _lateness(delta: timedelta) -> str:
    return f"{_duration(delta)} after the deadline"


def _exercises(ids: list[str]) -> str:
    if len(ids) == 1:
        return f"exercise {ids[0]}"
    return f"exercises {', '.join(ids[:-1])} and {ids[-1]}"
