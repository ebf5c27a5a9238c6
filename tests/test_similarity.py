"""Class similarity: near-duplicate answers found on both sides, for staff only."""

from __future__ import annotations

from pathlib import Path

from grader.core.findings import Finding
from grader.core.lab import default_lab_path, load_lab
from grader.core.report import ExerciseReport, Report, Status
from grader.grading.similarity import prose_key, similar_pairs, sql_key
from grader.pipeline.class_grading import flag_similar
from grader.publish.checkrun_render import render_report
from grader.render.markdown import details

TEXT = (
    "In phase one the coordinator asks every participant to prepare and vote, and in phase "
    "two it commits only when all of them voted yes, otherwise it rolls back everywhere."
)
OTHER = (
    "Two-phase commit blocks because a prepared worker keeps its locks and must wait for the "
    "decision of the coordinator, which may have crashed in the meantime."
)


def test_near_duplicates_are_paired_and_originals_are_not() -> None:
    answers = {
        "alice": {"4.1": prose_key(TEXT)},
        "bob": {"4.1": prose_key(TEXT.replace("every participant", "each participant"))},
        "carol": {"4.1": prose_key(OTHER)},
    }
    pairs = similar_pairs(answers, 0.8)
    assert [(p.question, p.first, p.second) for p in pairs] == [("4.1", "alice", "bob")]
    assert 0.8 <= pairs[0].similarity <= 1.0


def test_renamed_aliases_and_layout_do_not_hide_a_sql_copy() -> None:
    a = (
        "SELECT p.name, COUNT(*) AS n FROM Patients p "
        "JOIN MedicalRecords mr ON p.idPatient = mr.idPatient GROUP BY p.name"
    )
    b = (
        "select pat.name,\n  count(*) as total -- mine\nfrom patients pat "
        "join medicalrecords m\n on pat.idpatient = m.idpatient group by pat.name"
    )
    assert sql_key(a) == sql_key(b)


def test_the_expected_sql_solution_shared_by_many_is_not_a_copy() -> None:
    same = sql_key(
        "SELECT shardid, nodename, nodeport, shardstate FROM pg_dist_shard_placement "
        "ORDER BY shardid, nodename, nodeport"
    )
    answers = {f"s{i}": {"2.1": same} for i in range(40)}
    assert similar_pairs(answers, 0.95, common_share=0.1) == []


def _report(name: str) -> Report:
    ex = ExerciseReport(id="4.1", title="2PC", part="4", status=Status.PASSED, score=4, max_score=4)
    return Report(lab_id="mediai", lab_version="1", exercises=[ex])


def _submission(root: Path, text: str) -> Path:
    lab = load_lab(default_lab_path())
    template = (lab.root / "template" / lab.exercise_file).read_text(encoding="utf-8")
    head, tail = template.split("### Exercise 4.1", 1)
    section, rest = tail.split("### Exercise 4.2", 1)
    section = section.replace("**My answer:**\n___", f"**My answer:**\n{text}")
    path = root / lab.exercise_file
    path.parent.mkdir(parents=True)
    path.write_text(head + "### Exercise 4.1" + section + "### Exercise 4.2" + rest)
    return root


def test_a_class_copy_is_flagged_on_both_sides_for_staff_only(tmp_path: Path) -> None:
    lab = load_lab(default_lab_path())
    graded = [
        (n, _submission(tmp_path / n, t), _report(n))
        for n, t in (("alice", TEXT), ("bob", TEXT), ("carol", OTHER))
    ]
    pairs = flag_similar(lab, graded, max_bytes=1_000_000)
    assert [(p.first, p.second) for p in pairs] == [("alice", "bob")]
    alice, bob, carol = (r for _, _, r in graded)
    flagged: list[Finding] = alice.exercise("4.1").findings
    assert [f.staff_only for f in flagged] == [True] and "bob" in flagged[0].message
    assert "alice" in bob.exercise("4.1").findings[0].message
    assert carol.exercise("4.1").findings == []
    assert alice.score == 0 and alice.exercise("4.1").score == 4  # points unchanged
    student_view = render_report(alice, pass_mark=50)
    assert "bob" not in student_view.text + student_view.summary
    assert all("bob" not in a["message"] for a in student_view.annotations)
    assert "bob" in details(alice)  # staff renderings keep it
