"""The dashboard in a real headless Chromium, on the real app served by uvicorn, over a store
of real grading runs: sign in through the OAuth flow (GitHub played by a local stand-in),
read the class, a student and an exercise, override a score, re-grade the class with a real
Celery worker and download the gradebook. Screenshots are saved in the test's tmp dir."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from dashboard_class import EXERCISE_FILE, World
from dashboard_support import (
    PROFESSOR,
    Filled,
    LiveServer,
    dashboard_settings,
    fill_store,
    start_worker,
    worker_env,
)
from oauth_standin import OAuthStandIn
from playwright.sync_api import Browser, Page, sync_playwright
from service_support import stop_worker

from grader.app import create_app
from grader.store.db import Connection
from workers.routing import REPOST_PRIORITY, STAFF_QUEUE

pytestmark = [pytest.mark.browser, pytest.mark.service, pytest.mark.postgres, pytest.mark.slow]
pytest_plugins = ["service_fixtures", "dashboard_fixtures"]

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_SECONDS = 240


@dataclass
class Deployment:
    url: str
    filled: Filled
    oauth: OAuthStandIn
    world: World
    conn: Connection
    env: dict[str, str]
    shots: Path

    def page_url(self, path: str) -> str:
        return f"{self.url}/dashboard/assignments/{self.filled.assignment_id}{path}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed: apt-get install chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def deployment(
    world: World,
    conn: Connection,
    store_url: str,
    redis_db: str,
    oauth: OAuthStandIn,
    tmp_path: Path,
) -> Iterator[Deployment]:
    filled = fill_store(conn, world)
    settings = dashboard_settings(world, store_url, redis_db, oauth)
    env = worker_env(world, store_url, redis_db, tmp_path)
    with LiveServer(create_app(settings)) as live:
        yield Deployment(live.url, filled, oauth, world, conn, env, tmp_path)


def new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    return context.new_page()


def shoot(page: Page, deployment: Deployment, name: str) -> Path:
    path = deployment.shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000  # a real rendering, not a blank page
    return path


def sign_in_at(page: Page, deployment: Deployment, login: str, path: str) -> None:
    """Open a dashboard page: the browser goes to GitHub (the stand-in) and comes back."""
    deployment.oauth.signing_in = login
    page.goto(deployment.page_url(path))


def test_staff_read_the_class_a_student_and_an_exercise(
    browser: Browser, deployment: Deployment
) -> None:
    page = new_page(browser)
    sign_in_at(page, deployment, PROFESSOR, "")
    assert page.url == deployment.page_url("")
    assert "GET /login/oauth/authorize" in deployment.oauth.requests
    assert page.locator("header").inner_text().count(PROFESSOR) == 1

    rows = page.locator("table.heat tbody tr")
    assert rows.count() == 5
    by_login = {rows.nth(i).locator("th").inner_text(): rows.nth(i) for i in range(5)}
    assert sorted(by_login) == ["alice", "bob", "carol", "dave", "erin"]
    assert "last-minute dump" in by_login["bob"].inner_text()
    assert "pasted output edited: points held" in by_login["bob"].inner_text()
    assert "late" in by_login["carol"].locator(".flags").inner_text()
    assert "protected file modified" in by_login["dave"].inner_text()
    assert "not graded yet" in by_login["erin"].inner_text()
    assert "74/100" in by_login["alice"].locator(".total").inner_text().replace(" ", "")
    missing = by_login["carol"].locator("td.cell.st-missing").first
    assert missing.inner_text() == "missing"  # words, not colour alone
    assert page.locator("svg.histogram rect.bar").count() == 10
    assert "Students per range" in (page.locator("svg.histogram desc").text_content() or "")
    shoot(page, deployment, "class")

    by_login["bob"].locator("th a").click()
    page.wait_for_url("**/students/**")
    pasted = page.locator("li.finding", has=page.locator("code", has_text="pasted.fabricated"))
    assert pasted.count() == 1
    detail = pasted.locator("pre").inner_text()
    assert "Pasted:" in detail and "The engine returned:" in detail and "99999.00" in detail
    link = pasted.locator("a.where")
    bob = deployment.world.student("bob")
    href = link.get_attribute("href") or ""
    line = int(href.rsplit("#L", 1)[1])
    blob = f"{deployment.oauth.url}/{bob.full_name}/blob/{bob.pushes[-1].sha}/{EXERCISE_FILE}"
    assert href == f"{blob}?plain=1#L{line}"  # ?plain=1: GitHub opens the line, not the render
    assert link.inner_text() == f"{EXERCISE_FILE} line {line}"
    pushes = page.locator("section[aria-labelledby=pushes-h] tbody tr")
    assert pushes.count() == 2
    assert "2025-03-14 22:21 UTC" in pushes.first.inner_text()  # 38 minutes before 22:59
    assert "superseded" in pushes.nth(1).inner_text()
    shoot(page, deployment, "student-bob")

    page.goto(deployment.page_url("/exercises/3.3"))
    errors = page.locator("section[aria-labelledby=errors-h] tbody tr")
    assert any("pasted.fabricated" in text and "bob" in text for text in errors.all_inner_texts())
    assert "whole submissions" in page.locator("section[aria-labelledby=rerun-h]").inner_text()
    shoot(page, deployment, "exercise-3.3")

    student = new_page(browser)
    sign_in_at(student, deployment, "eve-student", "")
    assert "Staff only" in student.locator("h1").inner_text()
    assert "alice" not in student.content()
    response = student.goto(deployment.page_url(""))  # GitHub says eve again: still refused
    assert response is not None and response.status == 403
    shoot(student, deployment, "student-refused")


def staff_messages(redis_url: str, priority: int = 0) -> list[dict[str, Any]]:
    """The staff queue's messages at one priority (kombu keeps one Redis list per step)."""
    client = redis.Redis.from_url(redis_url)
    key = f"{STAFF_QUEUE}\x06\x16{priority}" if priority else STAFF_QUEUE
    return [json.loads(raw) for raw in client.lrange(key, 0, -1)]


