"""Class similarity and written evidence in the dashboard, on the graded class of
dashboard_class.py recorded in the real store with each commit's answers: a near-duplicate
pair is shown to staff on both students' pages and on the answers of the review page, and
never in what a student sees; the review page shows each key point's sentence or "not found"."""

from __future__ import annotations

import re
from html import unescape

import pytest
from dashboard_class import LAB, World
from dashboard_support import PROFESSOR, Site, sign_in

from grader.core.lab import load_lab
from grader.dashboard.queries import class_rows, grade_of, load_assignment, load_run
from grader.dashboard.similar_answers import class_similarity, forget
from grader.pipeline.answers import store_answers
from grader.publish.checkrun_review import render_grade
from grader.render.written_evidence import KEY_POINT, KEY_POINT_MISSING
from grader.store.answers import save_answers

pytestmark = [pytest.mark.service, pytest.mark.postgres, pytest.mark.slow]
pytest_plugins = ["service_fixtures", "dashboard_fixtures"]

QUESTION = "2.2"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _answers(site: Site, login: str) -> tuple[str, dict[str, dict[str, list[dict[str, object]]]]]:
    row = site.conn.execute(
        "SELECT a.commit_sha, a.answers FROM commit_answers a JOIN grading_runs g"
        " ON g.repository_id = a.repository_id AND g.commit_sha = a.commit_sha WHERE g.id = %s",
        (site.filled.run_ids[login],),
    ).fetchone()
    assert row is not None, f"no answers stored for {login}'s current run"
    return str(row["commit_sha"]), row["answers"]


@pytest.fixture
def similar_site(site: Site, world: World) -> Site:
    """The class with its answers stored, and bob's 2.2 a light rewording of alice's."""
    lab = load_lab(LAB)
    for student in world.students:
        for push in student.pushes:
            if push.report is not None:
                store_answers(
                    site.conn,
                    site.filled.repository_ids[student.login],
                    push.sha,
                    world.root / "work" / student.login,
                    lab,
                    graded_commit=push.report.commit,
                    max_bytes=1_000_000,
                )
    _, alice = _answers(site, "alice")
    sha, bob = _answers(site, "bob")
    copied = [dict(b) for b in alice[QUESTION]["prose"]]
    copied[0]["text"] = str(copied[0]["text"]).replace("mostly works", "works mostly")
    bob[QUESTION]["prose"] = copied
    save_answers(site.conn, site.filled.repository_ids["bob"], sha, "exercise.md", bob)
    assert sign_in(site.client, site.oauth, PROFESSOR).status_code == 303
    return site


def test_a_near_duplicate_pair_is_shown_to_staff_on_both_students_pages(
    similar_site: Site,
) -> None:
    site, ids = similar_site, similar_site.filled.repository_ids
    base = f"/dashboard/assignments/{site.filled.assignment_id}/students"
    for me, other in (("bob", "alice"), ("alice", "bob")):
        page = site.client.get(f"{base}/{ids[me]}")
        assert page.status_code == 200, page.text
        text = _text(page.text)
        figure = re.search(rf"similar to {other} \((0\.\d\d|1\.00)\) on {QUESTION}", text)
        assert figure is not None, f"{me}'s page does not name {other} on {QUESTION}"
        assert float(figure[1]) >= 0.8  # the lab's class_similarity
        assert f'href="{base}/{ids[other]}"' in page.text  # the other student, one click away
    carol = _text(site.client.get(f"{base}/{ids['carol']}").text)
    assert "similar to" not in carol  # the untouched template resembles nobody


