"""An example class for grading by question: 42 students who answered exercise 3.2 (SQL) and
exercise 2.2 (a written answer) of the bundled lab, as a class does: most of them right with
the SQL written their own way (spacing, case, aliases, comments, USING, ORDER BY position),
groups of students with the same wrong answer, and a few answers of their own; prose copied
from one source with small edits, and different texts making the same key points.

Each student's submission is the `complete` example with those two answers replaced, graded
by a real GradingSession on plain PostgreSQL (seed and variant data sets), so the verdicts,
findings and stored answers are the grader's own. `fill_review_store` records the class in
the store as the service does: a push, a run with its report, the commit's answers.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from dashboard_class import ASSIGNMENT, EXAMPLES, EXERCISE_FILE, LAB
from dashboard_support import Filled
from service_support import INSTALLATION_ID

from grader.core.lab import load_lab
from grader.core.report import Report
from grader.pipeline.answers import store_answers
from grader.pipeline.session import GradingSession
from grader.settings import LocalCluster, Settings
from grader.store import pushes, runs
from grader.store.assignments import save_assignment
from grader.store.db import Connection
from grader.store.deliveries import record_delivery
from grader.store.repositories import save_repository

SQL_EXERCISE, PROSE_EXERCISE = "3.2", "2.2"
REVIEW_ASSIGNMENT = ASSIGNMENT.model_copy(update={"repository_prefix": "tp-review-"})
MAX_BYTES = 1_000_000

_RIGHT = """SELECT p.siteOrigin, mr.aiModelUsed,
       COUNT(*) AS nb_exams,
       ROUND(AVG(mr.aiScore)::numeric, 4) AS avg_score
