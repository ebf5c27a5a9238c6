"""read_submission on real directory trees: renamed files, links out, huge, binary, bad UTF-8."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grader.core.findings import Finding, Severity
from grader.core.lab import Exercise, Lab, SetupSpec
from grader.submission.reader import list_files, read_submission

EXERCISE_FILE = "exercises/01-TP-Pratique-MediAI.md"
ANSWER = "## Exercise 3.2\n\n```sql\nSELECT 1;\n```\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"


def make_lab(tmp_path: Path) -> Lab:
    bundle = tmp_path / "bundle"
    (bundle / "template" / "data").mkdir(parents=True)
    (bundle / "template" / "data" / "schema-mediAI.sql").write_text("CREATE TABLE p (a int);\n")
    return Lab(
        id="mediai",
        title="MediAI",
        version="1",
        database="mediAI",
        exercise_file=EXERCISE_FILE,
        setup=SetupSpec(schema_sql="s.sql", distribute_sql="d.sql", seed_sql="x.sql"),
        exercises=[Exercise(id=i, part=i[0], title=i, points=1) for i in ("3.2", "3.3", "Q1")],
        root=bundle,
    )


def write(root: Path, path: str, data: str | bytes) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        target.write_bytes(data)
    else:
        target.write_text(data, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write(root, EXERCISE_FILE, ANSWER)
    write(root, "README.md", "# readme\n")
    write(root, ".git/HEAD", "ref: refs/heads/main\n")
    return root


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def test_reads_answers_files_and_extra_sql(tmp_path: Path, repo: Path) -> None:
    write(repo, "data/schema-mediAI.sql", "CREATE TABLE p (a int);\n")  # from the template
    write(repo, "data/my-views.sql", "CREATE VIEW v AS SELECT 1;\n")
    write(repo, "data/more/q33.sql", "SELECT 3;\n")
    sub = read_submission(repo, make_lab(tmp_path), max_bytes=10_000)
    assert sub.findings == []
    assert sub.exercise_file == EXERCISE_FILE
    assert sub.answers["3.2"].sql[0].text == "SELECT 1;" and sub.answers["3.2"].sql[0].line == 4
    assert sub.files == [
        "README.md",
        "data/more/q33.sql",
        "data/my-views.sql",
        "data/schema-mediAI.sql",
        EXERCISE_FILE,
    ]
    assert sub.extra_sql == {
        "data/more/q33.sql": "SELECT 3;\n",
        "data/my-views.sql": "CREATE VIEW v AS SELECT 1;\n",
    }


def test_renamed_exercise_file_is_used_with_a_warning(tmp_path: Path, repo: Path) -> None:
    (repo / EXERCISE_FILE).rename(repo / "exercises" / "mon-tp-final.md")
    write(repo, "exercises/notes.md", "## Exercise 3.3\n")
    sub = read_submission(repo, make_lab(tmp_path), max_bytes=10_000)
    assert sub.exercise_file == "exercises/mon-tp-final.md"
    assert list(sub.answers) == ["3.2"]
    [finding] = sub.findings
    assert finding.code == "reader.renamed-exercise-file" and finding.severity == Severity.WARNING
    assert "exercises/mon-tp-final.md" in finding.message


def test_missing_exercise_file(tmp_path: Path, repo: Path) -> None:
    (repo / EXERCISE_FILE).unlink()
    write(repo, "exercises/notes.md", ANSWER)
    sub = read_submission(repo, make_lab(tmp_path), max_bytes=10_000)
    assert sub.answers == {} and sub.exercise_file == EXERCISE_FILE
    assert [(f.code, f.severity) for f in sub.findings] == [
        ("reader.no-exercise-file", Severity.ERROR)
    ]


def test_symlinks_leaving_the_root_are_not_followed(tmp_path: Path, repo: Path) -> None:
    secret = tmp_path / "secret.sql"
    secret.write_text("SELECT 'secret';\n")
    outside_dir = tmp_path / "elsewhere"
    outside_dir.mkdir()
    (outside_dir / "x.sql").write_text("SELECT 'x';\n")
    (repo / "data").mkdir()
    os.symlink(secret, repo / "data" / "leak.sql")
    os.symlink(outside_dir, repo / "data" / "linked")
    sub = read_submission(repo, make_lab(tmp_path), max_bytes=10_000)
    assert "data/leak.sql" in sub.files and "data/linked" in sub.files
    assert not any(path.startswith("data/linked/") for path in sub.files)
    assert sub.extra_sql == {}
    assert codes(sub.findings) == ["reader.symlink-outside"]
    assert sub.findings[0].file == "data/leak.sql"


def test_exercise_file_linking_outside_is_not_read(tmp_path: Path, repo: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text(ANSWER)
    (repo / EXERCISE_FILE).unlink()
    os.symlink(outside, repo / EXERCISE_FILE)
    sub = read_submission(repo, make_lab(tmp_path), max_bytes=10_000)
    assert sub.answers == {} and codes(sub.findings) == ["reader.symlink-outside"]


def test_huge_file_is_cut_at_the_cap_without_breaking_a_character(
    tmp_path: Path, repo: Path
) -> None:
    body = ANSWER + "## Exercise 3.3\n" + "é" * 5_000  # 2 bytes each
    write(repo, EXERCISE_FILE, body)
    cap = len(ANSWER.encode()) + len("## Exercise 3.3\n") + 101  # cuts an é in half
    sub = read_submission(repo, make_lab(tmp_path), max_bytes=cap)
    assert codes(sub.findings) == ["reader.too-large"]
    assert sub.findings[0].severity == Severity.WARNING and str(cap) in sub.findings[0].message
    assert sub.answers["3.3"].prose[0].text == "é" * 50


def test_invalid_utf8_is_replaced_and_the_first_bad_line_named(tmp_path: Path, repo: Path) -> None:
    write(repo, EXERCISE_FILE, ANSWER.encode() + b"## Exercise 3.3\nR\xe9ponse en latin-1\n")
    sub = read_submission(repo, make_lab(tmp_path), max_bytes=10_000)
    assert [(f.code, f.line) for f in sub.findings] == [("reader.not-utf8", 7)]
    assert sub.answers["3.3"].prose[0].text == "R\ufffdponse en latin-1"
    assert sub.answers["3.2"].sql[0].text == "SELECT 1;"


def test_png_renamed_to_md_is_not_markdown(tmp_path: Path, repo: Path) -> None:
    write(repo, EXERCISE_FILE, PNG)
    sub = read_submission(repo, make_lab(tmp_path), max_bytes=10_000)
    assert sub.answers == {}
    assert [(f.code, f.severity) for f in sub.findings] == [("reader.not-markdown", Severity.ERROR)]


def test_text_without_headings_is_not_markdown(tmp_path: Path, repo: Path) -> None:
    write(repo, EXERCISE_FILE, "SELECT 1;\nno headings here\n")
    sub = read_submission(repo, make_lab(tmp_path), max_bytes=10_000)
    assert sub.answers == {} and codes(sub.findings) == ["reader.not-markdown"]


def test_binary_extra_sql_is_reported_not_kept(tmp_path: Path, repo: Path) -> None:
    write(repo, "data/dump.sql", PNG)
    sub = read_submission(repo, make_lab(tmp_path), max_bytes=10_000)
    assert sub.extra_sql == {} and codes(sub.findings) == ["reader.binary-file"]


def test_list_files_skips_git_and_uses_posix_paths(repo: Path) -> None:
    write(repo, "a/b/c.txt", "x")
    assert list_files(repo) == ["README.md", "a/b/c.txt", EXERCISE_FILE]
