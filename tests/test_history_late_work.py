"""Late work that was not graded, and author dates far before committer dates, on real repos."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from history_repos import DEADLINE, Repo, at, classroom_repo, make_lab, requires_git

from grader.core.findings import Finding, Severity
from grader.core.lab import Lab
from grader.history.assess import assess_repository
from grader.history.deadline import DeadlinePolicy, PushRecord
from grader.history.evaluate import HistoryVerdict

pytestmark = requires_git

POLICY = DeadlinePolicy(deadline=DEADLINE)


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    return make_lab(tmp_path / "bundle")


def _late(verdict: HistoryVerdict) -> list[Finding]:
    return [f for f in verdict.findings if f.code == "history.late-work-not-graded"]


def _late_repo(path: Path) -> tuple[Repo, list[str]]:
    """Part 1 on time, then a 3.2 answer 2 h 5 min late and a reflection a day and 3 h late."""
    repo = classroom_repo(path)
    repo.answer("1.1a", "CREATE VIEW TrainingData_Paris AS", "SELECT * FROM t;")
    on_time = repo.commit("Part 1", at(days=-1))
    repo.answer("3.2", "SELECT siteOrigin, COUNT(*)", "FROM TrainingData GROUP BY 1;")
    fix = repo.commit("Part 3", at(hours=2, minutes=5))
    repo.answer("Q1", "The 2PC was the hardest part.")
    last = repo.commit("reflection", at(days=1, hours=3))
    return repo, [on_time, fix, last]


def test_late_commits_are_reported_by_committer_date(tmp_path: Path, lab: Lab) -> None:
    repo, (on_time, fix, last) = _late_repo(tmp_path / "r")
    verdict = assess_repository(repo.path, lab, POLICY)
    assert verdict.selection.sha == on_time
    [finding] = _late(verdict)
    assert finding.severity is Severity.WARNING
    assert finding.message.startswith("2 commits dated (by committer date) after the deadline")
    assert f"{fix[:7]} (2 h 5 min after the deadline)" in finding.message
    assert f"{last[:7]} (1 day 3 h after the deadline)" in finding.message
    assert "They changed exercises 3.2 and Q1." in finding.message
    assert f"The grade is that of {on_time[:7]}" in finding.message


def test_late_commits_are_reported_by_recorded_push(tmp_path: Path, lab: Lab) -> None:
    repo, (on_time, fix, last) = _late_repo(tmp_path / "r")
    # pushed long after their committer dates: the push log, not the clone, decides
    pushes = [
        PushRecord(sha=on_time, pushed_at=at(hours=-2)),
        PushRecord(sha=last, pushed_at=at(hours=5), before_sha=on_time),
    ]
    verdict = assess_repository(repo.path, lab, POLICY, pushes)
    assert verdict.selection.sha == on_time
    [finding] = _late(verdict)
    assert finding.message.startswith("2 commits pushed after the deadline were not graded")
    assert f"{fix[:7]} (5 h after the deadline)" in finding.message
    assert f"{last[:7]} (5 h after the deadline)" in finding.message
    assert "exercises 3.2 and Q1" in finding.message


def test_one_late_commit_is_singular(tmp_path: Path, lab: Lab) -> None:
    repo = classroom_repo(tmp_path / "r")
    repo.answer("1.1a", "CREATE VIEW TrainingData_Paris AS", "SELECT * FROM t;")
    on_time = repo.commit("Part 1", at(days=-1))
    repo.answer("3.2", "SELECT 1;")
    late = repo.commit("Part 3", at(minutes=12))
    [finding] = _late(assess_repository(repo.path, lab, POLICY))
    assert finding.message.startswith(
        f"1 commit dated (by committer date) after the deadline was not graded: "
        f"{late[:7]} (12 min after the deadline). It changed exercise 3.2."
    )
    assert on_time[:7] in finding.message


def test_late_commit_without_answers_says_so(tmp_path: Path, lab: Lab) -> None:
    repo = classroom_repo(tmp_path / "r")
    repo.answer("1.1a", "SELECT 1;")
    repo.commit("Part 1", at(days=-1))
    repo.write("README.md", "# MediAI lab\nby a student\n")
    repo.commit("readme", at(hours=1))
    [finding] = _late(assess_repository(repo.path, lab, POLICY))
    assert "It changed no exercise's answer." in finding.message


def test_nothing_is_reported_when_every_commit_is_on_time(tmp_path: Path, lab: Lab) -> None:
    repo, _ = _late_repo(tmp_path / "r")
    generous = DeadlinePolicy(deadline=DEADLINE, grace=timedelta(days=2))
    verdict = assess_repository(repo.path, lab, generous)
    assert _late(verdict) == []
    assert assess_repository(repo.path, lab, None).findings  # no deadline: nothing is late
    assert _late(assess_repository(repo.path, lab, None)) == []


def test_author_date_far_before_commit_date_is_noted(tmp_path: Path, lab: Lab) -> None:
    repo = classroom_repo(tmp_path / "r")
    repo.answer("1.1a", "SELECT 1;")
    old = repo.commit("Part 1", at(hours=-1), env={"GIT_AUTHOR_DATE": at(days=-3).isoformat()})
    repo.answer("3.2", "SELECT 2;")
    repo.commit("Part 3", at(minutes=-30), env={"GIT_AUTHOR_DATE": at(hours=-2).isoformat()})
    verdict = assess_repository(repo.path, lab, POLICY)
    [finding] = [f for f in verdict.findings if f.code == "history.author-date-before-commit"]
    assert finding.severity is Severity.INFO
    assert finding.message.startswith(f"commit {old[:7]} was authored at 2025-03-11 23:59")
    assert "2 days 23 h later" in finding.message


def test_work_after_the_cut_off_is_reported_beside_a_late_grade(tmp_path: Path, lab: Lab) -> None:
    repo = classroom_repo(tmp_path / "r")
    repo.answer("1.1a", "SELECT 1;")
    accepted = repo.commit("Part 1", at(hours=2))
    repo.answer("2.1", "Each shard has 2 placements.")
    rejected = repo.commit("Part 2", at(days=2))
    policy = DeadlinePolicy(deadline=DEADLINE, cutoff=at(days=1))
    verdict = assess_repository(repo.path, lab, policy)
    assert verdict.selection.sha == accepted
    [finding] = _late(verdict)
    assert f"{rejected[:7]} (2 days after the deadline)" in finding.message
    assert "It changed exercise 2.1." in finding.message
    assert f"that of {accepted[:7]}, the last state accepted;" in finding.message
