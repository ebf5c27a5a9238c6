"""The process verdict of one submission: which commit is graded, how it was made, what to flag.

Pure: the caller reads the history, the graded tree and the template (see
`assess`), so every rule here is tested with plain data, and the verdict is data
the CLI, the check run and the dashboard render alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from pydantic import BaseModel, Field

from grader.core.findings import Finding, Severity
from grader.core.lab import Lab
from grader.history.deadline import (
    Basis,
    DeadlinePolicy,
    PushRecord,
    Selection,
    Timeliness,
    date_findings,
    push_times,
    select_graded_commit,
)
from grader.history.integrity import (
    force_push_findings,
    protected_findings,
    screenshot_findings,
)
from grader.history.late_work import author_date_findings, late_work_findings
from grader.history.model import History, Snapshot
from grader.history.progress import (
    CommitProgress,
    Progress,
    last_minute_dump,
    measure_progress,
)


class HistoryVerdict(BaseModel):
    selection: Selection
    findings: list[Finding] = Field(default_factory=list)  # exercise is always None
    penalty: float = 0.0  # points: lateness per the policy, tampering per the rubric
    commits_read: int = 0
    truncated: bool = False
    answer_commits: int = 0
    parts_reached_progressively: int = 0
    last_commit_share: float = 0.0  # of the answer lines, added by the final answer commit
    minutes_before_deadline: float | None = None  # of the graded commit; negative when late
    progress: list[CommitProgress] = Field(default_factory=list)  # answer commits, oldest first


def evaluate_history(
    history: History,
    lab: Lab,
    policy: DeadlinePolicy | None,
    pushes: Sequence[PushRecord],
    *,
    graded: Snapshot | None,
    template: Snapshot | None,
    ancestry: Mapping[tuple[str, str], bool | None] | None = None,
) -> HistoryVerdict:
    """`graded` is the tree of the commit `select_graded_commit` picks (None for an empty
    repository), `template` the lab's template folder (None when the bundle has none),
    `ancestry` git's answers for the pushes' (before_sha, sha) pairs. Without a policy
    the latest state is graded and nothing is late."""
    selection = select_graded_commit(history, pushes, policy)
    if selection.sha is None:
        empty = Finding(code="history.empty", message="the repository has no commits")
        return HistoryVerdict(selection=selection, findings=[empty])
    if graded is None or graded.sha != selection.sha:
        raise ValueError(f"the tree given is not that of the graded commit {selection.sha}")
    rules = lab.history
    template_text = _exercise_text(template, lab.exercise_file)
    progress = measure_progress(
        history,
        selection.sha,
        template_text=template_text,
        parts={e.id: e.part for e in lab.exercises},
    )
    minutes = None
    if policy is not None and selection.at is not None:
        minutes = (policy.deadline - selection.at) / _MINUTE
    findings = _timeliness(selection, policy)
    if history.truncated:
        read = f"only the newest {len(history.commits)} commits were read"
        findings.append(_finding("history.truncated", Severity.INFO, read))
    if template_text is None:
        missing = "the template's exercise file is missing: every added line counts as an answer"
        findings.append(_finding("history.template-missing", Severity.INFO, missing))
    dump = last_minute_dump(progress, _minutes_before(progress, history, pushes, policy), rules)
    if dump is not None:
        dumped = f"the work looks like a last-minute dump: {dump}"
        findings.append(_finding("history.last-minute-dump", Severity.WARNING, dumped))
    elif progress.answer_commits:
        grew = (
            f"answers were added in {progress.answer_commits} commits; "
            f"{progress.parts_reached_progressively} reached a new part before the final one"
        )
        findings.append(_finding("history.progressive-ok", Severity.INFO, grew))
    findings += date_findings(
        history,
        pushes,
        policy,
        clock_skew=timedelta(minutes=rules.clock_skew_minutes),
        backdate=timedelta(hours=rules.backdate_hours),
    )
    findings += late_work_findings(
        history,
        selection,
        pushes,
        policy,
        template_text=template_text,
        known=[e.id for e in lab.exercises],
    )
    findings += author_date_findings(history, timedelta(hours=rules.backdate_hours))
    tampered = protected_findings(history, graded, template, rules)
    screenshots = screenshot_findings(history, graded, template, rules)
    findings += tampered + screenshots + force_push_findings(history, pushes, ancestry or {})
    penalty = selection.penalty
    if any(f.code == "history.protected-modified" for f in tampered):
        penalty += rules.protected_penalty
    if screenshots:
        penalty += rules.screenshot_penalty
    return HistoryVerdict(
        selection=selection,
        findings=findings,
        penalty=penalty,
        commits_read=len(history.commits),
        truncated=history.truncated,
        answer_commits=progress.answer_commits,
        parts_reached_progressively=progress.parts_reached_progressively,
        last_commit_share=progress.last_commit_share,
        minutes_before_deadline=minutes,
        progress=progress.commits,
    )


_MINUTE = timedelta(minutes=1)


def _minutes_before(
    progress: Progress,
    history: History,
    pushes: Sequence[PushRecord],
    policy: DeadlinePolicy | None,
) -> float | None:
    """How long before the deadline the final answer commit came: pushed, when recorded."""
    if policy is None or progress.final is None:
        return None
    sha = progress.final.sha
    when = push_times(history, pushes).get(sha, history.commit(sha).committed_at)
    return (policy.deadline - when) / _MINUTE


def _finding(code: str, severity: Severity, message: str) -> Finding:
    return Finding(code=code, severity=severity, message=message)


def _exercise_text(template: Snapshot | None, exercise_file: str) -> str | None:
    data = None if template is None else template.contents.get(exercise_file)
    return None if data is None else data.decode("utf-8", "replace")


def _timeliness(selection: Selection, policy: DeadlinePolicy | None) -> list[Finding]:
    sha = (selection.sha or "")[:7]
    when = "" if selection.at is None else f"{selection.at:%Y-%m-%d %H:%M %z}"
    basis = f"by {selection.basis.value}"
    findings = []
    if selection.basis is Basis.COMMITTER:
        unverified = (
            "no push times were recorded: the graded commit was chosen by its committer date, "
            "which the student's machine sets"
        )
        findings.append(_finding("history.unverified-dates", Severity.INFO, unverified))
    if selection.timeliness is Timeliness.IN_GRACE:
        grace = f"{sha} came at {when} ({basis}), after the deadline but within the grace period"
        findings.append(_finding("history.grace", Severity.INFO, f"{grace}: no penalty"))
    elif selection.timeliness is Timeliness.LATE:
        rate = 0.0 if policy is None else policy.late_penalty_per_day
        days = f"{selection.days_late} day{'s' if selection.days_late != 1 else ''}"
        late = (
            f"{sha} came at {when} ({basis}), {days} late: "
            f"-{selection.penalty:g} points ({rate:g} per started day)"
        )
        severity = Severity.ERROR if selection.penalty > 0 else Severity.WARNING
        findings.append(_finding("history.late", severity, late))
    elif selection.timeliness is Timeliness.REJECTED:
        rejected = f"{sha} came at {when} ({basis}), after the cut-off: not accepted"
        findings.append(_finding("history.late", Severity.ERROR, rejected))
    return findings
