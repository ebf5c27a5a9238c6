"""Whole verdicts from real repositories: progressive work, dumps, lateness, tampering."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from history_repos import (
    DEADLINE,
    EXERCISE_FILE,
    Repo,
    at,
    classroom_repo,
    make_lab,
    progressive_repo,
    requires_git,
)

from grader.core.findings import Severity
from grader.core.lab import Lab
from grader.history.assess import assess_repository, read_template
from grader.history.deadline import DeadlinePolicy, PushRecord, Timeliness
from grader.history.evaluate import HistoryVerdict, evaluate_history
from grader.history.git_log import read_history, read_snapshot

pytestmark = requires_git

POLICY = DeadlinePolicy(deadline=DEADLINE, late_penalty_per_day=2.0)


def _codes(verdict: HistoryVerdict) -> set[str]:
    return {f.code for f in verdict.findings}


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    return make_lab(tmp_path / "bundle")


def test_progressive_work_is_ok(tmp_path: Path, lab: Lab) -> None:
    repo, shas = progressive_repo(tmp_path / "r")
    verdict = assess_repository(repo.path, lab, POLICY)
    assert verdict.selection.sha == shas[-1]
    assert verdict.selection.timeliness is Timeliness.ON_TIME
    assert verdict.parts_reached_progressively == 4
    assert verdict.answer_commits == 5
    assert verdict.last_commit_share == pytest.approx(1 / 9)
    assert verdict.minutes_before_deadline == pytest.approx(27 * 60)
    assert verdict.penalty == 0
    assert [p.new_parts for p in verdict.progress] == [["1"], ["2"], ["3"], ["4"], ["reflection"]]
    assert "history.progressive-ok" in _codes(verdict)
    assert not [f for f in verdict.findings if f.severity is not Severity.INFO]
    HistoryVerdict.model_validate_json(verdict.model_dump_json())


def test_everything_at_23_58_is_a_last_minute_dump(tmp_path: Path, lab: Lab) -> None:
    repo = classroom_repo(tmp_path / "r")
    repo.write("README.md", "# MediAI lab\nby a student\n")
    repo.commit("readme", at(days=-6))
    for exercise in ("1.1a", "2.1", "3.2", "4.2", "Q1"):
        repo.answer(exercise, f"answer to {exercise}", "more of it")
    repo.commit("FINAL SUBMISSION", at(minutes=-1))
    repo.write("README.md", "# MediAI lab\nby a student, done\n")
    touch_up = repo.commit("readme", at(seconds=-20))  # adds no answer: hides nothing
    verdict = assess_repository(repo.path, lab, POLICY)
    assert verdict.selection.sha == touch_up
    assert verdict.last_commit_share == 1.0
    assert verdict.parts_reached_progressively == 0
    (finding,) = [f for f in verdict.findings if f.code == "history.last-minute-dump"]
    assert finding.severity is Severity.WARNING
    assert "100%" in finding.message and "1 minute before" in finding.message
    assert "history.progressive-ok" not in _codes(verdict)


def test_a_single_early_commit_of_everything_is_also_flagged(tmp_path: Path, lab: Lab) -> None:
    repo = classroom_repo(tmp_path / "r")
    for exercise in ("1.1a", "2.1", "3.2"):
        repo.answer(exercise, f"answer to {exercise}")
    repo.commit("all at once", at(days=-3))
    verdict = assess_repository(repo.path, lab, POLICY)
    (finding,) = [f for f in verdict.findings if f.code == "history.last-minute-dump"]
    assert "covering 3 parts" in finding.message
    relaxed = make_lab(tmp_path / "relaxed", dump_min_parts=4)
    assert "history.last-minute-dump" not in _codes(assess_repository(repo.path, relaxed, POLICY))


def test_late_by_an_hour(tmp_path: Path, lab: Lab) -> None:
    repo = classroom_repo(tmp_path / "r")
    repo.answer("1.1a", "SELECT 1;")
    repo.commit("part 1", at(hours=1))
    verdict = assess_repository(repo.path, lab, POLICY)
    assert (verdict.selection.timeliness, verdict.penalty) == (Timeliness.LATE, 2.0)
    assert verdict.minutes_before_deadline == pytest.approx(-60)
    (late,) = [f for f in verdict.findings if f.code == "history.late"]
    assert late.severity is Severity.ERROR and "1 day late" in late.message
    graced = POLICY.model_copy(update={"grace": timedelta(hours=2)})
    in_grace = assess_repository(repo.path, lab, graced)
    assert (in_grace.selection.timeliness, in_grace.penalty) == (Timeliness.IN_GRACE, 0)
    assert "history.grace" in _codes(in_grace) and "history.late" not in _codes(in_grace)


def test_backdated_commits_and_push_times(tmp_path: Path, lab: Lab) -> None:
    repo, shas = progressive_repo(tmp_path / "r")
    root = repo.git("rev-list", "--max-parents=0", "HEAD")
    repo.write("notes.md", "written after the deadline\n")
    backdated = repo.commit("more", at(days=-7))
    pushes = [
        PushRecord(sha=root, pushed_at=at(days=-14), before_sha="0" * 40),
        *[
            PushRecord(sha=s, pushed_at=at(days=i - 5, hours=-2), before_sha=b)
            for i, (b, s) in enumerate(zip([root, *shas], shas, strict=False))
        ],
        PushRecord(sha=backdated, pushed_at=at(days=1), before_sha=shas[-1]),
    ]
    verdict = assess_repository(repo.path, lab, POLICY, pushes)
    assert verdict.selection.sha == shas[-1]
    assert verdict.selection.basis.value == "push time recorded by the service"
    assert verdict.selection.at == at(days=-1, hours=-2)
    (flag,) = [f for f in verdict.findings if f.code == "history.backdated"]
    assert backdated[:7] in flag.message
    assert "history.unverified-dates" not in _codes(verdict)
    assert "history.unverified-dates" in _codes(assess_repository(repo.path, lab, POLICY))


def test_tampering_and_screenshots_cost_what_the_rubric_says(tmp_path: Path) -> None:
    lab = make_lab(tmp_path / "bundle", protected_penalty=5.0, screenshot_penalty=1.5)
    repo, _ = progressive_repo(tmp_path / "r")
    repo.write("solutions/answers.sql", "-- edited\n")
    repo.write("results/q3.png", b"\x89PNG\r\n\x1a\n\x00")
    last = repo.commit("tweaks", at(hours=-5))
    verdict = assess_repository(repo.path, lab, POLICY)
    assert verdict.penalty == 6.5
    tampered = [f for f in verdict.findings if f.code == "history.protected-modified"]
    assert [(f.file, f.severity) for f in tampered] == [("solutions/answers.sql", Severity.ERROR)]
    assert last[:7] in tampered[0].message
    (shot,) = [f for f in verdict.findings if f.code == "history.screenshot"]
    assert shot.file == "results/q3.png"


def test_force_push_through_assess(tmp_path: Path, lab: Lab) -> None:
    repo, shas = progressive_repo(tmp_path / "r")
    repo.git("reset", "-q", "--hard", shas[2])
    repo.answer("4.2", "redone")
    redone = repo.commit("part 4 again", at(days=-1))
    pushes = [
        PushRecord(sha=shas[3], pushed_at=at(days=-2), before_sha=shas[2]),
        PushRecord(sha=redone, pushed_at=at(days=-1), before_sha=shas[3]),
    ]
    verdict = assess_repository(repo.path, lab, POLICY, pushes)
    (finding,) = [f for f in verdict.findings if f.code == "history.force-push"]
    assert f"vanished: {shas[3][:7]}" in finding.message
    assert verdict.selection.sha == redone


def test_merges_and_renames_keep_progress(tmp_path: Path, lab: Lab) -> None:
    repo = classroom_repo(tmp_path / "r")
    repo.answer("1.1a", "SELECT 1;")
    repo.commit("part 1", at(days=-4))
    repo.git("checkout", "-q", "-b", "side")
    repo.answer("2.1", "Two placements.")
    repo.commit("part 2 on a branch", at(days=-3))
    repo.git("checkout", "-q", "main")
    repo.answer("3.2", "SELECT 3;")
    repo.commit("part 3", at(days=-3, hours=1))
    repo.git("merge", "-q", "--no-edit", "side", when=at(days=-2))
    repo.git("mv", EXERCISE_FILE, "exercises/answers.md")
    repo.commit("rename", at(days=-2, hours=1))
    text = repo.read("exercises/answers.md")
    repo.write("exercises/answers.md", text.replace("___", "PREPARE TRANSACTION 'x';", 1))
    repo.commit("part 4", at(days=-1))
    verdict = assess_repository(repo.path, lab, POLICY)
    assert [p.parts for p in verdict.progress] == [["1"], ["2"], ["3"], ["4"]]
    assert verdict.parts_reached_progressively == 3
    assert "history.last-minute-dump" not in _codes(verdict)


def test_empty_repository(tmp_path: Path, lab: Lab) -> None:
    verdict = assess_repository(Repo(tmp_path / "r").path, lab, POLICY)
    assert verdict.selection.timeliness is Timeliness.NO_COMMITS
    assert _codes(verdict) == {"history.empty"}


def test_evaluate_refuses_a_tree_of_another_commit(tmp_path: Path, lab: Lab) -> None:
    repo, shas = progressive_repo(tmp_path / "r")
    history = read_history(repo.path, exercise_file=EXERCISE_FILE)
    wrong = read_snapshot(repo.path, shas[0], lambda p: False)
    template = read_template(lab.root / "template", [EXERCISE_FILE])
    with pytest.raises(ValueError, match=shas[-1]):
        evaluate_history(history, lab, POLICY, [], graded=wrong, template=template)


def test_without_template_every_line_counts(tmp_path: Path, lab: Lab) -> None:
    repo, shas = progressive_repo(tmp_path / "r")
    history = read_history(repo.path, exercise_file=EXERCISE_FILE)
    graded = read_snapshot(repo.path, shas[-1], lambda p: False)
    verdict = evaluate_history(history, lab, POLICY, [], graded=graded, template=None)
    assert {"history.template-missing", "history.protected-unchecked"} <= _codes(verdict)
    assert verdict.answer_commits == 6  # the template's own lines now count, in the root commit


def test_without_a_deadline_the_latest_state_is_graded(tmp_path: Path, lab: Lab) -> None:
    repo, _ = progressive_repo(tmp_path / "r")
    repo.write("notes.md", "after the usual deadline\n")
    latest = repo.commit("notes", at(days=30))
    verdict = assess_repository(repo.path, lab, None)
    assert (verdict.selection.sha, verdict.selection.timeliness) == (latest, Timeliness.NO_DEADLINE)
    assert (verdict.penalty, verdict.minutes_before_deadline) == (0, None)
    assert verdict.parts_reached_progressively == 4
    assert "history.late" not in _codes(verdict)
