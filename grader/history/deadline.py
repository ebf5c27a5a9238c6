"""Which commit is the submission: the last one pushed before the deadline.

Commit dates are whatever the student's machine said, so when the service has
recorded push times, those decide; without them the committer date is used and
the selection says it is unverified. A recorded push also exposes forged dates:
a commit cannot be made after it was pushed, and one made long before a late
push is worth a look.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from grader.core.findings import Finding, Severity
from grader.history.model import History


class DeadlinePolicy(BaseModel):
    """The dates of one assignment (a lab can be handed out more than once)."""

    model_config = ConfigDict(frozen=True)

    deadline: AwareDatetime
    grace: timedelta = timedelta(0)  # late by less than this is on time
    late_penalty_per_day: float = Field(default=0.0, ge=0)  # points per started day after grace
    cutoff: AwareDatetime | None = None  # pushes after this are not accepted at all

    @model_validator(mode="after")
    def _ordered(self) -> DeadlinePolicy:
        if self.grace < timedelta(0):
            raise ValueError("grace cannot be negative")
        if self.cutoff is not None and self.cutoff < self.due:
            raise ValueError("the cut-off comes before the deadline plus grace")
        return self

    @property
    def due(self) -> datetime:
        return self.deadline + self.grace


class PushRecord(BaseModel):
    """A push as the service recorded it (from the push webhook), not as git says."""

    model_config = ConfigDict(frozen=True)

    sha: str  # the branch head after the push
    pushed_at: AwareDatetime
    forced: bool = False
    before_sha: str | None = None  # the head before; None or zeros when the branch was created

    @property
    def created_branch(self) -> bool:
        return self.before_sha is None or self.before_sha.strip("0") == ""


class Basis(StrEnum):
    PUSH = "push time recorded by the service"
    COMMITTER = "committer time (unverified)"


class Timeliness(StrEnum):
    ON_TIME = "on time"
    IN_GRACE = "within the grace period"
    LATE = "late"
    REJECTED = "after cut-off: not accepted"
    NO_COMMITS = "no commits"
    NO_DEADLINE = "no deadline set"  # the assignment has none: the latest state is graded


class Selection(BaseModel):
    sha: str | None  # the graded commit
    at: datetime | None  # when it was pushed (or committed, on the committer basis)
    basis: Basis
    timeliness: Timeliness
    days_late: int = 0  # started days after deadline plus grace
    penalty: float = 0.0  # points, per the policy

    @property
    def accepted(self) -> bool:
        return self.timeliness not in (Timeliness.REJECTED, Timeliness.NO_COMMITS)


def push_times(history: History, pushes: Sequence[PushRecord]) -> dict[str, datetime]:
    """When each commit first became reachable from a recorded push."""
    times: dict[str, datetime] = {}
    for push in sorted(pushes, key=lambda p: p.pushed_at):
        # a commit already dated was reachable earlier, and so were all its ancestors
        todo = [push.sha] if push.sha in history else []
        while todo:
            sha = todo.pop()
            if sha in times or sha not in history:
                continue
            times[sha] = push.pushed_at
            todo.extend(history.commit(sha).parents)
    return times


def select_graded_commit(
    history: History, pushes: Sequence[PushRecord], policy: DeadlinePolicy | None
) -> Selection:
    """The last state pushed by deadline plus grace; failing that, the latest state, late.

    A root commit is where GitHub Classroom started the repository, not a submission:
    it is graded only when nothing else was ever pushed."""
    if history.head is None:
        return Selection(sha=None, at=None, basis=Basis.PUSH, timeliness=Timeliness.NO_COMMITS)
    known = sorted((p for p in pushes if p.sha in history), key=lambda p: p.pushed_at, reverse=True)
    if known:
        states = [(p.sha, p.pushed_at) for p in known]
        basis = Basis.PUSH
    else:
        # the branch's states, newest first, as its first-parent line records them
        states = [(c.sha, c.committed_at) for c in history.commits if c.first_parent]
        basis = Basis.COMMITTER
    states = [(sha, at) for sha, at in states if history.commit(sha).parents] or states
    if policy is None:
        sha, at = states[0]
        return Selection(sha=sha, at=at, basis=basis, timeliness=Timeliness.NO_DEADLINE)
    for sha, at in states:
        if at <= policy.due:
            timeliness = Timeliness.ON_TIME if at <= policy.deadline else Timeliness.IN_GRACE
            return Selection(sha=sha, at=at, basis=basis, timeliness=timeliness)
    accepted = [(s, t) for s, t in states if policy.cutoff is None or t <= policy.cutoff]
    sha, at = accepted[0] if accepted else states[0]
    days = math.ceil((at - policy.due) / timedelta(days=1))
    if not accepted:
        return Selection(
            sha=sha, at=at, basis=basis, timeliness=Timeliness.REJECTED, days_late=days
        )
    return Selection(
        sha=sha,
        at=at,
        basis=basis,
        timeliness=Timeliness.LATE,
        days_late=days,
        penalty=days * policy.late_penalty_per_day,
    )


def date_findings(
    history: History,
    pushes: Sequence[PushRecord],
    policy: DeadlinePolicy | None,
    *,
    clock_skew: timedelta = timedelta(minutes=5),
    backdate: timedelta = timedelta(hours=24),
) -> list[Finding]:
    """One finding per commit whose committer date its recorded push contradicts."""
    pushed = push_times(history, pushes)
    findings = []
    for commit in history.oldest_first(set(pushed)):
        push_at, made_at = pushed[commit.sha], commit.committed_at
        if made_at > push_at + clock_skew:
            findings.append(
                Finding(
                    code="history.backdated",
                    severity=Severity.WARNING,
                    message=(
                        f"commit {commit.short} says it was made at {made_at:%Y-%m-%d %H:%M %z}, "
                        f"after it was pushed ({push_at:%Y-%m-%d %H:%M %z}): its date was forged"
                    ),
                )
            )
        elif policy is not None and push_at > policy.due and made_at < push_at - backdate:
            findings.append(
                Finding(
                    code="history.backdated",
                    severity=Severity.WARNING,
                    message=(
                        f"commit {commit.short} is dated {made_at:%Y-%m-%d %H:%M %z} but was "
                        f"first pushed at {push_at:%Y-%m-%d %H:%M %z}, after the deadline: "
                        "its date may have been set back"
                    ),
                )
            )
    return findings
