"""Rubric items, Gradescope-style: read from lab.toml with their validation, applied to the
answers of a group as the override of each answer, re-scored when an item's points change
(audited, check runs posted again), kept through re-runs, and seen the same by the class page
and the gradebook export. On the graded class of dashboard_class.py, in a real PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
import shutil
from html import unescape
from pathlib import Path

import pytest
from dashboard_class import LAB
from dashboard_support import PROFESSOR, Site, sign_in
from pydantic import ValidationError
from test_dashboard_review import review_site  # noqa: F401 (the module's fixture)

from grader.core.errors import LabError
from grader.core.lab import Exercise, load_lab
from grader.dashboard import rubric
from grader.dashboard.csv_export import gradebook_csv
from grader.dashboard.queries import class_rows, load_assignment, load_run
from grader.dashboard.stats import columns
from grader.store import check_runs, runs
from grader.store import rubric as rubric_store
from grader.store.overrides import overrides_for_run
from grader.store.runs import Run

pytest_plugins = ["service_fixtures", "dashboard_fixtures"]
EXERCISE = "1.1a"  # 8 points, with lab items "correct" 0, "overlap" -4, "names" -1


# ---------------------------------------------------------------- lab.toml


def test_the_bundled_lab_names_rubric_items_for_written_and_sql_exercises() -> None:
    lab = load_lab(LAB)
    sql = {r.id: r.points for r in lab.exercise("3.2").rubric}
    assert sql == {"correct": 0, "order": -2, "no-site": -4, "not-pasted": -2, "explained": 1}
    written = [e.id for e in lab.exercises if e.rubric and not e.reference]
    assert {"1.2a", "2.2", "4.1", "4.3b"} <= set(written)


@pytest.mark.parametrize(
    ("items", "says"),
    [
        (
            [{"id": "a", "title": "A", "points": -1}, {"id": "a", "title": "B", "points": -2}],
            "rubric item ids ['a'] are used twice",
        ),
        (
            [{"id": "big", "title": "Too much", "points": -5}],
            "rubric item big is worth -5 points, more than the exercise's 4",
        ),
        ([{"id": "blank", "title": "  ", "points": -1}], "rubric item blank has no title"),
        ([{"id": "Bad Id", "title": "A", "points": -1}], "should match pattern"),
        ([{"id": "a", "title": "A"}], "points"),
    ],
)
def test_a_wrong_rubric_item_is_refused_with_its_cause(
    items: list[dict[str, object]], says: str
) -> None:
    exercise = {"id": "4.1", "part": "4", "title": "2PC", "points": 4, "rubric": items}
    with pytest.raises(ValidationError, match=re.escape(says)):
        Exercise.model_validate(exercise)


def test_a_bundle_with_a_wrong_item_is_a_lab_error_naming_the_file(tmp_path: Path) -> None:
    bundle = tmp_path / "mediai"
    shutil.copytree(LAB, bundle)
    manifest = bundle / "lab.toml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace('id = "order"', 'id = "no-site"', 1), encoding="utf-8")
    with pytest.raises(LabError) as raised:
        load_lab(bundle)
    assert "lab.toml" in raised.value.message
    assert "exercise 3.2: rubric item ids ['no-site'] are used twice" in raised.value.message


def test_the_score_is_full_points_plus_the_items_kept_between_0_and_full() -> None:
    assert rubric.rubric_score(8, [-2]) == 6
    assert rubric.rubric_score(8, [-2, +1]) == 7
    assert rubric.rubric_score(8, [+1]) == 8  # a credit never goes above the full points
    assert rubric.rubric_score(8, [-6, -4]) == 0
    assert rubric.rubric_score(8, [0]) == 8


# ---------------------------------------------------------------- the store


def _answers(site: Site) -> list[tuple[Run, str]]:
    """Every current run of the class with a grade of the exercise."""
    assignment = load_assignment(site.conn, site.filled.assignment_id)
    return [
        (r.run, r.repository.full_name)
        for r in class_rows(site.conn, assignment)
        if r.run is not None and r.grade is not None and r.grade.exercise(EXERCISE)
    ]


def _lab_items(site: Site) -> dict[str, rubric_store.RubricItem]:
    lab = load_lab(LAB)
    aid = site.filled.assignment_id
    rubric_store.add_lab_items(site.conn, aid, EXERCISE, lab.exercise(EXERCISE).rubric)
    return {i.key: i for i in rubric_store.exercise_items(site.conn, aid, EXERCISE)}


def _scores(site: Site) -> dict[int, tuple[float, float | None]]:
    """Run id -> (the exercise's score, the total), as the class page computes them."""
    assignment = load_assignment(site.conn, site.filled.assignment_id)
    out = {}
    for row in class_rows(site.conn, assignment):
        if row.run is None or row.grade is None:
            continue
        ex = row.grade.exercise(EXERCISE)
        if ex is not None:
            out[row.run.id] = (ex.score, row.grade.total)
    return out


def _audit(site: Site, action: str) -> list[dict[str, object]]:
    return site.conn.execute(
        "SELECT actor, run_id, exercise_id, detail FROM audit_log WHERE action = %s ORDER BY id",
        (action,),
    ).fetchall()


def test_lab_items_are_added_once_and_keep_the_points_staff_gave_them(site: Site) -> None:
    items = _lab_items(site)
    assert [i.key for i in items.values()] == ["correct", "overlap", "names"]
    assert {i.origin for i in items.values()} == {"lab"}
    rubric_store.set_points(site.conn, items["overlap"].id, -3)
    again = _lab_items(site)
    assert len(again) == 3 and again["overlap"].points == -3
    staff = rubric.add_item(
        site.conn,
        assignment_id=site.filled.assignment_id,
        exercise_id=EXERCISE,
        title="Clear comments",
        description="",
        points=1,
        max_score=8,
        actor=PROFESSOR,
    )
    assert (staff.key, staff.origin, staff.position) == ("staff-1", "staff", 4)
    with pytest.raises(Exception, match="at most the exercise's 8 points"):
        rubric.check_points(-9, 8)


def test_an_item_applied_to_a_group_decides_each_answer_and_a_change_rescores_them(
    site: Site,
) -> None:
    items = _lab_items(site)
    answers = _answers(site)
    assert len(answers) >= 3
    group, others = answers[:2], answers[2:]
    before = _scores(site)

    toggled = rubric.toggle(site.conn, items["overlap"], group, actor=PROFESSOR)
    assert toggled.applied and [t.run_id for t in toggled.targets] == [r.id for r, _ in group]
    after = _scores(site)
    for run, _ in group:
        assert after[run.id][0] == 4  # 8 - 4
        graded = before[run.id]
        assert after[run.id][1] == pytest.approx(min(max((graded[1] or 0) + 4 - graded[0], 0), 100))
        newest = overrides_for_run(site.conn, run.id)[-1]
        assert newest.exercise_id == EXERCISE and newest.by_whom == PROFESSOR
        assert newest.reason == "Rubric: Fragments overlap or miss rows (-4). 4 of 8 points."
    for run, _ in others:
        assert after[run.id] == before[run.id]

    # a second item adds up; the same key again removes it
    rubric.toggle(site.conn, items["names"], group, actor=PROFESSOR)
    assert {_scores(site)[r.id][0] for r, _ in group} == {3}
    removed = rubric.toggle(site.conn, items["names"], group, actor=PROFESSOR)
    assert not removed.applied and {_scores(site)[r.id][0] for r, _ in group} == {4}
    assert [e["run_id"] for e in _audit(site, rubric.APPLY)][:2] == [r.id for r, _ in group]

    # one answer of the group also had the item: applying it to the group again reaches the
    # one without it, and nothing is decided twice for the other
    rubric.toggle(site.conn, items["names"], group[:1], actor=PROFESSOR)
    mixed = rubric.toggle(site.conn, items["names"], group, actor=PROFESSOR)
    assert mixed.applied and [t.run_id for t in mixed.targets] == [group[1][0].id]

    site.conn.execute("UPDATE grading_runs SET repost_requested_at = NULL")  # all posted
    targets = rubric.change_points(site.conn, items["overlap"], -2, max_score=8, actor="ta-grace")
    assert sorted(t.run_id for t in targets) == sorted(r.id for r, _ in group)
    assert {_scores(site)[r.id][0] for r, _ in group} == {5}  # 8 - 2 - 1
    for run, _ in others:
        assert _scores(site)[run.id] == before[run.id]
        assert check_runs.repost_requested(site.conn, run.id) is None
    assert all(check_runs.repost_requested(site.conn, r.id) is not None for r, _ in group)
    (entry,) = _audit(site, rubric.POINTS)
    assert entry["actor"] == "ta-grace"
    detail = entry["detail"]
    assert isinstance(detail, dict)
    assert (detail["before"], detail["after"]) == (-4, -2)
    assert sorted(detail["runs"]) == sorted(r.id for r, _ in group)
    assert (
        "Fragments overlap or miss rows (-2)"
        in overrides_for_run(site.conn, group[0][0].id)[-1].reason
    )


def test_the_items_and_their_points_survive_a_rerun_and_a_new_lab_version(site: Site) -> None:
    items = _lab_items(site)
    (run, name), *_ = _answers(site)
    rubric.toggle(site.conn, items["overlap"], [(run, name)], actor=PROFESSOR)
    report = run.parsed_report()
    assert report is not None

    runs.request_rerun(site.conn, run.id)  # the same commit graded again, in place
    runs.start_attempt(site.conn, run.id)
    runs.finish_run(site.conn, run.id, report)
    assert _scores(site)[run.id][0] == 4

    # a new lab version grades the commit in a run of its own; the decision is the commit's
    newer = runs.ensure_run(
        site.conn,
        repository_id=run.repository_id,
        commit_sha=run.commit_sha,
        lab_id=run.lab_id,
        lab_version=run.lab_version + "-next",
        push_id=run.push_id,
    )
    runs.start_attempt(site.conn, newer.id)
    runs.finish_run(site.conn, newer.id, report)
    (holder,) = rubric_store.holders(site.conn, items["overlap"].id)
    assert holder.run_id == newer.id
    rubric.change_points(site.conn, items["overlap"], -1, max_score=8, actor=PROFESSOR)
    assert overrides_for_run(site.conn, newer.id)[-1].score == 7
    assert check_runs.repost_requested(site.conn, newer.id) is not None
    assert _scores(site)[newer.id][0] == 7


def test_the_export_and_the_class_page_read_the_rubric_decision(site: Site) -> None:
    items = _lab_items(site)
    answers = _answers(site)
    rubric.toggle(site.conn, items["overlap"], answers, actor=PROFESSOR)
    rubric.change_points(site.conn, items["overlap"], -6, max_score=8, actor=PROFESSOR)
    assignment = load_assignment(site.conn, site.filled.assignment_id)
    rows = class_rows(site.conn, assignment)
    exported = list(csv.DictReader(io.StringIO(gradebook_csv(rows, columns(rows)))))
    by_login = {r["login"]: r for r in exported}
    for row in rows:
        if row.run is None or row.grade is None or row.grade.exercise(EXERCISE) is None:
            continue
        line = by_login[row.login]
        assert float(line[EXERCISE]) == 2
        assert float(line["total"]) == row.grade.total
        assert row.grade.overridden

    # the class page's audit says in words what was done with the item
    assert sign_in(site.client, site.oauth, PROFESSOR).status_code == 303
    page = site.client.get(f"/dashboard/assignments/{site.filled.assignment_id}").text
    said = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page)))
    title = items["overlap"].title
    assert f"rubric item “{title}” (-4) applied to run {answers[0][0].id}, exercise 1.1a" in said
    assert f"rubric item “{title}” of exercise 1.1a changed from -4 to -6 points" in said


