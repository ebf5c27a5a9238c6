"""Written answers: suggested scores from the rubric's key points, on the TA-scored corpus."""

from __future__ import annotations

import pytest

from grader.checks.text_normalise import has_phrase, phrase_stems, split_sentences, stem_set
from grader.core.lab import default_lab_path, load_lab
from grader.core.report import ExerciseReport, Report, Status
from grader.publish.checkrun_render import conclusion_for
from grader.render.summary import headline
from tests.accuracy.written.score import COURSE_MATERIAL, score_corpus, score_one

needs_material = pytest.mark.skipif(
    not COURSE_MATERIAL.is_dir(), reason="the course material used as copy sources is absent"
)


@pytest.fixture(scope="module")
def scored():  # type: ignore[no-untyped-def]
    return score_corpus(COURSE_MATERIAL)


@needs_material
def test_suggestions_within_a_quarter_of_the_ta_for_most_answers(scored) -> None:  # type: ignore[no-untyped-def]
    assert len(scored) >= 140
    agree = sum(s.agrees for s in scored)
    assert agree / len(scored) >= 0.85, [s for s in scored if not s.agrees]


@needs_material
def test_every_copy_is_caught_and_no_original_is(scored) -> None:  # type: ignore[no-untyped-def]
    assert all(s.copied for s in scored if s.kind == "copied")
    # restating the question may also read as a copy of the exercise file: 0 points either way
    assert not [s for s in scored if s.copied and s.kind not in {"copied", "repeat"}]


@needs_material
def test_concise_complete_answers_get_full_points_and_filler_none(scored) -> None:  # type: ignore[no-untyped-def]
    concise = [s for s in scored if s.kind == "concise"]
    assert concise and all(s.suggested == 1.0 for s in concise)
    filler = [s for s in scored if s.kind == "filler"]
    assert filler and all(s.suggested == 0.0 for s in filler)


def test_every_written_part_lists_key_points() -> None:
    lab = load_lab(default_lab_path())
    written = {e.id: c for e in lab.exercises for c in e.checks if c.type == "written"}
    assert set(written) == {
        "1.2a", "1.4", "2.1", "2.2", "3.1", "3.3", "4.1", "4.2", "4.3a", "4.3b",
        "Q1", "Q2", "Q3", "Q4",
    }
    assert all(c.params["key_points"] for c in written.values())


def test_misconception_costs_points_unless_refuted() -> None:
    lab = load_lab(default_lab_path())
    base = (
        "The plan shows Task Count: 32 on all three workers, because the filter is on name and "
        "not on the distribution key. Co-located shards sit on the same worker, so the join is "
        "local and no rows travel between workers."
    )
    full = score_one(lab, "3.1", base, "full", "en", 1.0)
    refuted = score_one(lab, "3.1", "The handout says a single worker. " + base, "full", "en", 1)
    wrong = score_one(lab, "3.1", base + " So it runs on one worker.", "full", "en", 1)
    assert full.suggested == 1.0 and refuted.suggested == 1.0
    assert wrong.suggested == 0.5


def test_french_accents_and_inflections_match_the_rubric() -> None:
    answer = stem_set("Les PARTICIPANTS préparés valident ensuite")
    assert has_phrase(answer, phrase_stems("participant préparé validation"))
    assert not has_phrase(answer, phrase_stems("participant verrou"))
    sentences = split_sentences("Phase 1 : ils votent.\n\n2. Puis ils valident.", 10)
    assert [s.line for s in sentences] == [10, 12]


def test_an_answer_repeating_the_question_gets_nothing() -> None:
    lab = load_lab(default_lab_path())
    s = score_one(lab, "Q3", "Why are Patients and MedicalRecords distributed on the same key?",
                  "repeat", "en", 0)
    assert s.suggested == 0.0


def test_headline_counts_only_written_points_awaiting_review() -> None:
    ex = ExerciseReport(
        id="3.1", title="t", part="3", status=Status.PASSED, score=6, max_score=6,
        manual_review=True, review_points=2,
    )
    report = Report(lab_id="l", lab_version="1", score=6, max_score=6, exercises=[ex],
                    review_points=2)
    assert "2 written points await review" in headline(report)


def test_check_run_counts_only_the_written_part_as_provisional() -> None:
    ex = ExerciseReport(
        id="3.1", title="t", part="3", status=Status.PASSED, score=6, max_score=6,
        manual_review=True, review_points=2,
    )
    report = Report(lab_id="l", lab_version="1", score=6, max_score=6, exercises=[ex],
                    review_points=2)
    assert conclusion_for(report, pass_mark=50) == "success"  # 4 points sure, 3 needed
    assert conclusion_for(report, pass_mark=80) == "neutral"  # 4.8 needed: the TA decides
