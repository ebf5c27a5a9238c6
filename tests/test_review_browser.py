"""Grading by question in a real headless Chromium, on the example class of review_class.py
(42 students graded on plain PostgreSQL): a TA reviews the SQL exercise group after group
with the keyboard until no decision remains, and every answer has its decision in the store;
a TA applies rubric items by their keys to a group; on the written exercise the TA splits a
group and takes an answer out, both audited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from dashboard_class import World
from dashboard_support import PROFESSOR, Filled, LiveServer, dashboard_settings
from oauth_standin import OAuthStandIn
from playwright.sync_api import Browser, Page
from review_class import (
    PROSE_EXERCISE,
    SQL_EXERCISE,
    ReviewClass,
    build_review_class,
    fill_review_store,
)
from test_dashboard_browser import browser, new_page  # noqa: F401 (the module's fixture)

from grader.app import create_app
from grader.cluster.local.binaries import find_binaries
from grader.core.errors import InfrastructureError
from grader.dashboard.group_splits import SPLIT, TAKE_OUT
from grader.dashboard.rubric import APPLY
from grader.store import rubric
from grader.store.db import Connection
from grader.store.overrides import overrides_for_run

pytestmark = [pytest.mark.browser, pytest.mark.service, pytest.mark.postgres, pytest.mark.slow]
pytest_plugins = ["service_fixtures", "dashboard_fixtures"]
_PROGRESS = re.compile(r"(\d+) of (\d+) reviewed, (\d+) decisions? left")


@pytest.fixture(scope="module")
def review_class(tmp_path_factory: pytest.TempPathFactory) -> ReviewClass:
    try:
        find_binaries(None)
    except InfrastructureError as exc:
        pytest.skip(f"no PostgreSQL server binaries to grade the class with: {exc.message}")
    return build_review_class(tmp_path_factory.mktemp("review-class"))


@dataclass
class Review:
    url: str
    filled: Filled
    oauth: OAuthStandIn
    conn: Connection
    shots: Path

    def page_url(self, exercise_id: str, query: str = "") -> str:
        return (
            f"{self.url}/dashboard/assignments/{self.filled.assignment_id}"
            f"/exercises/{exercise_id}/review{query}"
        )


@pytest.fixture
def review(
    world: World,
    review_class: ReviewClass,
    conn: Connection,
    store_url: str,
    redis_db: str,
    oauth: OAuthStandIn,
    tmp_path: Path,
) -> Iterator[Review]:
    filled = fill_review_store(conn, review_class)
    settings = dashboard_settings(world, store_url, redis_db, oauth)
    with LiveServer(create_app(settings)) as live:
        yield Review(live.url, filled, oauth, conn, tmp_path)


def progress(page: Page) -> tuple[int, int, int]:
    """Reviewed answers, answers, decisions left, as the page says them."""
    text = " ".join(page.locator("#progress").inner_text().split())
    found = _PROGRESS.search(text)
    assert found is not None, text
    return int(found[1]), int(found[2]), int(found[3])


def group_size(page: Page) -> int:
    return page.locator("#decide input[name=run_id]:checked").count()


def sizes(page: Page) -> list[int]:
    """The sizes of the groups the page lists, largest first."""
    texts = page.locator("nav.groups li").all_inner_texts()
    return [int(re.findall(r"(\d+) answers?", t)[0]) for t in texts]


def open_review(page: Page, review: Review, exercise_id: str, query: str = "") -> None:
    review.oauth.signing_in = PROFESSOR
    page.goto(review.page_url(exercise_id, query))
    assert page.locator("h1").inner_text().startswith(f"Review exercise {exercise_id}")


def test_a_ta_reviews_the_sql_exercise_of_42_answers_group_by_group(
    browser: Browser,  # noqa: F811
    review: Review,
) -> None:
    page = new_page(browser)
    open_review(page, review, SQL_EXERCISE)
    reviewed, answers, left = progress(page)
    assert (reviewed, answers) == (0, 42)
    assert left <= answers // 5  # the goal: at most one decision per five answers
    biggest = page.locator("section.answer h2").inner_text()
    assert "Group 1: 28 equal answers" in biggest
    # written in seven ways, joined by their results
    assert "the same results on the seed and every variant" in page.locator(".reasons").inner_text()
    assert page.locator(".other-texts h3").count() == 6

    page.keyboard.press("j")  # the next group, and back
    page.wait_for_url("**group=2**")
    assert page.locator("section.answer h2").inner_text().startswith("Group 2:")
    page.keyboard.press("k")
    page.wait_for_url("**group=1**")

    decisions = 0
    while left:
        size = group_size(page)
        assert size > 0
        with page.expect_navigation():
            page.keyboard.press("Enter")  # confirm the grader's points for the whole group
        decisions += 1
        assert "Review saved" in page.locator(".notice").inner_text()
        now = progress(page)
        assert now == (reviewed + size, answers, left - 1)
        reviewed, _, left = now
    assert (reviewed, decisions) == (answers, 7)
    assert "No group matches these filters." in page.locator("nav.groups").inner_text()

    decided = {
        login: [o for o in overrides_for_run(review.conn, run) if o.exercise_id == SQL_EXERCISE]
        for login, run in review.filled.run_ids.items()
    }
    assert len(decided) == answers
    assert all(len(o) == 1 for o in decided.values())  # one decision each, no more
    assert {o[0].by_whom for o in decided.values()} == {PROFESSOR}
    assert all(o[0].reason.startswith("Reviewed:") for o in decided.values())
    page.screenshot(path=str(review.shots / "review-done.png"), full_page=True)


def test_a_ta_applies_rubric_items_to_a_group_by_their_keys(
    browser: Browser,  # noqa: F811
    review: Review,
) -> None:
    page = new_page(browser)
    open_review(page, review, SQL_EXERCISE)
    reviewed, answers, left = progress(page)
    size = group_size(page)
    assert size == 28
    keys = page.locator("button.rubric-toggle").all_inner_texts()
    assert keys[0].split()[:3] == ["1", "0", "Correct"]
    assert keys[1].split()[:2] == ["2", "-2"]  # "Not ordered by the average score"

    with page.expect_navigation():
        page.keyboard.press("1")  # Correct: the full points for the whole group
    assert "rubric=applied" in page.url
    assert "Rubric item applied" in page.locator(".notice").inner_text()
    assert progress(page) == (reviewed + size, answers, left - 1)
    assert "10 of 10 points" in page.locator("#rubric-score").inner_text()
    assert (
        page.locator('button.rubric-toggle[data-key="1"]').get_attribute("aria-pressed") == "true"
    )

    # one answer left out of the next item: it goes to the ticked answers only
    spared = page.locator("#decide input[name=run_id]").last
    spared_run = int(spared.get_attribute("value") or "0")
    spared.uncheck()
    with page.expect_navigation():
        page.keyboard.press("2")
    assert "8 of 10 points" in page.locator("#rubric-score").inner_text()
    assert "on 27 of 28 answers" in page.locator(".rubric-items li").nth(1).inner_text()
    assert (
        page.locator('button.rubric-toggle[data-key="2"]').get_attribute("aria-pressed") == "mixed"
    )
    assert progress(page)[2] == left - 1

    items = {
        i.key: i
        for i in rubric.exercise_items(review.conn, review.filled.assignment_id, SQL_EXERCISE)
    }
    holders = {h.run_id for h in rubric.holders(review.conn, items["order"].id)}
    assert len(holders) == size - 1 and spared_run not in holders
    for run in holders:
        newest = overrides_for_run(review.conn, run)[-1]
        assert (newest.score, newest.by_whom) == (8, PROFESSOR)
        assert "Not ordered by the average score (-2)" in newest.reason
    assert overrides_for_run(review.conn, spared_run)[-1].score == 10
    applied = review.conn.execute(
        "SELECT count(*) AS n FROM audit_log WHERE action = %s", (APPLY,)
    ).fetchone()
    assert applied is not None and applied["n"] == size + size - 1

    page.keyboard.press("j")  # the next group still follows the one just decided
    page.wait_for_url("**group=2**")
    assert progress(page)[2] == left - 1
    page.screenshot(path=str(review.shots / "review-rubric.png"), full_page=True)


def test_a_ta_splits_a_group_and_takes_an_answer_out(
    browser: Browser,  # noqa: F811
    review: Review,
) -> None:
    page = new_page(browser)
    open_review(page, review, PROSE_EXERCISE)
    _, answers, left = progress(page)
    assert answers == 42
    first = group_size(page)
    reasons = page.locator(".reasons").inner_text()
    assert "the same key points found" in reasons and "nearly the same" in reasons

    page.click("text=Split: keep together only the same text")
    assert "The group was split" in page.locator(".notice").inner_text()
    _, _, after_split = progress(page)
    assert after_split > left
    assert group_size(page) < first

    size = group_size(page)
    assert size > 1
    before = sizes(page)
    login = page.locator("#take-out-run option").last.inner_text()
    page.select_option("#take-out-run", label=login)
    page.click("text=Take the answer out")
    assert "taken out of its group" in page.locator(".notice").inner_text()
    assert progress(page)[2] == after_split + 1
    before.remove(size)
    assert sizes(page) == sorted([*before, size - 1, 1], reverse=True)

    entries = review.conn.execute(
        "SELECT action, actor, run_id FROM audit_log WHERE assignment_id = %s"
        " AND exercise_id = %s ORDER BY id",
        (review.filled.assignment_id, PROSE_EXERCISE),
    ).fetchall()
    assert [(e["action"], e["actor"]) for e in entries] == [
        (SPLIT, PROFESSOR),
        (TAKE_OUT, PROFESSOR),
    ]
    assert entries[1]["run_id"] == review.filled.run_ids[login]
