"""What a corpus case is, how a built case is read back, and how a TA verdict is checked.

A verdict is one of: "full" (every point), "quarter" (loses at least a quarter of the
exercise's points), "seed" (a hard-coded answer: loses at least a quarter, with a finding
whose code speaks of the seed or a variant data set), "fabricated" (a paste edited by hand:
loses at least a quarter, with an integrity finding), "late" (report level: work pushed
after the deadline is reported). Finding codes are matched loosely, by pattern, because the
codes for hard-coding and fabricated pastes are still being named.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from grader.core.report import Report
from grader.history.deadline import DeadlinePolicy

CORPUS = Path(__file__).parent / "corpus"
EXERCISE_FILE = "exercises/01-TP-Pratique-MediAI.md"
AUTO_GRADED = ("1.1a", "1.1b", "1.2b", "1.3", "1.4", "2.1", "3.1", "3.2", "3.3", "4.2", "4.3a")
SEED_CODE = re.compile(r"seed|variant|hard-?cod", re.I)
FABRICATED_CODE = re.compile(r"unreproducible|fabricat|integrity|tamper|forged", re.I)
LATE_CODE = re.compile(r"\blate\b|history\.late", re.I)

Paste = Callable[[str, str], str]  # (genuine psql output, the SQL) -> what the student pasted


@dataclass(frozen=True)
class Verdict:
    kind: str  # full | quarter | seed | fabricated | late
    why: str  # the TA's reasoning, one line


@dataclass
class Commit:
    hours: float  # relative to the case's deadline (negative: before it)
    message: str
    sql: dict[str, str] = field(default_factory=dict)  # exercise -> SQL at this commit


@dataclass
class Case:
    name: str
    about: str
    sql: dict[str, str] = field(default_factory=dict)  # exercise -> SQL run and shown
    shown: dict[str, str] = field(default_factory=dict)  # exercise -> answer text if not the SQL
    paste: dict[str, Paste] = field(default_factory=dict)
    data_files: dict[str, str] = field(default_factory=dict)  # data/<name> -> content
    french: bool = False
    history: list[Commit] = field(default_factory=list)
    verdicts: dict[str, Verdict] = field(default_factory=dict)


DEADLINE = datetime.fromisoformat("2026-03-15T23:59:00+00:00")


@dataclass(frozen=True)
class BuiltCase:
    name: str
    about: str
    folder: Path
    verdicts: dict[str, Verdict]
    history: list[dict[str, object]]  # [{hours, message, file}] or [] for a plain folder

    def checkout(self, scratch: Path) -> Path:
        """The folder to grade: the case itself, or a git clone replayed from its history."""
        if not self.history:
            return self.folder
        repo = scratch / self.name
        shutil.copytree(self.folder, repo, ignore=shutil.ignore_patterns("case.json", "history"))
        template = self.folder.parent.parent.parent.parent / "rubrics/mediai/template"
        (repo / EXERCISE_FILE).write_bytes((template / EXERCISE_FILE).read_bytes())
        _git(repo, "init", "-q", "-b", "main")
        _commit(repo, "Initial commit", -14 * 24)
        for step in self.history:
            (repo / EXERCISE_FILE).write_bytes((self.folder / str(step["file"])).read_bytes())
            _commit(repo, str(step["message"]), float(str(step["hours"])))
        return repo

    @property
    def policy(self) -> DeadlinePolicy | None:
        return DeadlinePolicy(deadline=DEADLINE) if self.history else None


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> None:
    base = {
        "HOME": str(repo),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_AUTHOR_NAME": "Student",
        "GIT_AUTHOR_EMAIL": "student@example.edu",
        "GIT_COMMITTER_NAME": "Student",
        "GIT_COMMITTER_EMAIL": "student@example.edu",
    }
    subprocess.run(
        ["git", "-C", str(repo), *args], env=base | (env or {}), check=True, capture_output=True
    )


def _commit(repo: Path, message: str, hours: float) -> None:
    from datetime import timedelta

    when = (DEADLINE + timedelta(hours=hours)).isoformat()
    _git(repo, "add", "-A")
    _git(
        repo,
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        message,
        env={"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when},
    )


def load_corpus() -> list[BuiltCase]:
    cases = []
    for meta in sorted(CORPUS.glob("*/case.json")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        cases.append(
            BuiltCase(
                name=data["name"],
                about=data["about"],
                folder=meta.parent,
                verdicts={k: Verdict(v["kind"], v["why"]) for k, v in data["verdicts"].items()},
                history=data["history"],
            )
        )
    return cases


def disagreement(report: Report, exercise: str, verdict: Verdict) -> str | None:
    """Why the grader's report disagrees with the TA's verdict, or None when they agree."""
    if exercise == "history":
        codes = [f.code for f in report.findings]
        return (
            None if any(LATE_CODE.search(c) for c in codes) else f"no late-work finding in {codes}"
        )
    ex = next((e for e in report.exercises if e.id == exercise), None)
    if ex is None:
        return "exercise missing from the report"
    codes = [f.code for f in ex.findings]
    fabricated = [c for c in codes if FABRICATED_CODE.search(c)]
    lost = ex.max_score - ex.score
    if verdict.kind == "full":
        if lost > 1e-6:
            return f"{ex.score:g}/{ex.max_score:g} instead of full points"
    elif lost < ex.max_score / 4 - 1e-6:
        return f"{ex.score:g}/{ex.max_score:g}: loses less than a quarter"
    if verdict.kind == "seed" and not any(SEED_CODE.search(c) for c in codes):
        return f"no hard-coding finding in {codes}"
    if verdict.kind == "fabricated" and not fabricated:
        return f"no fabricated-paste finding in {codes}"
    if verdict.kind != "fabricated" and fabricated:
        return f"an honest paste flagged: {fabricated}"
    return None