# ---------------------------------------------------------------- the page


def _form(page: str, action_end: str, form_id: str = "") -> dict[str, list[str]]:
    """The hidden fields of the form whose action ends so, or of the form with that id."""
    start = f'id="{form_id}"' if form_id else 'action="[^"]*' + re.escape(action_end) + '"'
    found = re.search(r"<form method=\"post\" " + start + r"[^>]*>(.*?)</form>", page, re.S)
    assert found is not None, action_end
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'type="hidden" name="([^"]+)" value="([^"]*)"', found[1]):
        fields.setdefault(name, []).append(value)
    return fields


def test_a_ta_adds_applies_and_reprices_items_on_the_review_page(
    review_site: Site,  # noqa: F811
) -> None:
    site = review_site
    base = f"/dashboard/assignments/{site.filled.assignment_id}/exercises/{EXERCISE}/review"
    page = site.client.get(base + "?show=all&group=1")
    assert page.status_code == 200, page.text
    assert 'data-key="1"' in page.text and "Fragments overlap or miss rows" in page.text
    assert "<script>" not in page.text  # the keys are in the static script, as CSP wants
    items = {
        i.key: i
        for i in rubric_store.exercise_items(site.conn, site.filled.assignment_id, EXERCISE)
    }
    overlap = items["overlap"]
    assert f'formaction="{base}/rubric/{overlap.id}/toggle"' in page.text
    # a key sends the decision form, its ticked answers, to the item's own action
    toggle = _form(page.text, "", form_id="decide")
    toggle["run_id"] = re.findall(r'type="checkbox" name="run_id" value="(\d+)" checked', page.text)
    members = [int(r) for r in toggle["run_id"]]
    assert members

    refused = site.client.post(
        base + f"/rubric/{overlap.id}/toggle", data={**toggle, "csrf_token": "x"}
    )
    assert refused.status_code in (400, 403)
    assert rubric_store.holders(site.conn, overlap.id) == []

    done = site.client.post(
        base + f"/rubric/{overlap.id}/toggle", data=toggle, follow_redirects=False
    )
    assert done.status_code == 303 and "group=1" in done.headers["location"]
    shown = site.client.get(done.headers["location"])
    assert "Rubric item applied" in shown.text
    assert re.search(r"With its rubric items: <strong>4 of 8 points</strong>", shown.text)
    assert 'aria-pressed="true"' in shown.text
    assert {h.run_id for h in rubric_store.holders(site.conn, overlap.id)} == set(members)

    # Enter after the key confirms what the items gave: nothing is decided again
    kept = _form(shown.text, "", form_id="decide")
    confirmed = site.client.post(base, data={**kept, "score": "4", "run_id": toggle["run_id"]})
    assert confirmed.status_code == 200, confirmed.text
    assert {h.run_id for h in rubric_store.holders(site.conn, overlap.id)} == set(members)
    assert all(overrides_for_run(site.conn, r)[-1].reason.startswith("Rubric:") for r in members)

    added = _form(shown.text, "/rubric")
    long = site.client.post(base + "/rubric", data={**added, "title": "x" * 121, "points": "-1"})
    assert long.status_code == 422 and "at most 120 characters" in long.text
    made = site.client.post(
        base + "/rubric", data={**added, "title": "Comments missing", "points": "\u22121"}
    )
    assert made.status_code == 200 and "Rubric item added" in made.text
    staff = rubric_store.exercise_items(site.conn, site.filled.assignment_id, EXERCISE)[-1]
    assert (staff.title, staff.points, staff.created_by) == ("Comments missing", -1, PROFESSOR)

    priced = _form(made.text, f"/rubric/{overlap.id}/points")
    moved = site.client.post(base + f"/rubric/{overlap.id}/points", data={**priced, "points": "-3"})
    assert moved.status_code == 200 and "scored again" in moved.text
    assert {load_run(site.conn, r).id for r in members} == set(members)
    assert {overrides_for_run(site.conn, r)[-1].score for r in members} == {5}
    assert all(check_runs.repost_requested(site.conn, r) is not None for r in members)

    # points typed by the TA replace the items' decision: a later change leaves them be
    decide = site.client.get(base + "?show=all&group=1").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', decide)
    assert token is not None
    typed = site.client.post(
        base,
        data={"csrf_token": token[1], "score": "6", "comment": "Fair enough", "run_id": members},
    )
    assert typed.status_code == 200
    assert rubric_store.holders(site.conn, overlap.id) == []
    rubric.change_points(site.conn, overlap, -4, max_score=8, actor=PROFESSOR)
    assert {overrides_for_run(site.conn, r)[-1].score for r in members} == {6}


def test_the_page_is_refused_to_nobody_signed_in(site: Site) -> None:
    sign_in(site.client, site.oauth, None)
    base = f"/dashboard/assignments/{site.filled.assignment_id}/exercises/{EXERCISE}/review"
    answer = site.client.post(
        base + "/rubric", data={"title": "x", "points": "-1"}, follow_redirects=False
    )
    assert answer.status_code == 303 and "/dashboard/login" in answer.headers["location"]
    assert rubric_store.exercise_items(site.conn, site.filled.assignment_id, EXERCISE) == []