def test_an_override_survives_a_real_rerun_and_reaches_the_gradebook(
    browser: Browser, deployment: Deployment, redis_db: str
) -> None:
    page = new_page(browser)
    page.on("dialog", lambda dialog: dialog.accept())  # "Grade every submission again?"
    alice = deployment.filled.repository_ids["alice"]
    sign_in_at(page, deployment, PROFESSOR, f"/students/{alice}")
    assert "Total shown: 74/100" in page.locator("p.total").inner_text()

    page.select_option("#ov-exercise", "1.1a")
    page.fill("#ov-score", "6")
    page.fill("#ov-reason", "Fragments named in French: accepted with a deduction")
    page.click("text=Save the override")
    assert "Override saved" in page.locator(".notice").inner_text()
    assert "Total shown: 72/100" in page.locator("p.total").inner_text()
    row = page.locator("#ex-1\\.1a")
    assert "6/8" in row.inner_text() and "accepted with a deduction" in row.inner_text()
    assert PROFESSOR in row.inner_text()

    page.goto(deployment.page_url(""))
    page.fill("#class-reason", "3.2 rubric changed")
    page.click("text=Re-grade the whole class")
    assert "Re-run queued" in page.locator(".notice").inner_text()
    queued = staff_messages(redis_db)
    run_ids = deployment.filled.run_ids
    assert sorted(m["headers"]["argsrepr"] for m in queued) == sorted(
        f"[{run_ids[s]}]" for s in ("alice", "bob", "carol", "dave")
    )
    assert {m["headers"]["task"] for m in queued} == {"workers.tasks.regrade_run"}
    assert {m["properties"]["priority"] for m in queued} == {0}
    # the override also asked for alice's check run to be posted again, behind re-runs
    reposts = staff_messages(redis_db, REPOST_PRIORITY)
    assert [(m["headers"]["task"], m["headers"]["argsrepr"]) for m in reposts] == [
        ("workers.tasks.repost_check_run", f"[{run_ids['alice']}]")
    ]
    assert "0 of 4 graded" in page.locator(".batch-text").inner_text()

    worker = start_worker(deployment.env, deployment.shots)
    try:
        # a locator: wait_for_function evaluates a string, which the pages' CSP forbids
        page.locator(".batch-text", has_text="4 of 4 graded: done").wait_for(
            timeout=WAIT_SECONDS * 1000
        )
    finally:
        stop_worker(worker)
    assert page.locator("progress").get_attribute("value") == "4"
    shoot(page, deployment, "class-after-rerun")

    rows = deployment.conn.execute(
        "SELECT attempts, finished_at > rerun_requested_at AS fresh FROM grading_runs"
        " WHERE id = ANY(%s)",
        (list(run_ids.values()),),
    ).fetchall()
    assert [(r["attempts"], r["fresh"]) for r in rows] == [(2, True)] * 4
    page.reload()
    alice_row = page.locator("table.heat tbody tr", has=page.locator("th", has_text="alice"))
    assert "72" in alice_row.locator(".total").inner_text()  # the override outlived the re-run

    with page.expect_download() as download:
        page.click("text=Download the gradebook (CSV)")
    saved = deployment.shots / "grades.csv"
    download.value.save_as(saved)
    with saved.open(encoding="utf-8", newline="") as handle:
        lines = {line["login"]: line for line in csv.DictReader(handle)}
    header = next(csv.reader(saved.open(encoding="utf-8")))
    assert header[:4] == ["login", "identifier", "name", "repository"]
    assert header[-4:] == ["total", "max_score", "late_penalty", "flags"]
    assert (lines["alice"]["1.1a"], lines["alice"]["total"]) == ("6", "72")
    assert "overridden" in lines["alice"]["flags"]
    assert lines["carol"]["flags"] == "no work; late" and lines["erin"]["status"] == "no grade"
    assert deployment.world.standin.violations == []


