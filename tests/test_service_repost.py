"""End to end: a TA's decision in the dashboard reaches the student's check run. The real
app (signed in through the OAuth stand-in) commits the decision and queues a task on real
Redis; a real Celery worker (a subprocess, as in production) reads the store (real
PostgreSQL) and updates the same check run through the GitHub stand-in, which validates
every request against GitHub's OpenAPI description. The class is dashboard_class.py's."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from dashboard_class import World
from dashboard_support import Site, sign_in, start_worker, worker_env
from github_standin import CheckRunState
from service_fixtures import fresh_redis
from service_support import stop_worker

from grader.core.report import Report
from grader.publish.checkrun_review import BEING_REVIEWED, RELEASED

pytestmark = [pytest.mark.service, pytest.mark.postgres, pytest.mark.slow]
pytest_plugins = ["service_fixtures", "dashboard_fixtures"]

TA = "ta-grace"
# A database of its own (the other dashboard tests empty theirs), emptied before and after.
REDIS_URL = "redis://127.0.0.1:6379/8"  # a database of its own (9 is the push publisher's)
WAIT_SECONDS = 240
REPORTED = re.compile(r"(\d+) of (\d+) posted")


def wait_for(condition: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; the worker's log:\n{log.read_text()}")
        time.sleep(0.2)


class Class:
    """The signed-in TA's view of the class, and what GitHub was told."""

    def __init__(self, site: Site, world: World, log: Path) -> None:
        self.site, self.world, self.log = site, world, log
        self.base = f"/dashboard/assignments/{site.filled.assignment_id}"

    def csrf(self) -> str:
        page = self.site.client.get(self.base).text
        found = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert found is not None
        return found[1]

    def post(self, path: str, **form: str) -> Any:
        answer = self.site.client.post(
            self.base + path, data={"csrf_token": self.csrf(), **form}, follow_redirects=False
        )
        assert answer.status_code == 303, answer.text
        return answer

    def release_page(self) -> str:
        return re.sub(r"\s+", " ", unescape(self.site.client.get(self.base + "/release").text))

    def all_posted(self) -> bool:
        """As the release page's progress bar follows it, without a reload."""
        posting = self.site.client.get(self.base + "/release/posting.json").json()
        return bool(posting["finished"]) and posting["posted"] == posting["total"]

    def check_of(self, login: str) -> CheckRunState:
        run_id = self.site.filled.run_ids[login]
        row = self.site.conn.execute(
            "SELECT github_id FROM check_runs WHERE run_id = %s ORDER BY id DESC LIMIT 1",
            (run_id,),
        ).fetchone()
        assert row is not None, f"no check run recorded for {login}"
        return self.world.standin.check_runs[int(row["github_id"])]

    def report(self, login: str) -> Report:
        row = self.site.conn.execute(
            "SELECT report FROM grading_runs WHERE id = %s", (self.site.filled.run_ids[login],)
        ).fetchone()
        assert row is not None
        return Report.model_validate(row["report"])

    def repost_pending(self, login: str) -> Any:
        """The post asked for in the store (the sweeper's), None once a worker did it."""
        row = self.site.conn.execute(
            "SELECT repost_requested_at FROM grading_runs WHERE id = %s",
            (self.site.filled.run_ids[login],),
        ).fetchone()
        assert row is not None
        return row["repost_requested_at"]

    def updates_of(self, check: CheckRunState) -> int:
        return sum(
            1
            for r in self.world.standin.operations("checks/update")
            if r.params["check_run_id"] == str(check.id)
        )


@pytest.fixture
def redis_db() -> Iterator[str]:
    yield from fresh_redis(REDIS_URL)


@pytest.fixture
def staff_class(
    site: Site, world: World, store_url: str, redis_db: str, tmp_path: Path
) -> Iterator[Class]:
    """Signed in as a TA, with a real worker on every queue and every graded student's check
    run posted once (created: the class was graded before the service posted anything)."""
    assert sign_in(site.client, site.oauth, TA).status_code == 303
    worker = start_worker(worker_env(world, store_url, redis_db, tmp_path), tmp_path)
    log = tmp_path / "worker.log"
    try:
        wait_for(lambda: b" ready." in log.read_bytes(), "the worker to be ready", log)
        seen = Class(site, world, log)
        seen.post("/release", action="repost")
        wait_for(seen.all_posted, "every check run posted", log)
        page = seen.release_page()
        found = REPORTED.search(page)
        assert found is not None and found[1] == found[2] and "done" in page
        assert "data-posting" not in page  # nothing left for the bar to follow
        yield seen
    finally:
        stop_worker(worker)
    assert world.standin.violations == []


