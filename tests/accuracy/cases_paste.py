"""Pastes: edited by hand, meta-command output, whole sessions; SQL kept in data/; late work."""

# ruff: noqa: RUF001  (SQL and messages kept as a student writes them)

from __future__ import annotations

from tests.accuracy.cases_correct import R32, count_11b, views_11a
from tests.accuracy.cases_other import add_row, edit, session
from tests.accuracy.model import Case, Commit, Verdict

V = Verdict
HONEST = "the query is right and the paste is what psql printed for it"

PASTES = [
    Case(
        "f01-edited-score-3.2",
        "3.2 paste: Paris/DiagNet-3's average raised by hand",
        paste={"3.2": edit("0.8765", "0.9765")},
        verdicts={"3.2": V("fabricated", "the pasted average is not what the query returns")},
    ),
    Case(
        "f02-row-added-1.2b",
        "1.2b paste: a 15th record added to the reconstruction",
        paste={
            "1.2b": add_row(
                "| Kidney stone of 4 mm            | NephroAI-1    |  0.9002 | v1.3",
                "       15 |        18 | Japan   | 2024-08-20 | ECG               | Normal"
                "                          | CardioScan-2  |  0.9311 | v2.1",
            )
        },
        verdicts={"1.2b": V("fabricated", "a row no query of the student's produces")},
    ),
    Case(
        "f03-edited-count-1.1b",
        "1.1b paste: Paris shown with 5 rows and a total of 14",
        paste={
            "1.1b": lambda out, _sql: out.replace("     4 |", "     5 |", 1).replace(
                "|            13 |", "|            14 |", 1
            )
        },
        verdicts={"1.1b": V("fabricated", "the pasted counts are not the engine's")},
    ),
    Case(
        "f04-fewer-rows-3.2",
        "3.2 paste: the two worst rows deleted, row count fixed",
        paste={
            "3.2": lambda out, _sql: "\n".join(
                line for line in out.splitlines() if "| 0.8713" not in line and "0.8457" not in line
            ).replace("(13 rows)", "(11 rows)")
        },
        verdicts={"3.2": V("fabricated", "rows of the real result cut out of the paste")},
    ),
    Case(
        "m01-meta-d-1.1a",
        "1.1a ends with \\d TrainingData_Paris; its output is pasted",
        sql={"1.1a": views_11a() + "\n\\d TrainingData_Paris"},
        verdicts={"1.1a": V("full", "\\d output is genuine psql output, never fabricated")},
    ),
    Case(
        "m02-meta-dt-1.2b",
        "1.2b ends with \\dt medicalrecords_*",
        sql={
            "1.2b": """CREATE TABLE MedicalRecords_Clinical AS
  SELECT idRecord, idPatient, country, date, examType, result FROM MedicalRecords;
CREATE TABLE MedicalRecords_AI AS
  SELECT idRecord, idPatient, country, aiModelUsed, aiScore, aiVersion FROM MedicalRecords;
\\dt medicalrecords_*
SELECT c.idRecord, c.idPatient, c.country, c.date, c.examType, c.result,
       a.aiModelUsed, a.aiScore, a.aiVersion
FROM MedicalRecords_Clinical c JOIN MedicalRecords_AI a ON a.idRecord = c.idRecord
ORDER BY c.idRecord;"""
        },
        verdicts={"1.2b": V("full", "\\dt output pasted as psql printed it")},
    ),
    Case(
        "m03-meta-x-3.2",
        "3.2 run in expanded mode (\\x on) and pasted so",
        sql={"3.2": "\\x on\n" + R32},
        verdicts={"3.2": V("full", "expanded display of the right result is still genuine")},
    ),
    Case(
        "s01-session-3.2",
        "3.2 paste is the whole psql session: prompt, query, output",
        paste={"3.2": session()},
        verdicts={"3.2": V("full", HONEST + ", with the prompt and query around it")},
    ),
    Case(
        "s02-session-1.1b",
        "1.1b paste is the whole psql session",
        sql={
            "1.1b": count_11b(
                [
                    "TrainingData_Paris",
                    "TrainingData_Tunis",
                    "TrainingData_Montreal",
                    "TrainingData_Tokyo",
                ]
            )
        },
        paste={"1.1b": session()},
        verdicts={"1.1b": V("full", HONEST + ", pasted as a session")},
    ),
    Case(
        "d01-data-file-3.2",
        "3.2's answer block says the query is in data/exercise-3.2.sql",
        sql={"3.2": R32},
        shown={"3.2": "-- my query is in data/exercise-3.2.sql\n\\i data/exercise-3.2.sql"},
        data_files={"exercise-3.2.sql": R32 + "\n"},
        verdicts={
            "3.2": V("full", "the handout allows SQL files in data/; the file's query is right")
        },
    ),
    Case(
        "d02-data-file-1.1a",
        "1.1a's views kept in data/fragments.sql, referenced by \\i",
        sql={"1.1a": views_11a()},
        shown={"1.1a": "\\i data/fragments.sql"},
        data_files={"fragments.sql": views_11a() + "\n"},
        verdicts={"1.1a": V("full", "the four views are in data/fragments.sql, as allowed")},
    ),
    Case(
        "l01-late-fix-3.2",
        "3.2 wrong (SUM) at the deadline, fixed 5 hours after it",
        history=[
            Commit(-72, "Part 1 done – fragmentation", {}),
            Commit(-30, "Part 3 done", {"3.2": R32.replace("AVG(", "SUM(")}),
            Commit(5, "fix 3.2", {"3.2": R32}),
        ],
        verdicts={
            "3.2": V("quarter", "the graded (on-time) commit sums the scores"),
            "history": V("late", "the fix was pushed 5 h late and must be reported"),
        },
    ),
    Case(
        "l02-late-french",
        "French file; Part 4 committed a day late, no change to graded SQL",
        french=True,
        history=[
            Commit(-50, "partie 1", {"1.1a": views_11a()}),
            Commit(-3, "partie 3", {"3.2": R32}),
            Commit(
                26,
                "partie 4 (en retard)",
                {
                    "3.3": """SELECT p.country, COUNT(*) AS n
FROM Patients p JOIN Transactions t ON t.idPatient = p.idPatient AND t.country = p.country
WHERE t.status = 'pending' GROUP BY p.country ORDER BY p.country;"""
                },
            ),
        ],
        verdicts={"history": V("late", "a commit a day after the deadline must be reported")},
    ),
]
