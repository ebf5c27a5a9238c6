"""The answer groups of grading by question, on answers written for the test: SQL joined by
its normalised text or by the same results, prose by near-duplicate text or by the same key
points, always within one verdict; and a TA's take-out and split undoing the loose joins."""

from __future__ import annotations

from grader.core.findings import Finding, Severity
from grader.dashboard.answer_evidence import key_points, result_fingerprint
from grader.dashboard.answer_groups import (
    SAME_KEY_POINTS,
    SAME_RESULTS,
    SIMILAR_PROSE,
    Candidate,
    group_answers,
)

RIGHT = (8.0, ("pasted.ok",))
WRONG = (2.0, ("result.rows",))
ROWS = Finding(code="result.rows", message="The result differs.", detail="missing: Tokyo")
OTHER_ROWS = Finding(code="result.rows", message="The result differs.", detail="missing: Paris")
POINT = Finding(code="written.key-point", message="Key point found: a strategy for Patients.")
SUGGESTED = Finding(code="written.suggested", message="Suggested 1/4.", severity=Severity.INFO)


def test_sql_with_the_same_results_is_one_group_whatever_its_text() -> None:
    same = result_fingerprint([])
    groups = group_answers(
        [
            Candidate(1, "SELECT a FROM t JOIN u USING (k)", "", RIGHT, results=same),
            Candidate(2, "select a from t, u where t.k = u.k", "", RIGHT, results=same),
            Candidate(3, "SELECT b FROM t", "", WRONG, results=result_fingerprint([ROWS])),
            Candidate(4, "SELECT c FROM t", "", WRONG, results=result_fingerprint([ROWS])),
            Candidate(5, "SELECT d FROM t", "", WRONG, results=result_fingerprint([OTHER_ROWS])),
            Candidate(6, "SELECT e FROM t", "", WRONG, results=""),  # results unknown
        ]
    )
    assert [g.members for g in groups] == [[1, 2], [3, 4], [5], [6]]
    assert groups[0].reasons == {SAME_RESULTS}


def test_failed_sql_has_no_result_fingerprint() -> None:
    failed = Finding(code="executes.error", message="syntax error")
    assert result_fingerprint([failed, ROWS]) == ""
    assert result_fingerprint([ROWS]) != result_fingerprint([OTHER_ROWS])


def test_prose_is_joined_by_near_duplicates_or_by_the_same_key_points() -> None:
    points = key_points([SUGGESTED, POINT])
    assert points == ("Key point found: a strategy for Patients.",)
    verdict = (1.0, ("written.key-point", "written.suggested"))
    text = "Patients partitioned by country because each site reads its own patients."
    groups = group_answers(
        [
            Candidate(1, "", text, verdict, key_points=points),
            Candidate(2, "", text.replace("reads", "mostly reads"), verdict, key_points=points),
            Candidate(3, "", "We shard Patients on country.", verdict, key_points=points),
            Candidate(4, "", "We shard Patients on country.", (0.0, ()), key_points=()),
        ]
    )
    assert [g.members for g in groups] == [[1, 2, 3], [4]]
    assert groups[0].reasons == {SIMILAR_PROSE, SAME_KEY_POINTS}


def test_a_split_keeps_only_the_same_text_and_a_taken_out_answer_stays_alone() -> None:
    same = result_fingerprint([])
    first, other = "SELECT a FROM t", "select A from T -- again"
    groups = group_answers(
        [
            Candidate(1, first, "", RIGHT, results=same, strict=True),
            Candidate(2, other, "", RIGHT, results=same, strict=True),
            Candidate(3, "SELECT a FROM t JOIN u USING (k)", "", RIGHT, results=same, strict=True),
            Candidate(4, first, "", RIGHT, results=same, alone=True),
            Candidate(5, "SELECT a FROM t, u", "", RIGHT, results=same),
            Candidate(6, "SELECT a FROM t CROSS JOIN u", "", RIGHT, results=same),
        ]
    )
    # 1 and 2 are the same text; the split group's answers join nothing by results any more
    assert [g.members for g in groups] == [[1, 2], [5, 6], [3], [4]]
