"""git's machine output and the progress rules, on plain data: no repository."""

from __future__ import annotations

from datetime import UTC, datetime

from history_repos import EXERCISE_FILE, TEMPLATE_MD, answered

from grader.core.lab import HistoryRules
from grader.history.git_parse import (
    new_in_merge,
    parse_changes,
    parse_exercise_diffs,
    unquote,
)
from grader.history.model import AddedLine, Commit, ExerciseChange, History
from grader.history.progress import CommitProgress, Progress, last_minute_dump, measure_progress

OID_A = "a" * 40
OID_B = "b" * 40
ZERO = "0" * 40


def test_raw_and_numstat_records_pair_up() -> None:
    tokens = [
        f":100644 100644 {OID_A} {OID_B} M".encode(),
        b"shot.png",
        f":100644 100644 {OID_A} {OID_B} R087".encode(),
        b"old.md",
        b"new.md",
        f":100644 000000 {OID_A} {ZERO} D".encode(),
        b"gone.sql",
        b"-\t-\tshot.png",
        b"3\t1\t",
        b"old.md",
        b"new.md",
        b"0\t2\tgone.sql",
        b"",
    ]
    shot, renamed, gone = parse_changes(tokens)
    assert (shot.status, shot.binary, shot.blob) == ("M", True, OID_B)
    assert (renamed.status, renamed.old_path, renamed.path) == ("R", "old.md", "new.md")
    assert (renamed.added, renamed.deleted) == (3, 1)
    assert (gone.status, gone.blob, gone.deleted) == ("D", None, 2)


def test_added_lines_count_inside_hunks_only() -> None:
    diff = b"\n".join(
        [
            b"\x1e" + b"n0nce" + b"c" * 40,
            b"",
            b"diff --git a/lab.md b/lab.md",
            b"--- a/lab.md",
            b"+++ b/lab.md",
            b"@@ -3 +3,2 @@ ## Part 1",
            b"-___",
            b"+++ looks like a header but is content",
            b"+SELECT 1;\r",
            b"@@ -9,0 +11 @@",
            b"+\xe9t\xe9",
            b"\\ No newline at end of file",
            b"diff --git a/x.png b/x.png",
            b"Binary files a/x.png and b/x.png differ",
        ]
    )
    ((sha, files),) = parse_exercise_diffs(diff, "n0nce").items()
    assert sha == "c" * 40
    assert files == {
        "lab.md": [
            AddedLine(3, "++ looks like a header but is content"),
            AddedLine(4, "SELECT 1;"),
            AddedLine(11, "\ufffdt\ufffd"),
        ]
    }


def test_quoted_paths() -> None:
    assert unquote(b'"tab\\there \\"q\\" \\303\\251"') == 'tab\there "q" é'.encode()


def test_merge_lines_already_in_a_parent_are_dropped() -> None:
    added = [AddedLine(1, "x"), AddedLine(2, "x"), AddedLine(3, "fix")]
    assert new_in_merge(added, ["x\ny\n"]) == [AddedLine(2, "x"), AddedLine(3, "fix")]


PARTS = {"1.1a": "1", "2.1": "2", "3.2": "3", "4.2": "4", "Q1": "reflection"}


def _commit(sha: str, parent: str | None, text: str, added: dict[int, str]) -> Commit:
    when = datetime(2025, 3, 1, tzinfo=UTC)
    change = ExerciseChange(
        EXERCISE_FILE, tuple(AddedLine(n, t) for n, t in sorted(added.items())), text
    )
    parents = (parent,) if parent else ()
    return Commit(sha, parents, "S", "s@e", when, when, sha, True, (), change)


def _history(*commits: Commit) -> History:
    return History("HEAD", commits[-1].sha, tuple(reversed(commits)))


def _numbered(text: str) -> dict[int, str]:
    return dict(enumerate(text.splitlines(), start=1))


def test_answer_lines_belong_to_the_heading_above_them() -> None:
    root = _commit("r", None, TEMPLATE_MD, _numbered(TEMPLATE_MD))
    shell = ["SELECT 1;", "```", "```bash", "# Exercise 2.1 in a shell"]  # fence closed below
    text = answered(TEMPLATE_MD, "1.1a", *shell)
    text = text.replace("## Part 2 — Replication", "## Part 2 — Replication\n\nMy notes.")
    lines = text.splitlines()
    added = {n: t for n, t in _numbered(text).items() if t not in TEMPLATE_MD.splitlines()}
    assert set(added.values()) == {"SELECT 1;", "```bash", "# Exercise 2.1 in a shell", "My notes."}
    first = _commit("a", "r", text, added)
    progress = measure_progress(_history(root, first), "a", template_text=TEMPLATE_MD, parts=PARTS)
    (only,) = progress.commits
    # the shell comment is not a heading; the part's intro belongs to no exercise
    assert (only.exercises, only.answer_lines) == (["1.1a"], 3)
    assert lines.index("My notes.") > lines.index("## Part 2 — Replication")
    assert progress.total_answer_lines == 3 and progress.last_commit_share == 1.0
    assert progress.parts_reached_progressively == 0
    everything = measure_progress(_history(root, first), "a", template_text=None, parts=PARTS)
    assert [c.sha for c in everything.commits] == ["r", "a"]
    assert everything.parts_reached_progressively == 1  # the template's headings, in the root


def test_dump_rules() -> None:
    rules = HistoryRules()
    early = CommitProgress(sha="e" * 40, subject="s", answer_lines=2, parts=["1"], new_parts=["1"])
    final = CommitProgress(sha="f" * 40, subject="s", answer_lines=8, parts=["1", "2"])
    dumped = Progress(commits=[early, final])
    assert dumped.last_commit_share == 0.8
    assert dumped.parts_reached_progressively == 1
    assert last_minute_dump(dumped, 2.0, rules) is not None
    assert last_minute_dump(dumped, 121.0, rules) is None
    assert last_minute_dump(dumped, -30.0, rules) is not None  # late counts as last-minute
    assert last_minute_dump(dumped, None, rules) is None
    assert last_minute_dump(dumped, 2.0, rules.model_copy(update={"dump_share": 0.9})) is None
    single = Progress(commits=[final.model_copy(update={"parts": ["1", "2", "3"]})])
    assert "3 parts" in (last_minute_dump(single, None, rules) or "")
    assert last_minute_dump(Progress(commits=[final]), None, rules) is None