def test_the_pair_is_flagged_on_the_review_page_answers(similar_site: Site) -> None:
    site = similar_site
    base = f"/dashboard/assignments/{site.filled.assignment_id}/exercises/{QUESTION}/review"
    first = site.client.get(base + "?show=all")
    assert first.status_code == 200, first.text
    pages = [first.text] + [
        site.client.get(base + unescape(href)).text
        for href in re.findall(r'<a href="(\?[^"]*group=\d+)"', first.text)
    ]
    text = " ".join(_text(p) for p in pages)
    assert re.search(r"similar to alice \((?:0\.\d\d|1\.00)\)", text)
    assert re.search(r"similar to bob \((?:0\.\d\d|1\.00)\)", text)


def test_a_student_never_sees_whom_the_answer_resembles(similar_site: Site) -> None:
    site = similar_site
    assignment = load_assignment(site.conn, site.filled.assignment_id)
    found = class_similarity(site.conn, assignment, load_lab(LAB), max_bytes=1_000_000)
    bob_id = site.filled.repository_ids["bob"]
    assert [r.other_login for r in found.of(bob_id, QUESTION)] == ["alice"]
    # what the worker posts for bob: his check run, before and after the grades are released
    grade = grade_of(load_run(site.conn, site.filled.run_ids["bob"]), [])
    assert grade is not None
    for released in (False, True):
        content = render_grade(grade, pass_mark=50, released=released)
        seen = content.title + content.summary + content.text
        seen += " ".join(str(a) for a in content.annotations)
        assert "alice" not in seen and "similar to" not in seen


def test_the_cache_follows_a_new_answer(similar_site: Site) -> None:
    """Cached pairs are keyed by content: storing bob's answers again is seen at once."""
    site = similar_site
    assignment = load_assignment(site.conn, site.filled.assignment_id)
    lab = load_lab(LAB)
    bob_id = site.filled.repository_ids["bob"]
    forget()
    assert class_similarity(site.conn, assignment, lab, max_bytes=1_000_000).of(bob_id, QUESTION)
    sha, bob = _answers(site, "bob")
    bob[QUESTION]["prose"] = [
        {"text": "Replicate every table everywhere: reads are local and nothing is lost "
         "when a worker fails, which matters more to a hospital than disk space.",
         "line": 1, "end_line": 1}
    ]  # fmt: skip
    save_answers(site.conn, bob_id, sha, "exercise.md", bob)
    after = class_similarity(site.conn, assignment, lab, max_bytes=1_000_000)
    assert after.of(bob_id, QUESTION) == []


def test_the_review_page_shows_each_key_points_sentence_or_not_found(similar_site: Site) -> None:
    site = similar_site
    assignment = load_assignment(site.conn, site.filled.assignment_id)
    # an answer where the grader found some key points and missed others
    chosen = None
    for row in class_rows(site.conn, assignment):
        if row.grade is None:
            continue
        for ex in row.grade.report.exercises:
            codes = {f.code for f in ex.findings}
            if {KEY_POINT, KEY_POINT_MISSING} <= codes:
                chosen = (row.login, ex)
                break
        if chosen:
            break
    assert chosen is not None, "the class has no answer with a key point found and one missed"
    login, ex = chosen
    found = next(f for f in ex.findings if f.code == KEY_POINT)
    assert found.detail
    base = f"/dashboard/assignments/{site.filled.assignment_id}/exercises/{ex.id}/review"
    first = site.client.get(base + "?show=all")
    pages = [first.text] + [
        site.client.get(base + unescape(href)).text
        for href in re.findall(r'<a href="(\?[^"]*group=\d+)"', first.text)
    ]
    sentence = " ".join(found.detail.split())

    def quoted(html: str) -> list[str]:
        return [" ".join(unescape(q).split()) for q in re.findall(r"<q>(.*?)</q>", html, re.S)]

    mine = [p for p in pages if sentence in quoted(p)]
    assert mine, f"no review page of {ex.id} quotes the sentence that covers {login}'s point"
    text = _text(mine[0])
    assert "not found" in text
    assert 'class="list key-points"' in mine[0]
    suggested = next(f for f in ex.findings if f.code == "written.suggested")
    assert suggested.message in text
