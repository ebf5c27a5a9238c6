"""Wrong-but-plausible answers, hard-coded answers, fabricated and unusual pastes, SQL in
data/, and late work."""

# ruff: noqa: E501  (SQL and messages kept as a student writes them)

from __future__ import annotations

from tests.accuracy.cases_correct import JOIN_13, R32, SITES, views_11a, views_13
from tests.accuracy.model import Case, Paste, Verdict

V = Verdict
FULL_11B = V("full", "1.1b's own query is right; judged alone, on the reference's views (item 3)")


def session(prompt: str = "mediAI") -> Paste:
    """A whole psql session pasted: the prompt, the query as typed, then the output."""

    def paste(out: str, sql: str) -> str:
        lines = sql.strip().splitlines()
        typed = [f"{prompt}=# {lines[0]}"] + [f"{prompt}-# {line}" for line in lines[1:]]
        return "\n".join(typed) + "\n" + out

    return paste


def edit(old: str, new: str) -> Paste:
    return lambda out, _sql: out.replace(old, new, 1)


def add_row(after: str, row: str) -> Paste:
    def paste(out: str, _sql: str) -> str:
        out = out.replace(after, after + "\n" + row, 1)
        for n in range(30, 0, -1):
            if f"({n} rows)" in out:
                return out.replace(f"({n} rows)", f"({n + 1} rows)")
        return out

    return paste


