"""Choosing the graded commit: push times over commit dates, grace, late days, cut-off."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from history_repos import DEADLINE, Repo, at, classroom_repo, requires_git
from pydantic import ValidationError

from grader.history.deadline import (
    Basis,
    DeadlinePolicy,
    PushRecord,
    Timeliness,
    date_findings,
    push_times,
    select_graded_commit,
)
from grader.history.git_log import read_history
from grader.history.model import History

pytestmark = requires_git

POLICY = DeadlinePolicy(deadline=DEADLINE, late_penalty_per_day=2.0)


def _two_commits(tmp_path: Path, second: datetime) -> tuple[History, str, str]:
    repo = classroom_repo(tmp_path / "r", created=at(days=-10))
    repo.answer("1.1a", "SELECT 1;")
    first = repo.commit("part 1", at(days=-3))
    repo.answer("2.1", "Two placements.")
    last = repo.commit("part 2", second)
    return read_history(repo.path), first, last


def test_on_time_by_committer_date_is_unverified(tmp_path: Path) -> None:
    history, _, last = _two_commits(tmp_path, at(minutes=-30))
    selection = select_graded_commit(history, [], POLICY)
    assert (selection.sha, selection.timeliness) == (last, Timeliness.ON_TIME)
    assert selection.basis is Basis.COMMITTER
    assert selection.basis.value == "committer time (unverified)"
    assert selection.penalty == 0


def _late_repo(tmp_path: Path, when: datetime) -> tuple[History, str]:
    """The template, then the only work, at `when`."""
    repo = classroom_repo(tmp_path / "r", created=at(days=-10))
    repo.answer("1.1a", "SELECT 1;")
    last = repo.commit("all parts", when)
    return read_history(repo.path), last


def test_an_hour_late_costs_one_day(tmp_path: Path) -> None:
    history, last = _late_repo(tmp_path, at(hours=1))
    late = select_graded_commit(history, [], POLICY)
    assert (late.sha, late.timeliness, late.days_late, late.penalty) == (
        last,
        Timeliness.LATE,
        1,
        2.0,
    )
    graced = select_graded_commit(
        history, [], POLICY.model_copy(update={"grace": timedelta(hours=2)})
    )
    assert (graced.sha, graced.timeliness, graced.penalty) == (last, Timeliness.IN_GRACE, 0)


def test_late_days_are_started_days_after_grace(tmp_path: Path) -> None:
    history, _ = _late_repo(tmp_path, at(days=1, hours=1))
    assert select_graded_commit(history, [], POLICY).days_late == 2
    graced = POLICY.model_copy(update={"grace": timedelta(hours=2)})
    assert select_graded_commit(history, [], graced).days_late == 1


def test_the_template_alone_is_not_a_submission(tmp_path: Path) -> None:
    repo = classroom_repo(tmp_path / "r", created=at(days=-10))
    root = repo.git("rev-parse", "HEAD")
    only = select_graded_commit(read_history(repo.path), [], POLICY)
    assert (only.sha, only.timeliness) == (root, Timeliness.ON_TIME)
    history, last = _late_repo(tmp_path / "late", at(hours=1))
    assert select_graded_commit(history, [], POLICY).sha == last


def test_the_latest_state_before_the_deadline_wins(tmp_path: Path) -> None:
    repo = classroom_repo(tmp_path / "r")
    repo.answer("1.1a", "SELECT 1;")
    on_time = repo.commit("part 1", at(hours=-2))
    repo.answer("2.1", "late work")
    repo.commit("part 2", at(hours=5))
    selection = select_graded_commit(read_history(repo.path), [], POLICY)
    assert (selection.sha, selection.timeliness) == (on_time, Timeliness.ON_TIME)


def test_cut_off(tmp_path: Path) -> None:
    history, first, last = _two_commits(tmp_path, at(days=3))
    pushes = [
        PushRecord(sha=first, pushed_at=at(days=1), before_sha="0" * 40),
        PushRecord(sha=last, pushed_at=at(days=3), before_sha=first),
    ]
    policy = POLICY.model_copy(update={"cutoff": at(days=2)})
    selection = select_graded_commit(history, pushes, policy)
    assert (selection.sha, selection.timeliness, selection.days_late) == (first, Timeliness.LATE, 1)
    assert selection.accepted
    rejected = select_graded_commit(history, pushes[1:], policy)
    assert (rejected.sha, rejected.timeliness) == (last, Timeliness.REJECTED)
    assert not rejected.accepted


def test_push_time_beats_commit_date(tmp_path: Path) -> None:
    # dated on time, pushed an hour late: late
    history, first, last = _two_commits(tmp_path, at(hours=-1))
    pushes = [
        PushRecord(sha=first, pushed_at=at(days=-3, minutes=1), before_sha="0" * 40),
        PushRecord(sha=last, pushed_at=at(hours=1), before_sha=first),
    ]
    selection = select_graded_commit(history, pushes, POLICY)
    assert selection.basis is Basis.PUSH
    assert (selection.sha, selection.timeliness) == (first, Timeliness.ON_TIME)
    assert selection.at == at(days=-3, minutes=1)
    late = select_graded_commit(history, pushes[1:], POLICY)
    assert (late.sha, late.timeliness, late.at) == (last, Timeliness.LATE, at(hours=1))


def test_backdated_commit_pushed_after_the_deadline_is_flagged(tmp_path: Path) -> None:
    repo = classroom_repo(tmp_path / "r")
    root = repo.git("rev-parse", "HEAD")
    repo.answer("1.1a", "SELECT 1;")
    honest = repo.commit("part 1", at(days=-2))
    repo.answer("2.1", "written after the deadline")
    backdated = repo.commit("part 2", at(days=-7))  # the date a week early
    history = read_history(repo.path)
    pushes = [
        PushRecord(sha=root, pushed_at=at(days=-14), before_sha="0" * 40),
        PushRecord(sha=honest, pushed_at=at(days=-2, minutes=2), before_sha=root),
        PushRecord(sha=backdated, pushed_at=at(hours=6), before_sha=honest),
    ]
    selection = select_graded_commit(history, pushes, POLICY)
    assert (selection.sha, selection.timeliness) == (honest, Timeliness.ON_TIME)
    (finding,) = date_findings(history, pushes, POLICY)
    assert finding.code == "history.backdated"
    assert backdated[:7] in finding.message
    assert "after the deadline" in finding.message


def test_commit_dated_after_its_push_is_impossible(tmp_path: Path) -> None:
    history, first, last = _two_commits(tmp_path, at(days=-1))
    pushes = [PushRecord(sha=last, pushed_at=at(days=-2), before_sha="0" * 40)]
    times = push_times(history, pushes)
    assert times[first] == times[last] == at(days=-2)
    (finding,) = date_findings(history, pushes, POLICY)
    assert last[:7] in finding.message and "forged" in finding.message
    skew = date_findings(history, pushes, POLICY, clock_skew=timedelta(days=2))
    assert skew == []


def test_empty_history_selects_nothing() -> None:
    selection = select_graded_commit(History(ref="HEAD", head=None), [], POLICY)
    assert selection.sha is None
    assert selection.timeliness is Timeliness.NO_COMMITS
    assert not selection.accepted


def test_policy_validation(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        DeadlinePolicy(deadline=datetime(2025, 3, 14, 23, 59))  # no time zone
    with pytest.raises(ValidationError, match="cut-off"):
        DeadlinePolicy(deadline=DEADLINE, grace=timedelta(hours=2), cutoff=at(hours=1))
    with pytest.raises(ValidationError):
        DeadlinePolicy(deadline=DEADLINE, grace=timedelta(hours=-1))
    assert PushRecord(sha="a" * 40, pushed_at=DEADLINE).created_branch
    del tmp_path


def test_pushes_of_commits_not_in_the_clone_fall_back_to_commit_dates(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.write("a.txt", "a\n")
    only = repo.commit("only", at(days=-1))
    pushes = [PushRecord(sha="f" * 40, pushed_at=at(days=-1))]
    selection = select_graded_commit(read_history(repo.path), pushes, POLICY)
    assert (selection.sha, selection.basis) == (only, Basis.COMMITTER)
