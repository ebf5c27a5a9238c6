"""The roster upload and the gradebook exports, on a store of real grading runs through the
real app: each file's columns are the ones its LMS documents, and every file gives the
totals the dashboard shows, overrides applied and the late penalty deducted."""

from __future__ import annotations

import codecs
import csv
import io
import re
from html import unescape
from pathlib import Path

import pytest
from dashboard_support import API_TOKEN, PROFESSOR, Site, sign_in

from grader.core.lab import default_lab_path, load_lab
from grader.core.report import Report, Status
from grader.core.roster import parse_roster
from grader.pipeline.class_grading import write_scores_csv
from grader.store import runs
from grader.store.assignments import Assignment, save_assignment
from grader.store.db import Connection
from grader.store.roster import load_roster, save_class_roster

pytestmark = [pytest.mark.service, pytest.mark.postgres, pytest.mark.slow]
pytest_plugins = ["service_fixtures", "dashboard_fixtures"]

# Canvas, Instructor Guide "How do I import grades in the Gradebook?": the student columns
# Student, ID, SIS User ID, SIS Login ID, Section, then one column per assignment, named
# "Assignment name (assignment id)"; a "Points Possible" row may follow the header, and a
# column whose points read "(read only)" is not imported ("How do I export grades in the
# Gradebook?": read-only columns are ignored on re-upload). Checked against the importer
# itself (canvas-lms, app/models/gradebook_importer.rb), which reads exactly these names.
CANVAS_STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
CANVAS_POINTS_POSSIBLE = "Points Possible"
CANVAS_READ_ONLY = "(read only)"
# MoodleDocs "Grade import": the person importing maps one column to a user field
# (userid, username, useridnumber, useremail) and each other column to a grade item, its
# feedback, or ignore; the column names are Moodle's export names of those user fields
# ("ID number", "Email address", "Username") and "<item> (Feedback)".
MOODLE_USER_COLUMNS = {"idnumber": "ID number", "email": "Email address", "username": "Username"}
MOODLE_FEEDBACK_SUFFIX = " (Feedback)"

# GitHub Classroom's roster download (abc-classroom guide "Managing the classroom roster").
ROSTER = (
    "identifier,github_username,github_id,name\r\n"
    "s1001,alice,1001,Alice Martin\r\n"
    "s1002,BOB,1002,Bob Durand\r\n"  # GitHub logins ignore case
    "carol@uni.example,carol,1003,Carol Petit\r\n"
    "s1005,erin,1005,Erin Roux\r\n"
    "s1009,frank,1009,Frank Noel\r\n"  # on the roster, no repository
    "s1010,,,\r\n"  # has not linked a GitHub account yet
)  # dave is not on it


@pytest.fixture
def staff_site(site: Site) -> Site:
    assert sign_in(site.client, site.oauth, PROFESSOR).status_code == 303
    return site


def _base(site: Site) -> str:
    return f"/dashboard/assignments/{site.filled.assignment_id}"


def _csrf(site: Site) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', site.client.get("/dashboard").text)
    assert found is not None
    return found[1]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _upload(site: Site, data: bytes, name: str = "classroom_roster.csv") -> str:
    answer = site.client.post(
        f"{_base(site)}/roster",
        data={"csrf_token": _csrf(site)},
        files={"roster": (name, data, "text/csv")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return _text(site.client.get(answer.headers["location"]).text)


def _download(site: Site, **params: str) -> list[list[str]]:
    answer = site.client.get(f"{_base(site)}/grades.csv", params=params)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(answer.text, newline="")))


