"""The pages, actions, gradebook and API on a store of real grading runs, through the real
app (a signed-in professor; the browser test drives the same pages in Chromium)."""

from __future__ import annotations

import csv
import io
import json
import re
from html import unescape

import pytest
import redis
from dashboard_support import API_TOKEN, PROFESSOR, Site, sign_in

from grader.core.report import Report
from grader.store import runs
from workers.routing import STAFF_QUEUE

pytestmark = [pytest.mark.service, pytest.mark.postgres, pytest.mark.slow]
pytest_plugins = ["service_fixtures", "dashboard_fixtures"]


@pytest.fixture
def staff_site(site: Site) -> Site:
    assert sign_in(site.client, site.oauth, PROFESSOR).status_code == 303
    return site


def _csrf(site: Site) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', site.client.get("/dashboard").text)
    assert found is not None
    return found[1]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _base(site: Site) -> str:
    return f"/dashboard/assignments/{site.filled.assignment_id}"


def _api(site: Site, path: str) -> object:
    answer = site.client.get(path, headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_class_page_shows_totals_flags_and_the_distribution(staff_site: Site) -> None:
    page = staff_site.client.get(_base(staff_site))
    assert page.status_code == 200
    text = _text(page.text)
    assert "5 students, 4 with a total." in text
    assert re.search(r"alice 74 /100 needs Citus awaiting review 8 4 4 \?", text)
    assert re.search(r"carol 0 /100 no work late missing missing", text)
    assert re.search(r"erin — no grade not graded yet", text)
    assert "Students per range of total points: 0\N{EN DASH}10: 1; 10\N{EN DASH}20: 1;" in text
    assert text.count("not graded") >= 5  # ungraded cells say so in words


def test_the_student_page_lists_pushes_and_findings_with_links(staff_site: Site) -> None:
    site = staff_site
    alice = site.filled.repository_ids["alice"]
    page = site.client.get(f"{_base(site)}/students/{alice}")
    text = _text(page.text)
    assert "Total shown: 74/100" in text
    assert text.count("graded") >= 2 and "superseded" in text
    assert "2025-03-11 23:00 UTC" in text and "2025-03-09 23:01 UTC" in text  # push times
    older = re.search(r'href="\?run=(\d+)"', page.text)
    assert older is not None
    earlier = _text(site.client.get(f"{_base(site)}/students/{alice}?run={older[1]}").text)
    half = re.search(r"Total shown: ([\d.]+)/100", earlier)
    assert half is not None and 0 < float(half[1]) < 74  # the half-done push, graded then
    dave = site.filled.repository_ids["dave"]
    dave_page = site.client.get(f"{_base(site)}/students/{dave}").text
    assert "protected file modified" in dave_page
    blob = r"/classroom-org/tp-distributed-dave/blob/[0-9a-f]{40}/exercises/01-TP-Pratique-MediAI"
    assert re.search(r'href="http://127\.0\.0\.1:\d+' + blob + r'\.md\?plain=1#L\d+"', dave_page)
    other = site.client.get(f"{_base(site)}/students/{alice}?run={site.filled.run_ids['bob']}")
    assert other.status_code == 404 and "not a run of" in other.text


def test_an_override_is_validated_kept_audited_and_outlives_a_regrade(staff_site: Site) -> None:
    site = staff_site
    run_id, alice = site.filled.run_ids["alice"], site.filled.repository_ids["alice"]
    url = f"{_base(site)}/runs/{run_id}/overrides"
    form = {"csrf_token": _csrf(site), "exercise_id": "3.2", "reason": "typo in the rubric"}
    too_high = site.client.post(url, data=form | {"score": "11"})
    assert too_high.status_code == 400 and "between 0 and 10" in too_high.text
    no_reason = site.client.post(url, data=form | {"score": "9", "reason": "  "})
    assert no_reason.status_code == 400
    saved = site.client.post(url, data=form | {"score": "9,5"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("done=override")
    page = _text(site.client.get(saved.headers["location"]).text)
    assert "Override saved" in page and "Total shown: 73.5/100 (after overrides)" in page
    assert f"9.5 by {PROFESSOR}" in page and "typo in the rubric" in page

    # a re-run replaces the report in place: the override still applies on top
    report = Report.model_validate(runs.get_run(site.conn, run_id).report)
    runs.finish_run(site.conn, run_id, report)
    assert "Total shown: 73.5/100" in _text(site.client.get(f"{_base(site)}/students/{alice}").text)
    [entry] = site.conn.execute("SELECT * FROM audit_log WHERE action = 'override'").fetchall()
    assert (entry["actor"], entry["run_id"], entry["exercise_id"]) == (PROFESSOR, run_id, "3.2")
    assert entry["detail"] | {"override": 0} == {
        "override": 0, "score": 9.5, "before": 10.0, "reason": "typo in the rubric"
    }  # fmt: skip

    total = site.client.post(url, data=form | {"exercise_id": "", "score": "50"})
    assert total.status_code == 200
    grades = _api(site, f"/api/runs/{run_id}")
    assert isinstance(grades, dict)
    assert grades["grade"]["total"] == 50 and grades["grade"]["graded_total"] == 74
    assert [o["score"] for o in grades["grade"]["overrides"]] == [9.5, 50]


def _staff_queue(site: Site) -> list[dict[str, object]]:
    client = redis.Redis.from_url(site.settings.redis_url)
    return [json.loads(raw) for raw in client.lrange(STAFF_QUEUE, 0, -1)]


def test_reruns_are_queued_at_staff_priority_with_a_batch_to_follow(staff_site: Site) -> None:
    site = staff_site
    token = _csrf(site)
    bob = site.filled.repository_ids["bob"]
    one = site.client.post(
        f"{_base(site)}/reruns",
        data={"csrf_token": token, "scope": "student", "repository_id": str(bob)},
        follow_redirects=False,
    )
    assert one.headers["location"] == f"{_base(site)}/students/{bob}?done=rerun"
    [message] = _staff_queue(site)
    assert message["headers"]["argsrepr"] == f"[{site.filled.run_ids['bob']}]"  # type: ignore[index]
    assert message["properties"]["priority"] == 0  # type: ignore[index]
    assert "re-run queued" in site.client.get(_base(site)).text

    exercise = site.client.post(
        f"{_base(site)}/reruns",
        data={"csrf_token": token, "scope": "exercise", "exercise_id": "3.2", "reason": "rubric"},
        follow_redirects=False,
    )
    assert exercise.headers["location"] == f"{_base(site)}/exercises/3.2?done=rerun"
    assert len(_staff_queue(site)) == 5  # bob again, and the four graded students
    batches = site.conn.execute("SELECT * FROM rerun_batches ORDER BY id").fetchall()
    assert [(b["scope"], b["exercise_id"]) for b in batches] == [
        ("student", None),
        ("exercise", "3.2"),
    ]
    progress = site.client.get(f"/dashboard/batches/{batches[1]['id']}.json").json()
    assert (progress["total"], progress["queued"], progress["done"]) == (4, 4, 0)
    assert not progress["finished"]

    # the worker grades bob's run again: one of four done
    run_id = site.filled.run_ids["bob"]
    runs.finish_run(
        site.conn, run_id, Report.model_validate(runs.get_run(site.conn, run_id).report)
    )
    progress = _api(site, f"/api/batches/{batches[1]['id']}")
    assert isinstance(progress, dict) and progress["done"] == 1 and progress["percent"] == 25
    actions = site.conn.execute("SELECT action, detail FROM audit_log WHERE action = 'rerun'")
    assert [len(r["detail"]["runs"]) for r in actions.fetchall()] == [1, 4]


def test_the_gradebook_and_the_api_agree_with_the_pages(staff_site: Site) -> None:
    site = staff_site
    answer = site.client.get(f"{_base(site)}/grades.csv")
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="tp-distributed-' in answer.headers["content-disposition"]
    lines = {row["login"]: row for row in csv.DictReader(io.StringIO(answer.text))}
    assert list(lines) == ["alice", "bob", "carol", "dave", "erin"]
    assert (lines["alice"]["total"], lines["alice"]["1.1a"], lines["alice"]["1.4"]) == (
        "74",
        "8",
        "",
    )
    assert lines["bob"]["flags"] == (
        "last-minute dump; pasted output edited: points held; needs Citus; awaiting review"
    )
    assert lines["carol"]["pushed_at"] == "2025-03-16T01:04:00+00:00"
    grades = _api(site, f"/api/assignments/{site.filled.assignment_id}/class")
    assert isinstance(grades, dict)
    by_login = {s["login"]: s for s in grades["students"]}
    assert by_login["alice"]["grade"]["total"] == 74
    assert by_login["alice"]["graded_commit"] == lines["alice"]["graded_commit"]
    assert by_login["erin"]["run"] is None
    assert [f["code"] for f in by_login["carol"]["flags"]] == ["no-work", "late"]
    same = site.client.get(
        f"/api/assignments/{site.filled.assignment_id}/grades.csv",
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    assert same.text == answer.text
    exercise = _api(site, f"/api/assignments/{site.filled.assignment_id}/exercises/3.3")
    assert isinstance(exercise, dict)
    assert {"code": "pasted.fabricated", "students": ["bob"]}.items() <= next(
        e for e in exercise["common_errors"] if e["code"] == "pasted.fabricated"
    ).items()
    missing = site.client.get("/api/runs/999999", headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert missing.status_code == 404 and missing.json()["error"] == "not-found"
