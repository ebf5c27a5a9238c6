"""Real git repositories with chosen dates, for the history tests.

git runs with a throwaway HOME and no system or global configuration, so the
machine's settings (hooks, default branch, signing) never leak into a test.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from grader.core.lab import Lab

GIT = shutil.which("git")
requires_git = pytest.mark.skipif(GIT is None, reason="git is not installed")

DEADLINE = datetime(2025, 3, 14, 23, 59, tzinfo=UTC)
EXERCISE_FILE = "exercises/lab.md"
HEADINGS = {
    "1.1a": "### Exercise 1.1a — Horizontal fragments",
    "2.1": "### Exercise 2.1 — Shard placements",
    "3.2": "### Exercise 3.2 — AI model performance",
    "4.2": "### Exercise 4.2 — Run the 2PC",
    "Q1": "### Q1 — Difficulty",
}
TEMPLATE_MD = f"""# Lab — MediAI

Replace each blank with your answer.

## Part 1 — Fragmentation

{HEADINGS["1.1a"]}

```sql
___
```

## Part 2 — Replication

{HEADINGS["2.1"]}

___

## Part 3 — Distributed queries

{HEADINGS["3.2"]}

```sql
___
```

## Part 4 — 2PC

{HEADINGS["4.2"]}

___

## Reflection questions

{HEADINGS["Q1"]}

___
"""
TEMPLATE_FILES: Mapping[str, bytes] = {
    EXERCISE_FILE: TEMPLATE_MD.encode(),
    "solutions/answers.sql": b"-- the professor's answers\nSELECT 1;\n",
    "data/schema-mediAI.sql": b"CREATE TABLE Patients (idPatient int);\n",
    "docs/cluster.png": b"\x89PNG\r\n\x1a\n template diagram",
    "README.md": b"# MediAI lab\n",
}


def answered(text: str, exercise: str, *lines: str) -> str:
    """The exercise file with the first blank under `exercise` replaced by `lines`."""
    heading = HEADINGS[exercise]
    start = text.index(heading)
    blank = text.index("___", start)
    return text[:blank] + "\n".join(lines) + text[blank + 3 :]


def at(days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0) -> datetime:
    """A time relative to DEADLINE (negative: before it)."""
    return DEADLINE + timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


class Repo:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.home = path.parent / f"{path.name}-home"
        self.home.mkdir(parents=True, exist_ok=True)
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def env(self, when: datetime | None, extra: Mapping[str, str]) -> dict[str, str]:
        env = {
            "HOME": str(self.home),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": str(self.home / "gitconfig"),
            "GIT_AUTHOR_NAME": "Student",
            "GIT_AUTHOR_EMAIL": "student@example.edu",
            "GIT_COMMITTER_NAME": "Student",
            "GIT_COMMITTER_EMAIL": "student@example.edu",
        }
        if when is not None:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
        return env | dict(extra)

    def git(
        self,
        *args: str,
        when: datetime | None = None,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
    ) -> str:
        proc = subprocess.run(
            [GIT or "git", "-C", str(self.path), *args],
            input=stdin,
            capture_output=True,
            env=self.env(when, env or {}),
            check=True,
        )
        return proc.stdout.decode().strip()

    def write(self, rel: str, content: str | bytes) -> None:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            target.write_text(content, encoding="utf-8")
        else:
            target.write_bytes(content)

    def read(self, rel: str) -> str:
        return (self.path / rel).read_text(encoding="utf-8")

    def commit(self, message: str, when: datetime, env: Mapping[str, str] | None = None) -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message, when=when, env=env)
        return self.git("rev-parse", "HEAD")

    def answer(self, exercise: str, *lines: str) -> None:
        self.write(EXERCISE_FILE, answered(self.read(EXERCISE_FILE), exercise, *lines))


def classroom_repo(path: Path, created: datetime | None = None) -> Repo:
    """A student's repository as GitHub Classroom creates it: one commit of the template."""
    repo = Repo(path)
    for rel, data in TEMPLATE_FILES.items():
        repo.write(rel, data)
    repo.commit("Initial commit", created or at(days=-14))
    return repo


def write_template(root: Path) -> Path:
    for rel, data in TEMPLATE_FILES.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


def make_lab(bundle: Path, **history: object) -> Lab:
    """A lab whose bundle folder holds the test template."""
    write_template(bundle / "template")
    parts = {"1.1a": "1", "2.1": "2", "3.2": "3", "4.2": "4", "Q1": "reflection"}
    return Lab.model_validate(
        {
            "id": "mediai-test",
            "title": "MediAI (test)",
            "version": "1",
            "database": "mediAI",
            "exercise_file": EXERCISE_FILE,
            "setup": {"schema_sql": "s.sql", "distribute_sql": "d.sql", "seed_sql": "e.sql"},
            "history": {"protected_paths": ["solutions/", "data/schema-mediAI.sql"], **history},
            "exercises": [
                {"id": i, "part": p, "title": HEADINGS[i], "points": 1} for i, p in parts.items()
            ],
            "root": bundle,
        }
    )


def progressive_repo(path: Path) -> tuple[Repo, list[str]]:
    """Part 1 to 4 and the reflection, one commit a day, the last three days before."""
    repo = classroom_repo(path)
    shas = []
    work = [
        ("1.1a", "Part 1 done", ["CREATE VIEW TrainingData_Paris AS", "SELECT * FROM t;"]),
        ("2.1", "Part 2 done", ["Each shard has 2 placements.", "shardstate 1 is healthy."]),
        ("3.2", "Part 3 done", ["SELECT siteOrigin, COUNT(*)", "FROM TrainingData GROUP BY 1;"]),
        ("4.2", "Part 4 done", ["PREPARE TRANSACTION 'x';", "COMMIT PREPARED 'x';"]),
        ("Q1", "FINAL SUBMISSION", ["The hardest part was the 2PC failure scenario."]),
    ]
    for day, (exercise, message, lines) in enumerate(work):
        repo.answer(exercise, *lines)
        shas.append(repo.commit(message, at(days=day - 5, hours=-3)))
    return repo, shas
