"""Reading real repositories: root commits, merges, renames, binaries, odd names, caps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from history_repos import EXERCISE_FILE, TEMPLATE_MD, Repo, at, classroom_repo, requires_git

from grader.history.git_log import GitError, is_ancestor, read_history, read_snapshot

pytestmark = requires_git


def test_empty_repository_has_no_commits(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "empty")
    history = read_history(repo.path, exercise_file=EXERCISE_FILE)
    assert history.head is None
    assert history.commits == ()


def test_unknown_ref_and_non_repository_are_errors(tmp_path: Path) -> None:
    repo = classroom_repo(tmp_path / "r")
    with pytest.raises(GitError, match="does not name a commit"):
        read_history(repo.path, "no-such-branch")
    with pytest.raises(GitError):
        read_history(repo.path, "--all")
    (tmp_path / "plain").mkdir()
    with pytest.raises(GitError):
        read_history(tmp_path / "plain")


def test_root_commit_lists_every_file_and_line(tmp_path: Path) -> None:
    repo = classroom_repo(tmp_path / "r")
    history = read_history(repo.path, exercise_file=EXERCISE_FILE)
    (root,) = history.commits
    assert root.parents == ()
    assert root.first_parent
    assert root.subject == "Initial commit"
    assert {f.path: f.status for f in root.files}["solutions/answers.sql"] == "A"
    assert root.exercise is not None
    assert [a.text for a in root.exercise.added] == TEMPLATE_MD.splitlines()
    assert root.exercise.text == TEMPLATE_MD


def test_times_keep_the_committers_offset(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.write("a.txt", "a\n")
    tunis = timezone(timedelta(hours=1))
    repo.commit("first", datetime(2025, 3, 1, 10, 30, tzinfo=tunis))
    (commit,) = read_history(repo.path).commits
    assert commit.committed_at.utcoffset() == timedelta(hours=1)
    assert commit.committed_at == datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    assert commit.authored_at == commit.committed_at


def test_binary_files_have_no_line_counts(tmp_path: Path) -> None:
    repo = classroom_repo(tmp_path / "r")
    repo.write("docs/cluster.png", b"\x89PNG\r\n\x1a\n\x00 changed")
    repo.write("notes.txt", "one\ntwo\n")
    repo.commit("screenshot", at(days=-1))
    latest = read_history(repo.path).commits[0]
    changes = {f.path: f for f in latest.files}
    assert changes["docs/cluster.png"].status == "M"
    assert changes["docs/cluster.png"].binary
    assert (changes["notes.txt"].added, changes["notes.txt"].deleted) == (2, 0)
    assert not changes["notes.txt"].binary


def test_renamed_exercise_file_is_followed(tmp_path: Path) -> None:
    repo = classroom_repo(tmp_path / "r")
    repo.git("mv", EXERCISE_FILE, "exercises/my-answers.md")
    text = repo.read("exercises/my-answers.md").replace("___", "SELECT 42;", 1)
    repo.write("exercises/my-answers.md", text)
    rename = repo.commit("rename and answer", at(days=-2))
    repo.write("exercises/my-answers.md", text + "\nmore\n")
    later = repo.commit("more", at(days=-1))
    history = read_history(repo.path, exercise_file=EXERCISE_FILE)
    assert history.exercise_paths == {EXERCISE_FILE, "exercises/my-answers.md"}
    renamed = history.commit(rename)
    (change,) = [f for f in renamed.files if f.status == "R"]
    assert (change.old_path, change.path) == (EXERCISE_FILE, "exercises/my-answers.md")
    assert renamed.exercise is not None
    assert renamed.exercise.path == "exercises/my-answers.md"
    assert [a.text for a in renamed.exercise.added] == ["SELECT 42;"]
    assert history.commit(later).exercise is not None


def test_merge_keeps_only_lines_no_parent_had(tmp_path: Path) -> None:
    repo = classroom_repo(tmp_path / "r")
    repo.git("checkout", "-q", "-b", "side")
    repo.answer("2.1", "Two placements per shard.")
    side = repo.commit("part 2 on a branch", at(days=-3))
    repo.git("checkout", "-q", "main")
    repo.answer("1.1a", "CREATE VIEW TrainingData_Paris AS SELECT 1;")
    main = repo.commit("part 1", at(days=-2))
    repo.git("merge", "-q", "--no-edit", "side", when=at(days=-1))
    history = read_history(repo.path, exercise_file=EXERCISE_FILE)
    merge = history.commits[0]
    assert merge.is_merge
    assert merge.parents == (main, side)
    assert merge.first_parent and history.commit(main).first_parent
    assert not history.commit(side).first_parent
    assert any(f.path == EXERCISE_FILE for f in merge.files)  # compared with the first parent
    assert merge.exercise is not None and merge.exercise.added == ()
    side_lines = history.commit(side).exercise
    assert side_lines is not None
    assert [a.text for a in side_lines.added] == ["Two placements per shard."]
    assert history.ancestors(merge.sha) == {c.sha for c in history.commits}


def test_author_names_in_other_encodings_are_read(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    repo.write("a.txt", "a\n")
    repo.git("config", "i18n.commitEncoding", "ISO-8859-1")
    # "José" in Latin-1, as an old Windows git writes it, with an encoding header
    declared = repo.commit("latin-1", at(days=-2), env={"GIT_AUTHOR_NAME": "Jos\udce9"})
    tree = repo.git("rev-parse", "HEAD^{tree}")
    # the same bytes with no header: not valid UTF-8, and git cannot know what they are
    raw = (
        f"tree {tree}\nparent {declared}\n".encode()
        + b"author Jos\xe9 <jose@example.edu> 1741910340 +0000\n"
        + b"committer Jos\xe9 <jose@example.edu> 1741910340 +0000\n\nr\xe9sum\xe9\n"
    )
    undeclared = repo.git("hash-object", "-t", "commit", "-w", "--stdin", stdin=raw)
    repo.git("update-ref", "refs/heads/main", undeclared)
    history = read_history(repo.path)
    assert history.commit(declared).author_name == "José"
    assert history.commit(undeclared).author_name == "Jos\ufffd"
    assert history.commit(undeclared).subject == "r\ufffdsum\ufffd"


def test_history_is_capped(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "r")
    shas = []
    for n in range(5):
        repo.write("a.txt", f"{n}\n")
        shas.append(repo.commit(f"commit {n}", at(days=n - 10)))
    history = read_history(repo.path, max_commits=3)
    assert history.truncated
    assert [c.sha for c in history.commits] == shas[:1:-1]
    assert history.is_ancestor(shas[0], shas[-1]) is None  # beyond the cap: unknown
    assert not read_history(repo.path, max_commits=5).truncated


def test_repository_drivers_never_run(tmp_path: Path) -> None:
    repo = classroom_repo(tmp_path / "r")
    marker = tmp_path / "textconv-ran"
    repo.git("config", "diff.evil.textconv", f"touch {marker}; cat")
    repo.write(".gitattributes", "*.md diff=evil\n")
    repo.answer("1.1a", "SELECT 1;")
    repo.commit("answer", at(days=-1))
    repo.git("log", "-p", "-1")
    assert marker.exists(), "the driver should run for a plain git log -p"
    marker.unlink()
    history = read_history(repo.path, exercise_file=EXERCISE_FILE)
    assert not marker.exists()
    latest = history.commits[0].exercise
    assert latest is not None and [a.text for a in latest.added] == ["SELECT 1;"]


def test_ancestry_and_snapshot(tmp_path: Path) -> None:
    repo = classroom_repo(tmp_path / "r")
    first = repo.git("rev-parse", "HEAD")
    repo.write("solutions/answers.sql", "SELECT 2;\r\n")
    second = repo.commit("edit", at(days=-1))
    assert is_ancestor(repo.path, first, second) is True
    assert is_ancestor(repo.path, second, first) is False
    assert is_ancestor(repo.path, "0123456789abcdef0123456789abcdef01234567", second) is None
    assert is_ancestor(repo.path, "--all", second) is None
    snapshot = read_snapshot(repo.path, second, lambda p: p.startswith("solutions/"))
    assert snapshot.sha == second
    assert "docs/cluster.png" in snapshot.paths
    assert dict(snapshot.contents) == {"solutions/answers.sql": b"SELECT 2;\r\n"}
    small = read_snapshot(repo.path, second, lambda p: True, max_bytes=13)
    assert set(small.contents) == {"solutions/answers.sql", "README.md"}


def test_exercise_file_names_are_literal_not_globs(tmp_path: Path) -> None:
    repo = classroom_repo(tmp_path / "r")
    repo.git("mv", EXERCISE_FILE, "exercises/lab[1].md")
    repo.commit("odd name", at(days=-3))
    repo.write("exercises/lab1.md", "a file\nthe glob\nwould match\n")
    text = repo.read("exercises/lab[1].md").replace("___", "SELECT 1;", 1)
    repo.write("exercises/lab[1].md", text)
    both = repo.commit("another file", at(days=-2))
    history = read_history(repo.path, exercise_file=EXERCISE_FILE)
    assert history.exercise_paths == {EXERCISE_FILE, "exercises/lab[1].md"}
    change = history.commit(both).exercise
    assert change is not None
    assert (change.path, [a.text for a in change.added]) == ("exercises/lab[1].md", ["SELECT 1;"])
