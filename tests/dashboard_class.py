"""A graded class for the dashboard tests, built once per test session.

Real git repositories of five students, hosted by the GitHub stand-in (so a real worker can
clone them again), with commit dates and push times around a deadline, graded by a real
GradingSession on plain PostgreSQL:

    alice  complete, in two pushes (half, then all), days before the deadline
    bob    partial-mistakes in one commit 40 minutes before the deadline, with one pasted
           result doctored (the engine cannot reproduce it): a last-minute dump
    carol  the untouched template, pushed a day after the deadline: late
    dave   hostile, and edits a protected file under solutions/
    erin   one push, still queued: no grade yet
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from github_standin import GitHubStandIn
from service_support import WorkRepo

from grader.core.lab import default_lab_path
from grader.core.report import Report
from grader.history.deadline import PushRecord
from grader.pipeline.session import GradingSession
from grader.settings import LocalCluster, Settings
from grader.store import pushes
from grader.store.assignments import Assignment

ORG = "classroom-org"
PREFIX = "tp-distributed-"
DEADLINE = datetime(2025, 3, 14, 22, 59, tzinfo=UTC)
ASSIGNMENT = Assignment(
    organisation=ORG,
    repository_prefix=PREFIX,
    lab="mediai",
    deadline=DEADLINE,
    grace=timedelta(minutes=10),
    late_penalty_per_day=10.0,
    cutoff=DEADLINE + timedelta(days=7),
)
LAB = default_lab_path()
EXAMPLES = LAB / "examples"
EXERCISE_FILE = "exercises/01-TP-Pratique-MediAI.md"
# Bob's pasted 3.3 result with Japan's total changed: psql never printed this.
REAL_ROW = " Japan   |               3 |        3 |   45700.00 | JPY"
DOCTORED_ROW = " Japan   |               3 |        3 |   99999.00 | JPY"


@dataclass
class PushSpec:
    sha: str
    before: str
    pushed_at: datetime
    status: str = pushes.GRADED
    report: Report | None = None  # None: no run for this push


@dataclass
class Student:
    login: str
    pushes: list[PushSpec] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return f"{ORG}/{PREFIX}{self.login}"


@dataclass
class World:
    standin: GitHubStandIn
    key_path: Path
    students: list[Student]
    root: Path

    def student(self, login: str) -> Student:
        return next(s for s in self.students if s.login == login)


class DatedRepo(WorkRepo):
    """A student's working copy, pushing to the stand-in's bare copy, with chosen dates."""

    def commit_tree(self, source: Path, at: datetime, **edits: str) -> str:
        """Make the working tree a copy of `source`, apply `edits` (path -> text), commit."""
        for item in self.path.iterdir():
            if item.name != ".git":
                shutil.rmtree(item) if item.is_dir() else item.unlink()
        shutil.copytree(source, self.path, dirs_exist_ok=True)
        for relative, text in edits.items():
            (self.path / relative).write_text(text, encoding="utf-8")
        self.git("add", "-A")
        self.git("commit", "--quiet", "--allow-empty", "-m", f"work of {at:%d %b}", at=at)
        return self.git("rev-parse", "HEAD")


def _exercise(example: str) -> str:
    return (EXAMPLES / example / EXERCISE_FILE).read_text(encoding="utf-8")


def _half_done() -> str:
    """Parts 1 and 2 of `complete`, the rest still the template's."""
    done, todo = _exercise("complete"), (LAB / "template" / EXERCISE_FILE).read_text("utf-8")
    cut = "## Part 3"
    return done[: done.index(cut)] + todo[todo.index(cut) :]


def _build(standin: GitHubStandIn, root: Path) -> list[Student]:
    """The repositories and their histories; pushes are recorded, not yet graded."""
    template = LAB / "template"
    plan: dict[str, list[tuple[Path, timedelta, timedelta, dict[str, str]]]] = {
        # (tree, commit time and push time relative to the deadline, edits)
        "alice": [
            (
                template,
                timedelta(days=-5),
                timedelta(days=-5, minutes=2),
                {EXERCISE_FILE: _half_done()},
            ),
            (EXAMPLES / "complete", timedelta(days=-3), timedelta(days=-3, minutes=1), {}),
        ],
        "bob": [
            (
                EXAMPLES / "partial-mistakes",
                timedelta(minutes=-40),
                timedelta(minutes=-38),
                {EXERCISE_FILE: _exercise("partial-mistakes").replace(REAL_ROW, DOCTORED_ROW)},
            ),
        ],
        "carol": [
            (
                template,
                timedelta(days=1, hours=2),
                timedelta(days=1, hours=2, minutes=5),
                {"README.md": (template / "README.md").read_text("utf-8") + "\nCarol\n"},
            ),
        ],
        "dave": [
            (
                EXAMPLES / "hostile",
                timedelta(days=-2),
                timedelta(days=-2, minutes=1),
                {"solutions/README.md": "my own solutions\n"},
            ),
        ],
    }
    assert DOCTORED_ROW not in _exercise("partial-mistakes")
    students = []
    for login, steps in plan.items():
        student = Student(login)
        repo = DatedRepo(root / login, standin.bare_repo(student.full_name))
        # GitHub Classroom creates the repository from the template: its first push
        first = repo.commit_tree(template, DEADLINE - timedelta(days=12))
        student.pushes.append(
            PushSpec(first, "0" * 40, DEADLINE - timedelta(days=12, minutes=-1), pushes.SUPERSEDED)
        )
        for tree, made, pushed, edits in steps:
            sha = repo.commit_tree(tree, DEADLINE + made, **edits)
            student.pushes.append(PushSpec(sha, student.pushes[-1].sha, DEADLINE + pushed))
        repo.git("push", "--quiet", "origin", "HEAD:refs/heads/main")
        students.append(student)
    erin = Student("erin", [PushSpec("e" * 40, "0" * 40, DEADLINE - timedelta(hours=1))])
    erin.pushes[0].status = pushes.QUEUED
    return [*students, erin]


def _grade(students: list[Student], root: Path) -> None:
    settings = Settings(local=LocalCluster(citus="off"))
    with GradingSession.open(settings) as session:
        for student in students:
            for i, push in enumerate(student.pushes):
                if push.status != pushes.GRADED:
                    continue
                records = [
                    PushRecord(sha=p.sha, pushed_at=p.pushed_at, forced=False, before_sha=p.before)
                    for p in student.pushes[: i + 1]
                ]
                push.report = session.grade_checkout(
                    root / student.login, pushes=records, policy=ASSIGNMENT.policy()
                )
                assert push.report.status.value == "completed", push.report.error


def build_world(root: Path, standin: GitHubStandIn, key_path: Path) -> World:
    students = _build(standin, root / "work")
    _grade(students, root / "work")
    return World(standin, key_path, students, root)
