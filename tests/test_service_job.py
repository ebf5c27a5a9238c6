"""The grading job against real PostgreSQL, real git over HTTP and the GitHub stand-in,
with a small stand-in grader in place of the cluster (test_service_e2e.py uses the real
GradingSession): what gets cloned, stored and posted, and what happens on a second run,
a newer push, an infrastructure failure or an oversized repository."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from github_standin import GitHubStandIn
from openapi_check import OPENAPI
from pydantic import SecretStr
from service_support import APP_ID, INSTALLATION_ID, WorkRepo, rsa_key_pair

from grader.core.findings import Finding, Severity
from grader.core.lab import Exercise, Lab, SetupSpec
from grader.core.report import ExerciseReport, Report, RunStatus, Status
from grader.history.deadline import DeadlinePolicy, PushRecord
from grader.settings import GitHubApp, Limits, Service, Settings
from grader.store import pushes, runs
from grader.store.assignments import Assignment, save_assignment
from grader.store.db import Connection
from grader.store.deliveries import record_delivery
from grader.store.repositories import save_repository
from workers.job import GradingJob, Outcome

pytestmark = [pytest.mark.service, pytest.mark.postgres]
pytest_plugins = ["service_fixtures"]

REPO = "classroom-org/tp-distributed-alice"
EXERCISE_FILE = "exercises/lab.md"
DEADLINE = datetime(2030, 1, 1, tzinfo=UTC)


@dataclass
class StandInGrader:
    """Grades the exercise file line by line: each line saying WRONG is a finding."""

    lab: Lab
    fail_with: str | None = None
    calls: list[dict[str, object]] = field(default_factory=list)

    def grade_checkout(
        self,
        checkout: Path,
        *,
        pushes: Sequence[PushRecord] = (),
        policy: DeadlinePolicy | None = None,
    ) -> Report:
        head = subprocess.run(
            ["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True
        )
        commit = head.stdout.strip()
        self.calls.append(
            {
                "commit": commit,
                "pushes": list(pushes),
                "policy": policy,
                "symlinks": [p for p in checkout.rglob("*") if p.is_symlink()],
            }
        )
        if self.fail_with:
            return Report(
                lab_id=self.lab.id,
                lab_version=self.lab.version,
                status=RunStatus.ERROR,
                error=self.fail_with,
            )
        lines = (checkout / EXERCISE_FILE).read_text(encoding="utf-8").splitlines()
        findings = [
            Finding(
                code="answer.wrong",
                message="wrong",
                exercise="1.1a",
                file=EXERCISE_FILE,
                line=i,
                severity=Severity.ERROR,
            )
            for i, text in enumerate(lines, start=1)
            if "WRONG" in text
        ]
        score = 0.0 if findings else 10.0
        return Report(
            lab_id=self.lab.id,
            lab_version=self.lab.version,
            score=score,
            max_score=10,
            commit=commit,
            exercises=[
                ExerciseReport(
                    id="1.1a",
                    title="Horizontal",
                    part="1",
                    status=Status.FAILED if findings else Status.PASSED,
                    score=score,
                    max_score=10,
                    findings=findings,
                )
            ],
        )


def tiny_lab() -> Lab:
    return Lab(
        id="mediai",
        title="MediAI",
        version="1",
        database="mediAI",
        exercise_file=EXERCISE_FILE,
        setup=SetupSpec(schema_sql="s.sql", distribute_sql="d.sql", seed_sql="seed.sql"),
        exercises=[Exercise(id="1.1a", part="1", title="Horizontal", points=10)],
    )


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[GitHubStandIn]:
    if not OPENAPI.is_file():
        pytest.skip(f"GitHub's OpenAPI excerpt not found at {OPENAPI}")
    private, public = rsa_key_pair()
    (tmp_path / "app.pem").write_text(private, encoding="utf-8")
    with GitHubStandIn(tmp_path / "hosted", APP_ID, public) as s:
        yield s
    assert s.violations == []


@pytest.fixture
def student(standin: GitHubStandIn, tmp_path: Path) -> WorkRepo:
    return WorkRepo(tmp_path / "student", standin.bare_repo(REPO))


def settings_for(store_url: str, standin: GitHubStandIn, tmp_path: Path, **limits: int) -> Settings:
    return Settings(
        database_url=store_url,
        github=GitHubApp(
            app_id=APP_ID,
            private_key_path=tmp_path / "app.pem",
            webhook_secret=SecretStr("x"),
            api_url=standin.api_url,
            clone_url_base=standin.git_url,
        ),
        limits=Limits(**limits),
        service=Service(work_dir=tmp_path),
    )


def add_push(c: Connection, sha: str, at: datetime, *, before: str = "0" * 40) -> int:
    assignment = save_assignment(
        c,
        Assignment(
            organisation="classroom-org",
            repository_prefix="tp-distributed-",
            lab="mediai",
            deadline=DEADLINE,
            pass_mark=50,
        ),
    )
    repo = save_repository(c, REPO, installation_id=INSTALLATION_ID, assignment_id=assignment)
    delivery = f"d-{sha}-{at.timestamp()}"
    record_delivery(c, delivery, "push", None, at, {})
    return pushes.insert_push(
        c,
        repository_id=repo.id,
        ref="refs/heads/main",
        after_sha=sha,
        before_sha=before,
        forced=False,
        pushed_at=at,
        delivery_id=delivery,
    )


def test_push_is_cloned_graded_stored_and_posted(
    conn: Connection, store_url: str, standin: GitHubStandIn, student: WorkRepo, tmp_path: Path
) -> None:
    student.commit({EXERCISE_FILE: "# Lab\nok\n"}, "start")
    lines = "".join(f"line {i} WRONG\n" for i in range(60))
    sha = student.commit({EXERCISE_FILE: "# Lab\n" + lines, "link-target.txt": "x"}, "answers")
    student.git("rm", "--quiet", "link-target.txt")
    (student.path / "evil").symlink_to("/etc/passwd")
    sha = student.commit({}, "a symlink")
    student.push()
    push_id = add_push(conn, sha, datetime.now(UTC))
    grader = StandInGrader(tiny_lab())
    job = GradingJob(settings_for(store_url, standin, tmp_path), grader)

    result = job.grade_push(push_id, final_attempt=False)

    assert result.outcome is Outcome.GRADED
    call = grader.calls[0]
    assert call["commit"] == sha and call["symlinks"] == []  # checked out as a plain file
    assert [p.sha for p in call["pushes"]] == [sha]  # type: ignore[attr-defined]
    assert call["policy"] == DeadlinePolicy(deadline=DEADLINE)
    run = runs.get_run(conn, result.run_id or 0)
    assert (run.status, run.score, run.attempts) == ("completed", 0, 1)
    assert pushes.get_push(conn, push_id).status == "graded"
    [check] = standin.check_runs.values()
    assert check.history == ["in_progress", "in_progress", "completed"]  # 60 = 50 + 10
    assert check.fields["conclusion"] == "failure" and check.fields["head_sha"] == sha
    assert check.fields["output"]["title"] == "Score 0/10"
    assert [a["start_line"] for a in check.annotations] == list(range(2, 62))
    assert check.fields["actions"][0]["identifier"] == "rerun"
    assert all(r.status < 400 for r in standin.requests)
    git_requests = standin.operations("git")
    assert git_requests, "the repository was cloned over HTTP"

    again = job.grade_push(push_id, final_attempt=False)  # a redelivered task
    assert again.outcome is Outcome.POSTED and len(grader.calls) == 1
    assert len(standin.check_runs) == 1 and check.history[-1] == "completed"


def test_a_newer_push_supersedes_a_queued_one(
    conn: Connection, store_url: str, standin: GitHubStandIn, student: WorkRepo, tmp_path: Path
) -> None:
    first = student.commit({EXERCISE_FILE: "# Lab\nWRONG\n"}, "one")
    second = student.commit({EXERCISE_FILE: "# Lab\nright\n"}, "two")
    student.push()
    now = datetime.now(UTC)
    older = add_push(conn, first, now - timedelta(seconds=5))
    newer = add_push(conn, second, now, before=first)
    grader = StandInGrader(tiny_lab())
    job = GradingJob(settings_for(store_url, standin, tmp_path), grader)
    assert job.grade_push(older, final_attempt=False).outcome is Outcome.SUPERSEDED
    assert job.grade_push(newer, final_attempt=False).outcome is Outcome.GRADED
    assert pushes.get_push(conn, older).status == "superseded"
    assert [c["commit"] for c in grader.calls] == [second]
    pushed = grader.calls[0]["pushes"]
    assert [p.sha for p in pushed] == [first, second]  # type: ignore[attr-defined]
    assert [c.fields["output"]["title"] for c in standin.check_runs.values()] == ["Score 10/10"]


def test_infrastructure_error_retries_then_posts_neutral(
    conn: Connection, store_url: str, standin: GitHubStandIn, student: WorkRepo, tmp_path: Path
) -> None:
    sha = student.commit({EXERCISE_FILE: "# Lab\n"}, "one")
    student.push()
    push_id = add_push(conn, sha, datetime.now(UTC))
    grader = StandInGrader(tiny_lab(), fail_with="the coordinator did not start")
    job = GradingJob(settings_for(store_url, standin, tmp_path), grader)

    first = job.grade_push(push_id, final_attempt=False)
    assert first.outcome is Outcome.RETRY and "coordinator" in first.detail
    assert runs.get_run(conn, first.run_id or 0).status == "queued"
    last = job.grade_push(push_id, final_attempt=True)
    assert last.outcome is Outcome.FAILED

    run = runs.get_run(conn, last.run_id or 0)
    assert (run.status, run.attempts) == ("error", 2)
    [check] = standin.check_runs.values()  # the retry reused the in-progress check run
    assert check.fields["conclusion"] == "neutral"
    assert check.fields["output"]["title"] == "Not graded"
    assert "the coordinator did not start" in check.fields["output"]["summary"]
    assert pushes.get_push(conn, push_id).status == "error"


def test_an_oversized_repository_is_refused_without_retry(
    conn: Connection, store_url: str, standin: GitHubStandIn, student: WorkRepo, tmp_path: Path
) -> None:
    sha = student.commit({EXERCISE_FILE: "# Lab\n", "data/big.csv": "x,y\n" * 200_000}, "big")
    student.push()
    push_id = add_push(conn, sha, datetime.now(UTC))
    grader = StandInGrader(tiny_lab())
    settings = settings_for(store_url, standin, tmp_path, max_repository_bytes=100_000)
    result = GradingJob(settings, grader).grade_push(push_id, final_attempt=False)
    assert result.outcome is Outcome.FAILED and "larger than the grader's limit" in result.detail
    assert grader.calls == []
    [check] = standin.check_runs.values()
    assert check.fields["conclusion"] == "neutral"


def test_github_errors_propagate_and_a_retry_reposts(
    conn: Connection, store_url: str, standin: GitHubStandIn, student: WorkRepo, tmp_path: Path
) -> None:
    from github import GithubException

    sha = student.commit({EXERCISE_FILE: "# Lab\n"}, "one")
    student.push()
    push_id = add_push(conn, sha, datetime.now(UTC))
    grader = StandInGrader(tiny_lab())
    job = GradingJob(settings_for(store_url, standin, tmp_path), grader)
    standin.fail_next["checks/update"] = 1
    with pytest.raises(GithubException):
        job.grade_push(push_id, final_attempt=False)
    run = runs.latest_run_for_commit(conn, pushes.get_push(conn, push_id).repository_id, sha)
    assert run is not None and run.status == "completed"  # the grade is kept
    retried = job.grade_push(push_id, final_attempt=False)
    assert retried.outcome is Outcome.POSTED and len(grader.calls) == 1
    [check] = standin.check_runs.values()
    assert check.fields["status"] == "completed" and check.fields["conclusion"] == "success"


def test_rerun_grades_the_same_row_again(
    conn: Connection, store_url: str, standin: GitHubStandIn, student: WorkRepo, tmp_path: Path
) -> None:
    sha = student.commit({EXERCISE_FILE: "# Lab\n"}, "one")
    student.push()
    push_id = add_push(conn, sha, datetime.now(UTC))
    grader = StandInGrader(tiny_lab())
    job = GradingJob(settings_for(store_url, standin, tmp_path), grader)
    run_id = job.grade_push(push_id, final_attempt=False).run_id or 0
    assert job.regrade_run(run_id, final_attempt=False).outcome is Outcome.POSTED  # not asked
    runs.request_rerun(conn, run_id)
    assert job.regrade_run(run_id, final_attempt=False).outcome is Outcome.GRADED
    assert runs.get_run(conn, run_id).attempts == 2 and len(grader.calls) == 2
    assert [c.history[-1] for c in standin.check_runs.values()] == ["completed", "completed"]


def test_a_rerun_that_cannot_run_fails_at_once_with_its_cause(
    conn: Connection, store_url: str, standin: GitHubStandIn, student: WorkRepo, tmp_path: Path
) -> None:
    """A class graded from clones has no installation to clone from: no retry can help, so
    the run is an error at once, its cause stored for the dashboard, and nothing is posted."""
    sha = student.commit({EXERCISE_FILE: "# Lab\n"}, "one")
    student.push()
    push_id = add_push(conn, sha, datetime.now(UTC))
    grader = StandInGrader(tiny_lab())
    job = GradingJob(settings_for(store_url, standin, tmp_path), grader)
    run_id = job.grade_push(push_id, final_attempt=False).run_id or 0
    conn.execute("UPDATE repositories SET installation_id = NULL")
    runs.request_rerun(conn, run_id)
    posts = len(standin.check_runs)

    result = job.regrade_run(run_id, final_attempt=False)
    assert result.outcome is Outcome.FAILED
    assert f"no installation on {REPO}" in result.detail
    run = runs.get_run(conn, run_id)
    assert run.status == runs.ERROR and "no installation" in (run.error or "")
    assert len(standin.operations("apps/get-repo-installation")) == 1
    assert len(grader.calls) == 1 and len(standin.check_runs) == posts

    unconfigured = settings_for(store_url, standin, tmp_path)
    unconfigured.github.app_id = None
    runs.request_rerun(conn, run_id)
    result = GradingJob(unconfigured, grader).regrade_run(run_id, final_attempt=False)
    assert result.outcome is Outcome.FAILED and "not configured" in result.detail
