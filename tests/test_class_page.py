"""The class page as a TA works with it: flags that say what to look at, a row of averages,
sorting and search from the query string, and re-runs refused with their cause when they
cannot run (a class graded from local folders, no GitHub App)."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
import redis
from dashboard_support import API_TOKEN, PROFESSOR, Site, sign_in

from grader.core.findings import Finding, Severity
from grader.core.report import ExerciseReport, Report, Status
from grader.dashboard import batches
from grader.dashboard.flags import grade_flags
from grader.dashboard.grades import apply_overrides
from workers.routing import STAFF_QUEUE

pytestmark = [pytest.mark.service, pytest.mark.postgres, pytest.mark.slow]
pytest_plugins = ["service_fixtures", "dashboard_fixtures"]


@pytest.fixture
def staff_site(site: Site) -> Site:
    assert sign_in(site.client, site.oauth, PROFESSOR).status_code == 303
    return site


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _base(site: Site) -> str:
    return f"/dashboard/assignments/{site.filled.assignment_id}"


def _staff_queue(site: Site) -> list[object]:
    client = redis.Redis.from_url(site.settings.redis_url)
    return [json.loads(raw) for raw in client.lrange(STAFF_QUEUE, 0, -1)]


def _row(text: str, login: str) -> str:
    found = re.search(rf" {login} \d.*?(?= (?:alice|bob|carol|dave|erin|Class average) |$)", text)
    assert found is not None, f"no row for {login}"
    return found[0]


def test_students_are_flagged_for_no_work_and_privileged_sql(staff_site: Site) -> None:
    text = _text(staff_site.client.get(_base(staff_site)).text)
    assert "no work" in _row(text, "carol")  # the untouched template
    assert "no work" not in _row(text, "alice")
    assert "privileged SQL attempted" in _row(text, "dave")  # the hostile submission
    assert "privileged SQL attempted" not in _row(text, "bob")


def test_flags_for_a_folder_not_cloned_and_late_work_left_out() -> None:
    findings = [
        Finding(code="history.none", message="Not a git clone.", severity=Severity.INFO),
        Finding(
            code="history.late-work-not-graded",
            message="Two commits after the deadline were not graded.",
            severity=Severity.WARNING,
        ),
    ]
    exercise = ExerciseReport(
        id="1.1", title="t", part="1", status=Status.PASSED, score=4, max_score=4
    )
    report = Report(
        lab_id="lab", lab_version="1", score=4, max_score=4, exercises=[exercise], findings=findings
    )
    labels = [f.label for f in grade_flags(apply_overrides(report, []))]
    assert labels == ["late work not graded", "not a git clone"]


def test_the_grid_has_averages_sorts_by_a_column_and_searches(staff_site: Site) -> None:
    site = staff_site
    text = _text(site.client.get(_base(site)).text)
    assert "Class average 33.88 " in text  # the mean total, then each exercise's mean

    by_total = _text(site.client.get(_base(site) + "?sort=total&order=desc").text)
    order = [m[1] for m in re.finditer(r" (alice|bob|carol|dave|erin) (?:\d|—)", by_total)]
    assert order == ["alice", "bob", "dave", "carol", "erin"]  # no grade last
    ascending = _text(site.client.get(_base(site) + "?sort=total&order=asc").text)
    order = [m[1] for m in re.finditer(r" (alice|bob|carol|dave|erin) (?:\d|—)", ascending)]
    assert order == ["carol", "dave", "bob", "alice", "erin"]

    found = site.client.get(_base(site) + "?q=DISTRIBUTED-Bo").text
    assert 'aria-sort="ascending"' in found
    rows = re.findall(r"/students/(\d+)\">(\w+)</a></th>", found)
    assert [login for _, login in rows] == ["bob"]
    assert "No student or repository matches" in site.client.get(_base(site) + "?q=zzz").text


def test_a_batch_whose_runs_could_not_be_queued_ends(staff_site: Site) -> None:
    site = staff_site
    run_ids = [site.filled.run_ids["alice"], site.filled.run_ids["bob"]]
    batch_id = batches.create_batch(
        site.conn,
        assignment_id=site.filled.assignment_id,
        scope="class",
        run_ids=run_ids,
        requested_by=PROFESSOR,
    )
    batches.mark_queued(site.conn, batch_id, run_ids[0])
    progress = batches.progress(site.conn, batch_id)
    assert progress is not None and not progress.finished  # alice's run is still on its way
    site.conn.execute("UPDATE grading_runs SET finished_at = now() WHERE id = %s", (run_ids[0],))
    answer = site.client.get(f"/dashboard/batches/{batch_id}.json").json()
    assert (answer["done"], answer["lost"], answer["finished"]) == (1, 1, True)


def test_a_rerun_of_a_class_graded_from_local_folders_is_refused_with_its_cause(
    staff_site: Site,
) -> None:
    site = staff_site
    # as grader.pipeline.class_store records a class: no installation, no push
    site.conn.execute(
        "UPDATE repositories SET installation_id = NULL WHERE assignment_id = %s",
        (site.filled.assignment_id,),
    )
    site.conn.execute("UPDATE grading_runs SET push_id = NULL")
    page = site.client.get(_base(site)).text
    assert re.search(r"<button type=\"submit\" disabled[^>]*>Re-grade the whole class", page)
    assert "graded from local folders" in _text(page)
    bob = site.filled.repository_ids["bob"]
    student = site.client.get(f"{_base(site)}/students/{bob}").text
    assert re.search(r"<button type=\"submit\" disabled[^>]*>Re-run this grade", student)
    assert "This repository was graded from local folders" in _text(student)
    exercise = site.client.get(f"{_base(site)}/exercises/1.1a").text
    assert re.search(r"<button type=\"submit\" disabled[^>]*>Re-grade the class for 1.1a", exercise)
    assert "graded from local folders" in _text(exercise)

    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    for data in (
        {"scope": "class"},
        {"scope": "student", "repository_id": str(bob)},
    ):
        answer = site.client.post(
            f"{_base(site)}/reruns", data={"csrf_token": token[1], **data}, follow_redirects=False
        )
        assert answer.status_code == 409
        assert "graded from local folders" in _text(answer.text)
    assert _staff_queue(site) == []
    assert site.conn.execute("SELECT count(*) AS n FROM rerun_batches").fetchone() == {"n": 0}


def test_a_rerun_without_the_github_app_is_refused(staff_site: Site) -> None:
    site = staff_site
    site.settings.github.app_id = None
    page = site.client.get(_base(site)).text
    assert "the GitHub App is not configured" in _text(page)
    assert re.search(r"<button type=\"submit\" disabled[^>]*>Re-grade the whole class", page)
    bob = site.filled.repository_ids["bob"]
    for path, label in ((f"/students/{bob}", "Re-run this grade"), ("/exercises/1.1a", "Re-grade")):
        other = site.client.get(_base(site) + path).text
        assert re.search(rf"<button type=\"submit\" disabled[^>]*>{label}", other), path
        assert "the GitHub App is not configured" in _text(other)


def test_405_and_422_are_pages_for_a_browser_and_json_for_the_api(staff_site: Site) -> None:
    site = staff_site
    html = {"Accept": "text/html,application/xhtml+xml"}
    wrong = site.client.get(f"{_base(site)}/reruns", headers=html)
    assert wrong.status_code == 405 and wrong.headers["content-type"].startswith("text/html")
    assert "does not take a GET request" in _text(wrong.text)
    assert "POST" in wrong.headers["allow"]
    plain = site.client.get(f"{_base(site)}/reruns", headers={"Accept": "application/json"})
    assert plain.status_code == 405 and plain.json() == {"detail": "Method Not Allowed"}

    api = site.client.post("/api/assignments", headers=html)
    assert api.status_code == 405 and api.headers["content-type"] == "application/json"

    bad = site.client.get("/dashboard/assignments/not-a-number", headers=html)
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("text/html")
    api_bad = site.client.get(
        "/api/assignments/not-a-number/class",
        headers=html | {"Authorization": f"Bearer {API_TOKEN}"},
    )
    assert api_bad.status_code == 422
    assert api_bad.headers["content-type"] == "application/json"


def test_the_release_page_follows_check_runs_being_posted_again(staff_site: Site) -> None:
    """No worker takes the posts here: the bar has work to follow, and its JSON says so."""
    site = staff_site
    page = site.client.get(_base(site) + "/release").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None and "data-posting" not in page  # nothing asked yet
    answer = site.client.post(
        f"{_base(site)}/release",
        data={"csrf_token": token[1], "action": "repost"},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    page = site.client.get(_base(site) + "/release").text
    assert f'data-posting="{_base(site)}/release/posting.json"' in page
    posting = site.client.get(_base(site) + "/release/posting.json").json()
    assert posting["posted"] == 0 and posting["total"] >= 4 and posting["finished"] is False
