"""Grading by question on the graded class of dashboard_class.py: the answers stored by the
pipeline's adapter, grouped, reviewed in one decision per group, with the review kept as an
override of each answer; and the answer groups themselves."""

from __future__ import annotations

import re
from html import unescape

import pytest
from dashboard_class import LAB, World
from dashboard_support import PROFESSOR, Site, sign_in

from grader.core.lab import load_lab
from grader.dashboard.answer_groups import Candidate, group_answers, normalised_sql
from grader.pipeline.answers import store_answers
from grader.store.overrides import overrides_for_run

pytestmark = [pytest.mark.service, pytest.mark.postgres, pytest.mark.slow]
pytest_plugins = ["service_fixtures", "dashboard_fixtures"]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


@pytest.fixture
def review_site(site: Site, world: World) -> Site:
    """The class with the answers of every graded commit stored, as the worker stores them."""
    lab = load_lab(LAB)
    for student in world.students:
        repo_id = site.filled.repository_ids[student.login]
        for push in student.pushes:
            if push.report is None:
                continue
            # the history rules graded this commit's tree, which the clone holds
            store_answers(
                site.conn,
                repo_id,
                push.sha,
                world.root / "work" / student.login,
                lab,
                graded_commit=push.report.commit,
                max_bytes=1_000_000,
            )
    assert sign_in(site.client, site.oauth, PROFESSOR).status_code == 303
    return site


def test_a_ta_reviews_an_exercise_group_by_group(review_site: Site) -> None:
    site = review_site
    base = f"/dashboard/assignments/{site.filled.assignment_id}/exercises/1.1a/review"
    page = site.client.get(base + "?show=all")
    assert page.status_code == 200, page.text
    text = _text(page.text)
    assert "0 of 4 reviewed" in text
    assert 'class="hl"' in page.text  # highlighted SQL, line numbers of the student's file
    assert "CREATE" in text and "VIEW" in text
    groups = re.findall(r'name="run_id" value="(\d+)"', page.text)
    assert groups, "the first group lists its answers"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    score = re.search(r'id="score" name="score" size="5" value="([^"]+)"', page.text)
    assert score is not None
    # a changed score needs a comment; the grader's score does not
    refused = site.client.post(
        base, data={"csrf_token": csrf[1], "score": "0", "run_id": groups}
    )
    assert refused.status_code == 400
    assert "<html" in refused.text and "needs a comment" in refused.text
    done = site.client.post(
        base,
        data={"csrf_token": csrf[1], "score": score[1], "run_id": groups},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = _text(site.client.get(base + "?show=all").text)
    assert f"{len(groups)} of 4 reviewed" in after
    run = int(groups[0])
    overrides = overrides_for_run(site.conn, run)
    assert [o.exercise_id for o in overrides] == ["1.1a"]
    assert overrides[0].reason.startswith("Reviewed:")
    assert overrides[0].by_whom == PROFESSOR


def test_equal_sql_written_differently_is_one_group() -> None:
    first = "create view V as select * from T -- Paris\nwhere city='Paris';"
    second = "CREATE VIEW v AS\n  SELECT * FROM t WHERE city = 'Paris'"
    other = "CREATE VIEW v AS SELECT * FROM t WHERE city = 'paris'"
    assert normalised_sql(first) == normalised_sql(second) != normalised_sql(other)
    verdict = (8.0, ("objects.ok",))
    groups = group_answers(
        [
            Candidate(1, first, "The views split the table.", verdict),
            Candidate(2, second, "the views split the table", verdict),
            Candidate(3, other, "", verdict),
            Candidate(4, first, "The views split the table.", (4.0, ())),
        ]
    )
    assert [g.members for g in groups] == [[1, 2], [3], [4]]