def test_the_evidence_of_a_written_answer_is_visible(
    browser: Browser, deployment: Deployment
) -> None:
    """Bob's student page: each written answer's key points, with the sentence that covers
    each or "not found", laid out where a TA reads them."""
    bob = deployment.world.student("bob").pushes[-1].report
    assert bob is not None
    written = [
        ex for ex in bob.exercises if any(f.code == "written.key-point" for f in ex.findings)
    ]
    assert written, "bob's report has no key point found"
    mixed = next(
        (e for e in written if any(f.code == "written.key-point-missing" for f in e.findings)),
        written[0],
    )
    page = new_page(browser)
    sign_in_at(page, deployment, PROFESSOR, f"/students/{deployment.filled.repository_ids['bob']}")
    heading = page.locator(f'h3[id="findings-{mixed.id}"]')
    table = page.locator(f'h3[id="findings-{mixed.id}"] ~ .evidence table.key-points').first
    assert heading.is_visible() and table.is_visible()
    sentences = {
        " ".join((f.detail or "").split()) for f in mixed.findings if f.code == "written.key-point"
    }
    shown = table.locator("tr.found q").first
    assert shown.is_visible() and " ".join(shown.inner_text().split()) in sentences
    if any(f.code == "written.key-point-missing" for f in mixed.findings):
        missing = table.locator("tr.not-found .missing").first
        assert missing.is_visible() and missing.inner_text() == "not found"
    shoot(page, deployment, "student-bob-evidence")


def test_the_class_grid_fits_a_laptop_screen_and_reads_on_a_phone(
    browser: Browser, deployment: Deployment
) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    sign_in_at(page, deployment, PROFESSOR, "")
    grid = page.locator("table.heat").bounding_box()
    chart = page.locator("details.chart-box").bounding_box()
    assert grid is not None and chart is not None
    assert grid["y"] + 120 < 768  # the header and the first students are on the first screen
    assert chart["y"] >= grid["y"] + grid["height"]  # the histogram below the grid, folded
    assert not page.locator("svg.histogram").is_visible()
    page.locator("table.heat thead a", has_text="Total").click()
    page.wait_for_url("**sort=total&order=desc**")
    assert page.locator("table.heat tbody th").first.inner_text() == "alice"  # highest first
    page.locator("table.heat thead a", has_text="Total").click()
    page.wait_for_url("**sort=total&order=asc**")
    assert page.locator("table.heat tbody th").first.inner_text() == "carol"  # 0 points
    page.fill("#grid-q", "dav")
    page.locator("form.grid-search button").click()
    page.wait_for_url("**q=dav**")
    assert page.locator("table.heat tbody tr").all_inner_texts()[0].startswith("dave")
    assert page.locator("table.heat tbody tr").count() == 1
    context.close()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    sign_in_at(page, deployment, PROFESSOR, "")
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth,"
        " document.querySelector('.scroll').clientWidth,"
        " document.querySelector('table.heat').scrollWidth]"
    )
    page_width, viewport, box, table = widths
    assert page_width <= viewport  # the page itself does not scroll sideways
    assert box <= viewport < table  # only the grid's own box does
    assert box >= 0.94 * viewport  # and it takes the phone's width, not a desktop's margins
    name = page.locator("table.heat tbody th").first.bounding_box()
    assert name is not None and name["width"] > 30  # the student's name is not squeezed
    shoot(page, deployment, "class-phone")
    phone.close()


def test_a_form_sent_after_the_session_expired_comes_back_filled_in(
    browser: Browser, deployment: Deployment
) -> None:
    page = new_page(browser)
    bob = deployment.filled.repository_ids["bob"]
    sign_in_at(page, deployment, PROFESSOR, f"/students/{bob}")
    page.select_option("#ov-exercise", "3.2")
    page.fill("#ov-score", "7.5")
    page.fill("#ov-reason", "the join is right, only the alias differs")
    page.context.clear_cookies()  # the session expired while the TA was typing
    page.locator("form.override-form button[type=submit]").click()
    page.wait_for_url(f"**/students/{bob}?kept=**")
    assert page.input_value("#ov-reason") == "the join is right, only the alias differs"
    assert page.input_value("#ov-score") == "7.5"
    assert page.input_value("#ov-exercise") == "3.2"
    saved = deployment.conn.execute("SELECT count(*) AS n FROM overrides").fetchone()
    assert saved == {"n": 0}  # nothing was saved without a session
