"""Protected files, screenshots and rewritten history, on real repositories."""

from __future__ import annotations

from pathlib import Path

from history_repos import Repo, at, classroom_repo, requires_git, write_template

from grader.core.findings import Severity
from grader.core.lab import HistoryRules
from grader.history.assess import read_template
from grader.history.deadline import PushRecord
from grader.history.git_log import is_ancestor, read_history, read_snapshot
from grader.history.integrity import (
    force_push_findings,
    is_protected,
    protected_findings,
    screenshot_findings,
)
from grader.history.model import History, Snapshot

pytestmark = requires_git

RULES = HistoryRules(protected_paths=["solutions/", "data/schema-mediAI.sql"])


def _state(repo: Repo, template_root: Path | None) -> tuple[History, Snapshot, Snapshot | None]:
    history = read_history(repo.path)
    assert history.head is not None
    graded = read_snapshot(
        repo.path, history.head, lambda p: is_protected(p, RULES.protected_paths)
    )
    template = (
        None if template_root is None else read_template(template_root, RULES.protected_paths)
    )
    return history, graded, template


def test_protected_paths() -> None:
    assert is_protected("solutions/a/b.sql", ["solutions/"])
    assert is_protected("data/schema-mediAI.sql", ["data/schema-mediAI.sql"])
    assert not is_protected("data/my-views.sql", ["solutions/", "data/schema-mediAI.sql"])
    assert not is_protected("solutions.md", ["solutions/"])


def test_tampered_solution_names_file_and_commit(tmp_path: Path) -> None:
    repo = classroom_repo(tmp_path / "r")
    repo.answer("1.1a", "SELECT 1;")
    repo.commit("part 1", at(days=-3))
    repo.write("solutions/answers.sql", "-- my own answers now\n")
    tamper = repo.commit("oops", at(days=-2))
    repo.write("data/schema-mediAI.sql", "CREATE TABLE Patients (idPatient int);\r\n")
    repo.commit("windows line ends", at(days=-1))
    history, graded, template = _state(repo, write_template(tmp_path / "template"))
    (finding,) = protected_findings(history, graded, template, RULES)
    assert finding.code == "history.protected-modified"
    assert finding.file == "solutions/answers.sql"
    assert finding.severity is Severity.WARNING  # no penalty in the rubric: a person decides
    assert "modified" in finding.message and tamper[:7] in finding.message
    penalised = RULES.model_copy(update={"protected_penalty": 3.0})
    assert protected_findings(history, graded, template, penalised)[0].severity is Severity.ERROR


def test_deleted_added_and_restored_protected_files(tmp_path: Path) -> None:
    repo = classroom_repo(tmp_path / "r")
    repo.write("solutions/answers.sql", "SELECT 'peek';\n")
    changed = repo.commit("change", at(days=-3))
    repo.write("solutions/answers.sql", b"-- the professor's answers\nSELECT 1;\n")
    repo.commit("put it back", at(days=-2))
    (repo.path / "data/schema-mediAI.sql").unlink()
    repo.write("solutions/extra.sql", "SELECT 2;\n")
    gone = repo.commit("clean up", at(days=-1))
    history, graded, template = _state(repo, write_template(tmp_path / "template"))
    found = {f.file: f for f in protected_findings(history, graded, template, RULES)}
    assert set(found) == {"data/schema-mediAI.sql", "solutions/answers.sql", "solutions/extra.sql"}
    assert "deleted" in found["data/schema-mediAI.sql"].message
    assert gone[:7] in found["data/schema-mediAI.sql"].message
    assert "added" in found["solutions/extra.sql"].message
    restored = found["solutions/answers.sql"]
    assert (restored.code, restored.severity) == ("history.protected-restored", Severity.INFO)
    assert changed[:7] in restored.message


def test_without_a_template_the_changing_commits_are_still_named(tmp_path: Path) -> None:
    repo = classroom_repo(tmp_path / "r")
    repo.write("solutions/answers.sql", "changed\n")
    tamper = repo.commit("change", at(days=-1))
    history, graded, _ = _state(repo, None)
    unchecked, touched = protected_findings(history, graded, None, RULES)
    assert unchecked.code == "history.protected-unchecked"
    assert (touched.code, touched.file) == ("history.protected-touched", "solutions/answers.sql")
    assert tamper[:7] in touched.message


def test_screenshots_are_flagged_but_not_the_templates_images(tmp_path: Path) -> None:
    repo = classroom_repo(tmp_path / "r")
    repo.write("exercises/result.PNG", b"\x89PNG\r\n\x1a\n\x00result")
    repo.write("shots/q1.jpeg", b"\xff\xd8\xff\xe0 jpeg")
    added = repo.commit("results", at(days=-1))
    history, graded, template = _state(repo, write_template(tmp_path / "template"))
    findings = screenshot_findings(history, graded, template, RULES)
    assert [f.file for f in findings] == ["exercises/result.PNG", "shots/q1.jpeg"]
    assert all(f.code == "history.screenshot" and added[:7] in f.message for f in findings)
    assert (
        screenshot_findings(
            history, graded, template, RULES.model_copy(update={"text_only": False})
        )
        == []
    )


def test_rewritten_history_is_flagged_with_the_vanished_commits(tmp_path: Path) -> None:
    repo = classroom_repo(tmp_path / "r")
    root = repo.git("rev-parse", "HEAD")
    repo.write("a.txt", "1\n")
    first = repo.commit("one", at(days=-3))
    repo.write("a.txt", "2\n")
    second = repo.commit("two", at(days=-2))
    repo.git("reset", "-q", "--hard", first)
    repo.write("a.txt", "rewritten\n")
    rewritten = repo.commit("two, again", at(days=-1))
    pushes = [
        PushRecord(sha=root, pushed_at=at(days=-14), before_sha="0" * 40),
        PushRecord(sha=first, pushed_at=at(days=-3), before_sha=root),
        PushRecord(sha=second, pushed_at=at(days=-2), before_sha=first),
        PushRecord(sha=rewritten, pushed_at=at(days=-1), before_sha=second),
    ]
    history = read_history(repo.path)
    answers = {
        (p.before_sha or "", p.sha): is_ancestor(repo.path, p.before_sha or "", p.sha)
        for p in pushes[1:]
    }
    assert answers[(second, rewritten)] is False
    (finding,) = force_push_findings(history, pushes, answers)
    assert finding.code == "history.force-push"
    assert f"{second[:7]} is not an ancestor of {rewritten[:7]}" in finding.message
    assert f"vanished: {second[:7]}" in finding.message
    # without git's answers (the old head is gone from a fresh clone) the history decides
    assert len(force_push_findings(history, pushes, {})) == 1


def test_forced_flag_alone_is_reported(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.write("a.txt", "1\n")
    first = repo.commit("one", at(days=-2))
    repo.write("a.txt", "2\n")
    second = repo.commit("two", at(days=-1))
    history = read_history(repo.path)
    plain = PushRecord(sha=second, pushed_at=at(days=-1), before_sha=first)
    assert force_push_findings(history, [plain], {}) == []
    forced = plain.model_copy(update={"forced": True})
    (finding,) = force_push_findings(history, [forced], {})
    assert "recorded it as forced" in finding.message