WRONG = [
    Case(
        "w01-wrong-filter-1.1a",
        "1.1a: the Tokyo view filters 'Tunis' (copy-paste slip)",
        sql={
            "1.1a": views_11a().replace("WHERE siteOrigin = 'Tokyo'", "WHERE siteOrigin = 'Tunis'")
        },
        verdicts={"1.1a": V("quarter", "one fragment of four holds the wrong site's rows")},
    ),
    Case(
        "w02-missing-views-1.3",
        "1.3: the two Japan views are missing",
        sql={
            "1.3": "\n\n".join(p for p in views_13().split("\n\n") if "_JP_" not in p)
            + "\n\n"
            + JOIN_13
        },
        verdicts={"1.3": V("quarter", "two of the six views asked for do not exist")},
    ),
    Case(
        "w03-extra-column-1.2b",
        "1.2b: the AI fragment also carries the clinical result",
        sql={
            "1.2b": """CREATE TABLE MedicalRecords_Clinical AS
  SELECT idRecord, idPatient, country, date, examType, result FROM MedicalRecords;
CREATE TABLE MedicalRecords_AI AS
  SELECT idRecord, idPatient, country, result, aiModelUsed, aiScore, aiVersion FROM MedicalRecords;
SELECT c.idRecord, c.idPatient, c.country, c.date, c.examType, c.result,
       a.aiModelUsed, a.aiScore, a.aiVersion
FROM MedicalRecords_Clinical c JOIN MedicalRecords_AI a ON a.idRecord = c.idRecord
ORDER BY c.idRecord;"""
        },
        # the point of the split (1.2a) is that the AI team does not see the diagnosis
        verdicts={
            "1.2b": V("quarter", "an extra clinical column in the AI fragment defeats the split")
        },
    ),
    Case(
        "w04-wrong-join-key-1.3",
        "1.3: reconstruction joins on idPatient",
        sql={
            "1.3": views_13()
            + "\n\n"
            + JOIN_13.replace("fin.idTrans = mgt.idTrans", "fin.idPatient = mgt.idPatient")
        },
        verdicts={"1.3": V("quarter", "joining on idPatient pairs every transaction of a patient")},
    ),
    Case(
        "w05-sum-not-avg-3.2",
        "3.2: SUM of the scores instead of AVG",
        sql={"3.2": R32.replace("AVG(", "SUM(")},
        verdicts={"3.2": V("quarter", "the wrong aggregate: a sum of scores is not an average")},
    ),
    Case(
        "w06-ascending-3.2",
        "3.2: sorted worst average first",
        sql={"3.2": R32.replace("avg_score DESC", "avg_score ASC")},
        verdicts={"3.2": V("quarter", "the exercise asks for the best average first")},
    ),
    Case(
        "w07-wrong-join-3.2",
        "3.2: site taken from TrainingData joined on the model name",
        sql={
            "3.2": """SELECT td.siteOrigin AS site, mr.aiModelUsed, COUNT(*) AS nb_exams,
       ROUND(AVG(mr.aiScore), 4) AS avg_score
FROM MedicalRecords mr
JOIN TrainingData td ON td.modelName = mr.aiModelUsed
GROUP BY td.siteOrigin, mr.aiModelUsed
ORDER BY avg_score DESC;"""
        },
        verdicts={"3.2": V("quarter", "a record's site is its patient's, not a training site's")},
    ),
    Case(
        "w08-no-total-1.1b",
        "1.1b counts the fragments but never compares with the table",
        sql={
            "1.1b": "\nUNION ALL\n".join(
                f"SELECT '{s}' AS fragment, COUNT(*) FROM TrainingData_{s}" for s in SITES
            )
            + ";"
        },
        verdicts={"1.1b": V("quarter", "completeness is not checked: no total, no table count")},
    ),
    Case(
        "w09-no-insert-1.2b",
        "1.2b creates the tables but never fills them",
        sql={
            "1.2b": """CREATE TABLE MedicalRecords_Clinical (idRecord bigint PRIMARY KEY,
  idPatient integer, country text, date date, examType text, result text);
CREATE TABLE MedicalRecords_AI (idRecord bigint PRIMARY KEY, idPatient integer,
  country text, aiModelUsed text, aiScore numeric(5,4), aiVersion text);
SELECT c.*, a.aiModelUsed, a.aiScore, a.aiVersion
FROM MedicalRecords_Clinical c JOIN MedicalRecords_AI a ON a.idRecord = c.idRecord;"""
        },
        verdicts={"1.2b": V("quarter", "empty fragments: the INSERT ... SELECT is missing")},
    ),
    Case(
        "w10-missing-count-3.2",
        "3.2 without the number of exams",
        sql={"3.2": R32.replace("COUNT(*) AS nb_exams,\n       ", "")},
        verdicts={"3.2": V("quarter", "one of the four asked columns is missing")},
    ),
    Case(
        "w11-one-table-3.3",
        "3.3 reads a single table",
        sql={
            "3.3": """SELECT country, COUNT(*) AS payments, SUM(amount) AS total
FROM Transactions WHERE status = 'paid' GROUP BY country ORDER BY country;"""
        },
        verdicts={"3.3": V("quarter", "the exercise requires a join of at least two tables")},
    ),
    Case(
        "w12-two-views-1.1a",
        "1.1a: only the two given views; 1.1b still counts four",
        sql={"1.1a": "\n\n".join(views_11a().split("\n\n")[:2])},
        verdicts={
            "1.1a": V("quarter", "Montreal and Tokyo fragments were never written"),
            "1.1b": FULL_11B,
        },
    ),
    Case(
        "w13-join-without-key-3.2",
        "3.2 joins on idPatient only, without the distribution key",
        sql={"3.2": R32.replace(" AND p.country = mr.country", "")},
        # Citus refuses it: "the query contains a join that requires repartitioning"
        verdicts={"3.2": V("quarter", "fails on the lab's Citus cluster: no result at all")},
    ),
    Case(
        "w14-column-subset-1.1a",
        "1.1a: the fragments keep only the id, the model and the site",
        sql={
            "1.1a": views_11a().replace(
                "SELECT * FROM TrainingData",
                "SELECT idData, modelName, siteOrigin FROM TrainingData",
            )
        },
        # a horizontal fragment keeps every column: these views lose most of the table
        verdicts={"1.1a": V("quarter", "horizontal fragments must keep all the columns")},
    ),
    Case(
        "w15-no-key-filter-3.3",
        "3.3 joins and aggregates but filters on the distribution key only",
        sql={
            "3.3": """SELECT p.country, COUNT(*) AS exams, ROUND(AVG(mr.aiScore), 4) AS avg_score
FROM Patients p
JOIN MedicalRecords mr ON mr.idPatient = p.idPatient AND mr.country = p.country
WHERE p.country = 'France'
GROUP BY p.country;"""
        },
        verdicts={"3.3": V("quarter", "the exercise asks for a filter on a non-key column")},
    ),
    Case(
        "w16-fragments-overlap-1.1a",
        "1.1a: the Tokyo view also takes Montreal's rows",
        sql={
            "1.1a": views_11a().replace(
                "WHERE siteOrigin = 'Tokyo'", "WHERE siteOrigin IN ('Tokyo', 'Montreal')"
            )
        },
        # Montreal's rows now sit in two fragments: the fragmentation is not disjoint
        verdicts={"1.1a": V("quarter", "a row in two fragments: not a fragmentation")},
    ),
]