FROM MedicalRecords mr
JOIN Patients p ON p.idPatient = mr.idPatient AND p.country = mr.country
GROUP BY p.siteOrigin, mr.aiModelUsed
ORDER BY avg_score DESC;"""

# (the SQL, whether the pasted result is the right one, how many students wrote it)
SQL_ANSWERS: list[tuple[str, bool, int]] = [
    (_RIGHT, True, 8),
    (_RIGHT.lower(), True, 4),
    (" ".join(_RIGHT.split()), True, 4),
    (
        "select P.SITEORIGIN, M.AIMODELUSED, count(*) as nb_exams,\n"
        "  round(avg(M.AISCORE)::numeric, 4) as avg_score\n"
        "from MedicalRecords as M inner join Patients as P\n"
        "  on P.idPatient = M.idPatient and P.country = M.country\n"
        "group by P.siteOrigin, M.aiModelUsed order by avg_score desc;",
        True,
        3,
    ),
    (
        "-- one row per site and model\nSELECT siteOrigin, aiModelUsed, COUNT(*) AS nb_exams,\n"
        "       ROUND(AVG(aiScore)::numeric, 4) AS avg_score\n"
        "FROM MedicalRecords JOIN Patients USING (idPatient, country)\n"
        "GROUP BY siteOrigin, aiModelUsed\nORDER BY avg_score DESC;",
        True,
        3,
    ),
    (
        "SELECT p.siteOrigin, mr.aiModelUsed, COUNT(*) AS nb_exams,\n"
        "       ROUND(AVG(mr.aiScore)::numeric, 4) AS avg_score\n"
        "FROM Patients p, MedicalRecords mr\n"
        "WHERE mr.idPatient = p.idPatient AND mr.country = p.country\n"
        "GROUP BY 1, 2 ORDER BY 4 DESC;",
        True,
        4,
    ),
    (
        "SELECT p.siteOrigin, mr.aiModelUsed, COUNT(mr.idRecord) AS nb_exams,\n"
        "       ROUND(AVG(mr.aiScore)::numeric, 4) AS avg_score\n"
        "FROM MedicalRecords mr JOIN Patients p\n"
        "  ON (p.country, p.idPatient) = (mr.country, mr.idPatient)\n"
        "GROUP BY p.siteOrigin, mr.aiModelUsed ORDER BY avg_score DESC;",
        True,
        2,
    ),
    # the same wrong answers, copied from one another
    (_RIGHT.replace("ORDER BY avg_score DESC", "ORDER BY avg_score"), False, 4),
    (
        "SELECT mr.aiModelUsed, COUNT(*) AS nb_exams, ROUND(AVG(mr.aiScore)::numeric, 4)"
        " AS avg_score\nFROM MedicalRecords mr\nGROUP BY mr.aiModelUsed\n"
        "ORDER BY avg_score DESC;",
        False,
        5,
    ),
    (
        _RIGHT.replace(
            "GROUP BY p.siteOrigin, mr.aiModelUsed",
            "GROUP BY p.siteOrigin, mr.aiModelUsed HAVING COUNT(*) > 1",
        ),
        False,
        2,
    ),
    # answers of their own
    ("SELECT siteOrigin, COUNT(*) FROM Patients GROUP BY siteOrigin;", False, 1),
    ("SELEC p.siteOrigin FROM Patients p;", False, 1),
    ("___", False, 1),
]

_FULL = (
    "1. Patients: partitioned by country. Each site mostly works with its own patients and the"
    " table grows with every registration, so copying it to every site would waste space.\n"
    "2. MedicalRecords: partitioned, with the same key as Patients. Records are always read"
    " with their patient, so keeping them in the same shard makes the join local.\n"
    "3. TrainingData: partitioned by siteOrigin. The data sets are large and each site trains"
    " on its own data.\n"
    "4. Transactions: mixed. Billing must stay available, so a replicated copy of recent"
    " transactions protects against a worker failure."
)
# (the written answer, how many students wrote it)
PROSE_ANSWERS: list[tuple[str, int]] = [
    (_FULL, 7),
    (_FULL.replace("mostly works", "works mostly"), 2),
    (_FULL.replace("waste space", "waste a lot of space").replace("1. ", "- "), 2),
    (_FULL.replace("Billing must stay available", "Billing has to stay available"), 2),
    (
        "Patients partitioned on country because the sites mostly read their own patients. "
        "MedicalRecords colocated with Patients so the join is local. TrainingData partitioned "
        "by site, it is large. Transactions mixed: a replica of the recent ones for availability.",
        1,
    ),
    (
        "Patients: partitionnée par pays, car chaque site lit ses patients. MedicalRecords"
        " partitionnée avec la même clé. TrainingData partitionnée par siteOrigin (volumineux)."
        " Transactions mixte pour la disponibilité.",
        2,
    ),
    (
        "I would keep Patients partitioned by country since each hospital reads its own"
        " patients. MedicalRecords distributed with the same key, TrainingData sharded by site"
        " and Transactions replicated so that billing survives a failure.",
        2,
    ),
    (
        "Patients sharded by country and MedicalRecords co located with it, since they are"
        " joined. TrainingData distributed by site because it is large. Transactions"
        " replicated for availability.",
        1,
    ),
    # Transactions forgotten, in several words
    (
        "Patients partitioned by country because each site reads its own patients."
        " MedicalRecords partitioned the same way. TrainingData partitioned by siteOrigin.",
        3,
    ),
    (
        "Patients partitioned (country), since sites read their own rows; MedicalRecords"
        " partitioned like Patients; TrainingData partitioned per site.",
        2,
    ),
    (
        "We chose: Patients partitioned by country, MedicalRecords co located with Patients,"
        " TrainingData sharded by siteOrigin, because sites use their own data.",
        2,
    ),
    # no reason given
    (
        "Patients partitioned. MedicalRecords partitioned. TrainingData partitioned. "
        "Transactions replicated.",
        5,
    ),
    (
        "Patients partitioned, MedicalRecords partitioned, TrainingData partitioned and "
        "Transactions replicated.",
        3,
    ),
    (
        "Patients partitioned; MedicalRecords partitioned; TrainingData partitioned; "
        "Transactions replicated.",
        2,
    ),
    ("Everything replicated, it is simpler.", 1),
    ("___", 5),
]


@dataclass(frozen=True)
class Submission:
    login: str
    sha: str
    checkout: Path
    report: Report


@dataclass(frozen=True)
class ReviewClass:
    submissions: list[Submission]

    @property
    def logins(self) -> list[str]:
        return [s.login for s in self.submissions]


def _spread(answers: list[tuple[str, int]]) -> list[str]:
    return [text for text, count in answers for _ in range(count)]


def _section(text: str, heading: str, start: str, end: str, answer: str) -> str:
    """`text` with the slot between `start` and `end` after `heading` holding `answer`."""
    at = text.index(heading)
    begin = text.index(start, at) + len(start)
    return text[:begin] + answer + text[text.index(end, begin) :]


def _exercise_file(sql: str, pasted: bool, prose: str) -> str:
    text = (EXAMPLES / "complete" / EXERCISE_FILE).read_text(encoding="utf-8")
    heading = f"### Exercise {SQL_EXERCISE} "
    text = _section(text, heading, "**My query:**\n```sql\n", "\n```", sql)
    if not pasted:
        text = _section(text, heading, "**Result from psql:**\n```\n", "\n```", "___")
    return _section(text, f"### Exercise {PROSE_EXERCISE} ", "**My answer:**\n", "\n\n## ", prose)


def build_review_class(root: Path) -> ReviewClass:
    """The class's checkouts under `root`, each graded on the engine."""
    sql = [(text, pasted) for text, pasted, count in SQL_ANSWERS for _ in range(count)]
    prose = _spread(PROSE_ANSWERS)
    assert len(sql) == len(prose), (len(sql), len(prose))
    out = []
    with GradingSession.open(Settings(backend="local", local=LocalCluster(citus="off"))) as session:
        for n, ((query, pasted), written) in enumerate(zip(sql, prose, strict=True), start=1):
            login = f"student-{n:02d}"
            checkout = root / login
            shutil.copytree(EXAMPLES / "complete", checkout)
            (checkout / EXERCISE_FILE).write_text(
                _exercise_file(query, pasted, written), encoding="utf-8"
            )
            report = session.grade_checkout(checkout)
            assert report.status.value == "completed", report.error
            sha = hashlib.sha1(login.encode()).hexdigest()
            out.append(Submission(login, sha, checkout, report))
    return ReviewClass(out)