def test_a_ta_override_patches_the_same_check_run_with_points_and_comment(
    staff_class: Class,
) -> None:
    seen = staff_class
    check = seen.check_of("alice")
    assert check.fields["status"] == "completed" and check.history[0] == "in_progress"
    annotations = len(check.annotations)
    repository = seen.world.student("alice").full_name
    # The stand-in lives for the whole session: earlier modules' check runs stay in it.
    existing = {c.id for c in seen.world.standin.check_runs.values() if c.repo == repository}
    report = seen.report("alice")
    written = next(e for e in report.exercises if e.manual_review)
    new = written.max_score / 2
    assert check.fields["output"]["title"].startswith(f"Score {report.score:g}/100")
    assert BEING_REVIEWED in check.fields["output"]["summary"]

    # released: the same check run now shows the grade as people confirmed it
    seen.post("/release", action="release")
    wait_for(lambda: RELEASED in check.fields["output"]["summary"], "the release posted", seen.log)
    assert BEING_REVIEWED not in check.fields["output"]["summary"]
    released_updates = seen.updates_of(check)

    comment = "Co-location is explained with the right key; the join example is missing."
    run_id = seen.site.filled.run_ids["alice"]
    seen.post(
        f"/runs/{run_id}/overrides", exercise_id=written.id, score=f"{new:g}", reason=comment,
    )  # fmt: skip
    wait_for(lambda: comment in check.fields["output"]["summary"], "the override posted", seen.log)
    output = check.fields["output"]
    total = report.score + new - written.score
    assert output["title"].startswith(f"Score {total:g}/100")
    points = f"{new:g}/{written.max_score:g}"
    assert f"| {points}, reviewed |" in output["summary"]
    assert f"({points}, {TA}):" in output["summary"]
    assert seen.updates_of(check) == released_updates + 1  # one PATCH of the same check run
    wait_for(lambda: seen.repost_pending("alice") is None, "the request settled", seen.log)
    assert len(check.annotations) == annotations  # updates send no annotation twice
    # the Citus exercises (graded on plain PostgreSQL) still wait for a person, but the
    # points already sure reach the pass mark
    assert "points ungraded" in output["title"] and check.fields["conclusion"] == "success"

    # a total set by a person settles the conclusion against the pass mark (50%)
    seen.post(f"/runs/{run_id}/overrides", exercise_id="", score="45", reason="Oral exam: 45.")
    wait_for(lambda: "Oral exam" in check.fields["output"]["summary"], "the total", seen.log)
    assert check.fields["output"]["title"] == "Score 45/100 (confirmed)"
    assert check.fields["conclusion"] == "failure"
    assert seen.check_of("alice").id == check.id
    # every post above updated that check run: none was opened beside it
    after = {c.id for c in seen.world.standin.check_runs.values() if c.repo == repository}
    assert after == existing and check.id in after


def test_releasing_and_withholding_flip_what_every_check_run_says(staff_class: Class) -> None:
    seen = staff_class
    graded = ["alice", "bob", "carol", "dave"]
    checks = {login: seen.check_of(login) for login in graded}
    awaiting = [login for login in graded if seen.report(login).needs_review]
    assert awaiting, "the class has written answers awaiting review"
    for login in awaiting:
        assert BEING_REVIEWED in checks[login].fields["output"]["summary"]
    # a decision on the grade-by-question page, with a comment for the student
    comment = "Answer read in full: the explanation holds."
    bob = seen.report("bob")
    written = next(e for e in bob.exercises if e.manual_review)
    before = seen.updates_of(checks["bob"])
    seen.post(
        f"/exercises/{written.id}/review", score=f"{written.score:g}",
        run_id=str(seen.site.filled.run_ids["bob"]), comment=comment,
    )  # fmt: skip
    wait_for(lambda: seen.updates_of(checks["bob"]) > before, "bob's check run posted", seen.log)
    assert comment not in checks["bob"].fields["output"]["summary"]  # not released yet

    seen.post("/release", action="release")
    assert "Released" in seen.release_page() and TA in seen.release_page()
    wait_for(seen.all_posted, "the release posted to every check run", seen.log)
    for login in graded:
        assert RELEASED in checks[login].fields["output"]["summary"], login
    assert comment in checks["bob"].fields["output"]["summary"]

    seen.post("/release", action="withhold")
    wait_for(seen.all_posted, "withholding posted to every check run", seen.log)
    for login in awaiting:
        summary = checks[login].fields["output"]["summary"]
        assert BEING_REVIEWED in summary and RELEASED not in summary, login
    assert comment not in checks["bob"].fields["output"]["summary"]
    assert {seen.check_of(login).id for login in graded} == {c.id for c in checks.values()}
    actions = seen.site.conn.execute(
        "SELECT action, actor FROM audit_log WHERE action IN ('release', 'withhold', 'repost')"
        " ORDER BY id"
    ).fetchall()
    assert [(a["action"], a["actor"]) for a in actions] == [
        ("repost", TA), ("release", TA), ("withhold", TA)
    ]  # fmt: skip