HARD = [
    Case(
        "h01-values-3.2",
        "3.2 typed in from the seed's result with VALUES",
        sql={
            "3.2": """SELECT * FROM (VALUES
  ('Tokyo', 'CardioScan-2', 1, 0.9547), ('Tunis', 'NephroAI-1', 2, 0.9458),
  ('Paris', 'PulmoVision-1', 1, 0.9412), ('Montreal', 'NephroAI-1', 1, 0.9378),
  ('Tokyo', 'DiagNet-3', 1, 0.9215), ('Paris', 'CardioScan-2', 1, 0.9123),
  ('Montreal', 'DiagNet-3', 1, 0.9056), ('Tokyo', 'NephroAI-1', 1, 0.9002),
  ('Tunis', 'CardioScan-2', 1, 0.8892), ('Tokyo', 'PulmoVision-1', 1, 0.8839),
  ('Paris', 'DiagNet-3', 1, 0.8765), ('Montreal', 'PulmoVision-1', 1, 0.8713),
  ('Tunis', 'DiagNet-3', 1, 0.8457)
) AS r(site, model, nb_exams, avg_score)
ORDER BY avg_score DESC;"""
        },
        verdicts={"3.2": V("seed", "no query at all: the seed's numbers typed in")},
    ),
    Case(
        "h02-ids-1.1a",
        "1.1a fragments select the seed's idData by hand",
        sql={
            "1.1a": "\n\n".join(
                f"CREATE OR REPLACE VIEW TrainingData_{s} AS\n  SELECT * FROM TrainingData\n"
                f"  WHERE idData IN ({ids});"
                for s, ids in zip(
                    SITES, ("1, 2, 3, 4", "5, 6, 7", "8, 9, 10", "11, 12, 13"), strict=True
                )
            )
        },
        verdicts={"1.1a": V("seed", "fragments by listed ids, not by siteOrigin")},
    ),
    Case(
        "h03-limit-3.2",
        "3.2 with a LIMIT equal to the seed's number of groups, sorted by hand",
        sql={
            "3.2": R32.replace("ORDER BY avg_score DESC;", "ORDER BY avg_score DESC\nLIMIT 13;")
            .replace("GROUP BY", "AND mr.idRecord <= 14\nGROUP BY")
            .replace("AND p.country = mr.country\nAND", "AND p.country = mr.country\nWHERE")
        },
        verdicts={"3.2": V("seed", "ids and row count of the seed built into the query")},
    ),
    Case(
        "h04-values-1.2b",
        "1.2b AI fragment filled with VALUES copied from the seed",
        sql={
            "1.2b": """CREATE TABLE MedicalRecords_Clinical AS
  SELECT idRecord, idPatient, country, date, examType, result FROM MedicalRecords;
CREATE TABLE MedicalRecords_AI (idRecord bigint PRIMARY KEY, idPatient integer,
  country text, aiModelUsed text, aiScore numeric(5,4), aiVersion text);
INSERT INTO MedicalRecords_AI VALUES
 (1, 1, 'France', 'PulmoVision-1', 0.9412, 'v1.4'), (2, 2, 'France', 'DiagNet-3', 0.8765, 'v3.1'),
 (3, 3, 'France', 'CardioScan-2', 0.9123, 'v2.0'), (4, 6, 'Tunisia', 'NephroAI-1', 0.9634, 'v1.2'),
 (5, 6, 'Tunisia', 'NephroAI-1', 0.9282, 'v1.2'), (6, 6, 'Tunisia', 'DiagNet-3', 0.8457, 'v3.1'),
 (7, 8, 'Tunisia', 'CardioScan-2', 0.8892, 'v2.0'), (8, 11, 'Canada', 'DiagNet-3', 0.9056, 'v3.2'),
 (9, 12, 'Canada', 'PulmoVision-1', 0.8713, 'v1.4'), (10, 15, 'Canada', 'NephroAI-1', 0.9378, 'v1.3'),
 (11, 16, 'Japan', 'DiagNet-3', 0.9215, 'v3.2'), (12, 17, 'Japan', 'CardioScan-2', 0.9547, 'v2.1'),
 (13, 19, 'Japan', 'PulmoVision-1', 0.8839, 'v1.5'), (14, 20, 'Japan', 'NephroAI-1', 0.9002, 'v1.3');
SELECT c.*, a.aiModelUsed, a.aiScore, a.aiVersion
FROM MedicalRecords_Clinical c JOIN MedicalRecords_AI a ON a.idRecord = c.idRecord
ORDER BY c.idRecord;"""
        },
        verdicts={
            "1.2b": V("seed", "the AI fragment is typed in, not selected from MedicalRecords")
        },
    ),
    Case(
        "h05-ids-1.3",
        "1.3 Tunisia and Japan views by listed transaction ids",
        sql={
            "1.3": views_13()
            .replace("WHERE country = 'Tunisia'", "WHERE idTrans IN (6, 7, 8, 9, 10)")
            .replace("WHERE country = 'Japan'", "WHERE idTrans BETWEEN 15 AND 18")
            + "\n\n"
            + JOIN_13
        },
        verdicts={"1.3": V("seed", "fragments by the seed's transaction ids, not by country")},
    ),
    Case(
        "h06-literal-1.1b",
        "1.1b prints the seed's counts as literals",
        sql={"1.1b": "SELECT 4 AS paris, 3 AS tunis, 3 AS montreal, 3 AS tokyo, 13 AS total;"},
        verdicts={"1.1b": V("seed", "no count is computed: the numbers are typed in")},
    ),
]