def fill_review_store(conn: Connection, review: ReviewClass) -> Filled:
    """The class as the service records it: a push, its run and report, its answers."""
    assignment_id = save_assignment(conn, REVIEW_ASSIGNMENT)
    lab = load_lab(LAB)
    repository_ids, run_ids = {}, {}
    for s in review.submissions:
        name = f"{REVIEW_ASSIGNMENT.organisation}/{REVIEW_ASSIGNMENT.repository_prefix}{s.login}"
        repo = save_repository(
            conn, name, installation_id=INSTALLATION_ID, assignment_id=assignment_id
        )
        pushed_at = REVIEW_ASSIGNMENT.deadline - timedelta(days=1)
        payload = {"ref": "refs/heads/main", "after": s.sha, "before": "0" * 40}
        record_delivery(conn, f"review-{s.login}", "push", None, pushed_at, payload)
        push_id = pushes.insert_push(
            conn,
            repository_id=repo.id,
            ref="refs/heads/main",
            after_sha=s.sha,
            before_sha="0" * 40,
            forced=False,
            pushed_at=pushed_at,
            delivery_id=f"review-{s.login}",
            status=pushes.GRADED,
        )
        run = runs.ensure_run(
            conn,
            repository_id=repo.id,
            commit_sha=s.sha,
            lab_id=s.report.lab_id,
            lab_version=s.report.lab_version,
            push_id=push_id,
        )
        runs.start_attempt(conn, run.id)
        runs.finish_run(conn, run.id, s.report)
        store_answers(
            conn, repo.id, s.sha, s.checkout, lab, graded_commit=None, max_bytes=MAX_BYTES
        )
        repository_ids[s.login], run_ids[s.login] = repo.id, run.id
    return Filled(assignment_id, repository_ids, run_ids)