def _dashboard_totals(site: Site) -> dict[str, dict[str, object]]:
    answer = site.client.get(
        f"/api/assignments/{site.filled.assignment_id}/class",
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    assert answer.status_code == 200
    return {s["login"]: s["grade"] for s in answer.json()["students"]}


def _number(value: object) -> str:
    return "" if value is None else f"{round(float(str(value)), 2):g}"


def _awaiting(site: Site, login: str) -> float:
    """The written points of the report awaiting review, counted from the stored report."""
    run = runs.get_run(site.conn, site.filled.run_ids[login])
    report = Report.model_validate(run.report)
    return sum(
        e.review_points or e.max_score
        for e in report.exercises
        if e.manual_review and e.status is not Status.UNGRADED
    )


def test_the_exports_carry_the_roster_and_the_dashboards_totals(staff_site: Site) -> None:
    site = staff_site
    page = _text(site.client.get(f"{_base(site)}/export").text)
    assert "No roster yet: all 5 students are unmatched" in page

    page = _upload(site, codecs.BOM_UTF8 + ROSTER.encode())
    assert "Roster saved." in page
    assert "6 students" in page and "4 of 5 repositories matched" in page
    assert "1 unmatched (dave)" in page
    assert "2 roster students without a repository" in page

    # alice handed in late: the deadline rules took 10 points (a late penalty in the report,
    # as the grader writes it), and a person lowered one of her exercises
    alice_run = site.filled.run_ids["alice"]
    report = Report.model_validate(runs.get_run(site.conn, alice_run).report)
    report.penalty, report.score = 10.0, report.score - 10.0
    runs.finish_run(site.conn, alice_run, report)
    override = site.client.post(
        f"{_base(site)}/runs/{alice_run}/overrides",
        data={"csrf_token": _csrf(site), "exercise_id": "1.1a", "score": "6", "reason": "typo"},
        follow_redirects=False,
    )
    assert override.status_code == 303
    dashboard = _dashboard_totals(site)
    assert dashboard["alice"]["total"] == 62  # 74 graded, -10 late, -2 overridden
    assert "alice 62 /100" in _text(site.client.get(_base(site)).text)  # the class page
    totals = {login: _number(g["total"]) if g else "" for login, g in dashboard.items()}

    lines = _download(site)
    today = {row[0]: dict(zip(lines[0], row, strict=True)) for row in lines[1:]}
    assert lines[0][:7] == [
        "login", "identifier", "name", "repository", "graded_commit", "pushed_at", "status"
    ]  # fmt: skip
    assert lines[0][-5:] == ["awaiting_review", "total", "max_score", "late_penalty", "flags"]
    assert {k: v["total"] for k, v in today.items()} == totals
    assert (today["bob"]["identifier"], today["dave"]["identifier"]) == ("s1002", "")
    assert (today["alice"]["total"], today["alice"]["late_penalty"]) == ("62", "10")

    canvas = _download(site, format="canvas", title="SQL lab", canvas_id="4521")
    assert canvas[0] == [*CANVAS_STUDENT_COLUMNS, "SQL lab (4521)", "Points awaiting review"]
    assert canvas[1][0] == CANVAS_POINTS_POSSIBLE and canvas[1][1:5] == ["", "", "", ""]
    assert (canvas[1][5], canvas[1][6]) == ("100", CANVAS_READ_ONLY)
    by_login = {row[3] or row[0]: row for row in canvas[2:]}  # SIS Login ID, else the name
    assert by_login["carol@uni.example"][0] == "Carol Petit"
    assert by_login["s1001"][5] == "62"
    assert by_login["dave"][1:5] == ["", "", "", ""]  # unmatched: exported, identifier blank
    assert [row[5] for row in canvas[2:]] == [today[login]["total"] for login in today]
    user_id = _download(site, format="canvas", canvas_match="sis_user_id")
    assert user_id[0][5] == "tp-distributed"  # the assignment's name by default
    assert [row[2] for row in user_id[2:]] == [
        "s1001", "s1002", "carol@uni.example", "", "s1005"
    ]  # fmt: skip

    moodle = _download(site, format="moodle", title="SQL lab", moodle_field="email")
    assert moodle[0] == [
        MOODLE_USER_COLUMNS["email"], "Full name", "GitHub username",
        "SQL lab", "SQL lab" + MOODLE_FEEDBACK_SUFFIX, "Points awaiting review",
    ]  # fmt: skip
    moodle_rows = {row[2]: row for row in moodle[1:]}
    assert list(moodle_rows) == ["alice", "bob", "carol", "erin"]  # dave has no identifier
    assert {k: r[3] for k, r in moodle_rows.items()} == {k: totals[k] for k in moodle_rows}
    assert moodle_rows["alice"][3] == "62"
    assert "10 points of penalty deducted" in moodle_rows["alice"][4]
    assert "changed by staff" in moodle_rows["alice"][4]
    assert moodle_rows["erin"][4] == "Not graded yet." and moodle_rows["erin"][3] == ""

    # the points awaiting review: the same in every file, as the reports count them
    alice = _awaiting(site, "alice")
    assert alice > 0
    assert today["alice"]["awaiting_review"] == _number(alice)
    assert by_login["s1001"][6] == _number(alice)
    assert moodle_rows["alice"][5] == _number(alice)
    assert f"{_number(alice)} written points await review" in moodle_rows["alice"][4]


def test_a_wrong_roster_is_refused_and_the_saved_one_kept(staff_site: Site) -> None:
    site = staff_site
    _upload(site, ROSTER.encode())
    wrong = site.client.post(
        f"{_base(site)}/roster",
        data={"csrf_token": _csrf(site)},
        files={"roster": ("grades.csv", b"email,login\r\na@b.c,alice\r\n", "text/csv")},
    )
    assert wrong.status_code == 400
    text = _text(wrong.text)
    assert "The roster was not saved: grades.csv lacks the columns identifier" in text
    assert "4 of 5 repositories matched" in text  # the saved roster still applies

    no_token = site.client.post(
        f"{_base(site)}/roster", files={"roster": ("r.csv", ROSTER.encode(), "text/csv")}
    )
    assert no_token.status_code == 403
    actions = site.conn.execute(
        "SELECT actor, detail FROM audit_log WHERE action = 'roster' ORDER BY id"
    ).fetchall()
    assert [(a["actor"], a["detail"]["entries"]) for a in actions] == [(PROFESSOR, 6)]

    removed = site.client.post(
        f"{_base(site)}/roster/delete", data={"csrf_token": _csrf(site)}, follow_redirects=False
    )
    assert removed.status_code == 303
    assert "Roster removed." in _text(site.client.get(removed.headers["location"]).text)
    assert [row[1] for row in _download(site)[1:]] == [""] * 5
    assert _download(site, format="moodle")[1:] == []  # nobody can be matched in Moodle


def test_grade_class_records_the_roster_and_writes_the_identifier(
    conn: Connection, store_url: str, tmp_path: Path
) -> None:
    """What `grade-class --store ORG --roster FILE` does after grading."""
    lab = load_lab(default_lab_path())
    aid = save_assignment(
        conn, Assignment(organisation="uni", repository_prefix="tp-distributed-", lab=lab.id)
    )
    roster = parse_roster(ROSTER.encode(), "classroom_roster.csv")
    folders = ["tp-distributed-alice", "tp-distributed-bob", "tp-distributed-dave"]
    assert save_class_roster(store_url, "uni", folders, roster, source_name="r.csv") == [aid]
    assert save_class_roster(store_url, "uni", folders, roster, source_name="r.csv") == [aid]
    stored = load_roster(conn, aid)
    assert stored is not None and stored.roster == roster  # replaced whole, not doubled
    assert (stored.uploaded_by, stored.source_name) == ("grade-class", "r.csv")

    graded = [(name, Report(lab_id=lab.id, lab_version=lab.version)) for name in folders]
    found = {name: roster.for_folder(name) for name in folders}
    identifiers = {name: e.identifier for name, e in found.items() if e is not None}
    path = tmp_path / "scores.csv"
    write_scores_csv(path, lab, graded, identifiers)
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["submission", "identifier", "status"]
    assert [row[1] for row in rows[1:]] == ["s1001", "s1002", ""]
