"""Correct answers written differently from the reference: every one earns full points."""

# ruff: noqa: E501  (SQL and messages kept as a student writes them)

from __future__ import annotations

from tests.accuracy.model import Case, Verdict

F = Verdict

SITES = ("Paris", "Tunis", "Montreal", "Tokyo")
R32 = """SELECT p.siteOrigin AS site, mr.aiModelUsed, COUNT(*) AS nb_exams,
       ROUND(AVG(mr.aiScore), 4) AS avg_score
FROM MedicalRecords mr
JOIN Patients p ON p.idPatient = mr.idPatient AND p.country = mr.country
GROUP BY p.siteOrigin, mr.aiModelUsed
ORDER BY avg_score DESC;"""


def views_11a(name: str = "TrainingData_{}", where: str = "siteOrigin = '{}'") -> str:
    return "\n\n".join(
        f"CREATE OR REPLACE VIEW {name.format(s)} AS\n  SELECT * FROM TrainingData\n"
        f"  WHERE {where.format(s)};"
        for s in SITES
    )


def count_11b(names: list[str]) -> str:
    parts = [f"SELECT '{n}' AS fragment, COUNT(*) AS nb FROM {n}" for n in names]
    parts.append("SELECT 'TrainingData', COUNT(*) FROM TrainingData")
    return "\nUNION ALL\n".join(parts) + ";"


def views_13(
    fmt: str = "CREATE OR REPLACE VIEW Trans_{c}_{k} AS\n  SELECT {cols}\n"
    "  FROM Transactions WHERE country = '{country}';",
) -> str:
    out = []
    for c, country in (("FR", "France"), ("TN", "Tunisia"), ("CA", "Canada"), ("JP", "Japan")):
        out.append(
            fmt.format(
                c=c,
                k="Financial",
                country=country,
                cols="idTrans, idPatient, date, amount, currency",
            )
        )
        out.append(
            fmt.format(
                c=c, k="Management", country=country, cols="idTrans, idPatient, type, status"
            )
        )
    return "\n\n".join(out)


JOIN_13 = """SELECT fin.idTrans, fin.idPatient, fin.date, mgt.type, fin.amount, fin.currency, mgt.status
FROM Trans_FR_Financial fin
JOIN Trans_FR_Management mgt ON fin.idTrans = mgt.idTrans
ORDER BY fin.idTrans;"""

FULL = "the answer does what the exercise asks; a TA gives every point"

CASES = [
    Case(
        "c01-reordered-columns-3.2",
        "3.2 with the model first and the count last",
        sql={
            "3.2": """SELECT mr.aiModelUsed, p.siteOrigin, ROUND(AVG(mr.aiScore), 4) AS avg_score,
       COUNT(*) AS nb_exams
FROM MedicalRecords mr
JOIN Patients p ON p.idPatient = mr.idPatient AND p.country = mr.country
GROUP BY p.siteOrigin, mr.aiModelUsed
ORDER BY avg_score DESC;"""
        },
        # 3.2 does not fix the column order: same relation, best average first
        verdicts={
            "3.2": F("full", "same rows and columns, another column order the exercise allows")
        },
    ),
    Case(
        "c02-ctas-1.2b",
        "1.2b with CREATE TABLE ... AS",
        sql={
            "1.2b": """CREATE TABLE MedicalRecords_Clinical AS
  SELECT idRecord, idPatient, country, date, examType, result FROM MedicalRecords;
CREATE TABLE MedicalRecords_AI AS
  SELECT idRecord, idPatient, country, aiModelUsed, aiScore, aiVersion FROM MedicalRecords;
SELECT c.*, a.aiModelUsed, a.aiScore, a.aiVersion
FROM MedicalRecords_Clinical c JOIN MedicalRecords_AI a USING (idRecord)
ORDER BY c.idRecord;"""
        },
        # CTAS creates and fills the same two tables; the JOIN USING rebuilds the table
        verdicts={"1.2b": F("full", "CTAS builds the same two fragments as CREATE + INSERT")},
    ),
    Case(
        "c03-view-column-lists-1.3",
        "1.3 views declared with column lists",
        sql={
            "1.3": views_13(
                "CREATE OR REPLACE VIEW Trans_{c}_{k} ({cols}) AS\n  SELECT {cols}\n"
                "  FROM Transactions WHERE country = '{country}';"
            )
            + "\n\n"
            + JOIN_13
        },
        # a column list on a view names the same columns
        verdicts={"1.3": F("full", "views with column lists have the same columns and rows")},
    ),
    Case(
        "c04-quoted-lowercase-1.1a",
        "1.1a views named with quoted lower-case identifiers",
        sql={
            "1.1a": views_11a('"trainingdata_{}"')
            .replace("_Paris", "_paris")
            .replace("_Tunis", "_tunis")
            .replace("_Montreal", "_montreal")
            .replace("_Tokyo", "_tokyo")
        },
        # "trainingdata_paris" is exactly what the unquoted name folds to
        verdicts={"1.1a": F("full", "quoted lower-case names are the folded names themselves")},
    ),
    Case(
        "c05-accented-montreal",
        "1.1a names the Montreal view TrainingData_Montréal; 1.1b uses it",
        sql={
            "1.1a": views_11a().replace("VIEW TrainingData_Montreal", "VIEW TrainingData_Montréal"),
            "1.1b": count_11b(
                [
                    "TrainingData_Paris",
                    "TrainingData_Tunis",
                    "TrainingData_Montréal",
                    "TrainingData_Tokyo",
                ]
            ),
        },
        # the handout itself spells the site Montréal; the view holds Montreal's rows
        verdicts={
            "1.1a": F("full", "Montréal is the site's own spelling; the view's rows are right"),
            "1.1b": F("full", "counts each fragment and the table: 4+3+3+3 = 13"),
        },
    ),
    Case(
        "c06-french-names-1.2b",
        "1.2b fragments named MedicalRecords_Clinique and MedicalRecords_IA",
        sql={
            "1.2b": """CREATE TABLE MedicalRecords_Clinique (
  idRecord bigint PRIMARY KEY, idPatient integer, country text, date date,
  examType text, result text);
CREATE TABLE MedicalRecords_IA (
  idRecord bigint PRIMARY KEY, idPatient integer, country text,
  aiModelUsed text, aiScore numeric(5,4), aiVersion text);
INSERT INTO MedicalRecords_Clinique
  SELECT idRecord, idPatient, country, date, examType, result FROM MedicalRecords;
INSERT INTO MedicalRecords_IA
  SELECT idRecord, idPatient, country, aiModelUsed, aiScore, aiVersion FROM MedicalRecords;
SELECT c.idRecord, c.idPatient, c.country, c.date, c.examType, c.result,
       ia.aiModelUsed, ia.aiScore, ia.aiVersion
FROM MedicalRecords_Clinique c JOIN MedicalRecords_IA ia ON ia.idRecord = c.idRecord
ORDER BY c.idRecord;"""
        },
        # French names for the same fragments; the content is exact
        verdicts={"1.2b": F("full", "French names of the right fragments, right content")},
    ),
    Case(
        "c07-cte-3.2",
        "3.2 written with a CTE",
        sql={
            "3.2": """WITH exams AS (
  SELECT p.siteOrigin AS site, mr.aiModelUsed AS model, mr.aiScore
  FROM MedicalRecords mr
  JOIN Patients p ON p.idPatient = mr.idPatient AND p.country = mr.country
)
SELECT site, model, COUNT(*) AS nb_exams, ROUND(AVG(aiScore), 4) AS avg_score
FROM exams GROUP BY site, model ORDER BY avg_score DESC;"""
        },
        verdicts={"3.2": F("full", "a CTE computing the same aggregates, best first")},
    ),
    Case(
        "c08-subquery-3.2",
        "3.2 with a derived table",
        sql={
            "3.2": """SELECT t.site, t.model, t.n AS nb_exams, t.avg_score
FROM (SELECT p.siteOrigin AS site, mr.aiModelUsed AS model, COUNT(*) AS n,
             ROUND(AVG(mr.aiScore), 4) AS avg_score
      FROM MedicalRecords mr
      JOIN Patients p ON p.idPatient = mr.idPatient AND p.country = mr.country
      GROUP BY 1, 2) t
ORDER BY t.avg_score DESC;"""
        },
        verdicts={"3.2": F("full", "a subquery in FROM, same relation and order")},
    ),
    Case(
        "c09-join-using-1.3",
        "1.3 reconstruction with JOIN ... USING",
        sql={
            "1.3": views_13()
            + """

SELECT idTrans, idPatient, date, type, amount, currency, status
FROM Trans_FR_Financial
JOIN Trans_FR_Management USING (idTrans, idPatient)
ORDER BY idTrans;"""
        },
        verdicts={"1.3": F("full", "JOIN USING on the key, columns in the asked order")},
    ),
    Case(
        "c10-in-any-1.1a",
        "1.1a filters written with IN and = ANY",
        sql={
            "1.1a": views_11a(where="siteOrigin IN ('{}')").replace(
                "siteOrigin IN ('Tunis')", "siteOrigin = ANY (ARRAY['Tunis'])"
            )
        },
        verdicts={"1.1a": F("full", "IN / = ANY with one value is the same predicate")},
    ),
    Case(
        "c11-window-3.2",
        "3.2 with window functions and DISTINCT",
        sql={
            "3.2": """SELECT DISTINCT p.siteOrigin AS site, mr.aiModelUsed AS model,
       COUNT(*) OVER w AS nb_exams,
       ROUND(AVG(mr.aiScore) OVER w, 4) AS avg_score
FROM MedicalRecords mr
JOIN Patients p ON p.idPatient = mr.idPatient AND p.country = mr.country
WINDOW w AS (PARTITION BY p.siteOrigin, mr.aiModelUsed)
ORDER BY avg_score DESC;"""
        },
        verdicts={"3.2": F("full", "window aggregates + DISTINCT give the same groups")},
    ),
    Case(
        "c12-aliases-3.2",
        "3.2 with French aliases",
        sql={
            "3.2": """SELECT pa.siteOrigin AS "Site", dm.aiModelUsed AS modele,
       COUNT(*) AS nombre_examens, ROUND(AVG(dm.aiScore), 4) AS score_moyen
FROM MedicalRecords AS dm
INNER JOIN Patients AS pa ON pa.idPatient = dm.idPatient AND pa.country = dm.country
GROUP BY pa.siteOrigin, dm.aiModelUsed
ORDER BY score_moyen DESC;"""
        },
        verdicts={"3.2": F("full", "other table and column aliases, same result")},
    ),
    Case(
        "c13-insert-reordered-1.2b",
        "1.2b INSERT with a column list in another order",
        sql={
            "1.2b": """CREATE TABLE MedicalRecords_Clinical (idRecord bigint PRIMARY KEY,
  idPatient integer, country text, date date, examType text, result text);
CREATE TABLE MedicalRecords_AI (idRecord bigint PRIMARY KEY, idPatient integer,
  country text, aiModelUsed text, aiScore numeric(5,4), aiVersion text);
INSERT INTO MedicalRecords_Clinical (result, examType, date, country, idPatient, idRecord)
  SELECT result, examType, date, country, idPatient, idRecord FROM MedicalRecords;
INSERT INTO MedicalRecords_AI (aiVersion, aiScore, aiModelUsed, idRecord, idPatient, country)
  SELECT aiVersion, aiScore, aiModelUsed, idRecord, idPatient, country FROM MedicalRecords;
SELECT c.idRecord, c.idPatient, c.country, c.date, c.examType, c.result,
       a.aiModelUsed, a.aiScore, a.aiVersion
FROM MedicalRecords_Clinical c JOIN MedicalRecords_AI a ON a.idRecord = c.idRecord
ORDER BY c.idRecord;"""
        },
        verdicts={"1.2b": F("full", "named INSERT columns in another order fill the same rows")},
    ),
    Case(
        "c14-union-1.1b",
        "1.1b as a UNION ALL listing, like the reference",
        sql={"1.1b": count_11b([f"TrainingData_{s}" for s in SITES])},
        # shows 4, 3, 3, 3 and 13 for the table; the sum is left to the reader, as a TA accepts
        verdicts={"1.1b": F("full", "counts per fragment next to the table's count")},
    ),
    Case(
        "c15-boolean-1.1b",
        "1.1b answers with one boolean: the fragments add up",
        sql={
            "1.1b": """SELECT (SELECT COUNT(*) FROM TrainingData_Paris)
     + (SELECT COUNT(*) FROM TrainingData_Tunis)
     + (SELECT COUNT(*) FROM TrainingData_Montreal)
     + (SELECT COUNT(*) FROM TrainingData_Tokyo)
     = (SELECT COUNT(*) FROM TrainingData) AS fragments_complete;"""
        },
        # the check itself is what 1.1b asks for; no literal 13 is needed (issue item 3)
        verdicts={"1.1b": F("full", "checks that the fragments add up to the table")},
    ),
    Case(
        "c16-french-style",
        "the whole file in French labels, French aliases in 3.2 and 3.3",
        french=True,
        sql={
            "3.2": R32.replace("AS site", "AS site_origine")
            .replace("nb_exams", "nb_examens")
            .replace("avg_score", "score_moyen"),
            "3.3": """SELECT p.country AS pays, COUNT(*) AS nb_paiements, SUM(t.amount) AS total
FROM Patients p
JOIN Transactions t ON t.idPatient = p.idPatient AND t.country = p.country
WHERE t.status = 'paid'
GROUP BY p.country ORDER BY p.country;""",
        },
        verdicts={
            "3.2": F("full", "French aliases, same result"),
            "3.3": F("full", "joins two tables, aggregates, filters on status"),
        },
    ),
    Case(
        "c17-lowercase-style",
        "all SQL in lower case with terse formatting",
        sql={
            "1.1a": views_11a()
            .lower()
            .replace("'paris'", "'Paris'")
            .replace("'tunis'", "'Tunis'")
            .replace("'montreal'", "'Montreal'")
            .replace("'tokyo'", "'Tokyo'"),
            "3.2": R32.lower(),
        },
        verdicts={
            "1.1a": F("full", "lower-case keywords and names; literals kept"),
            "3.2": F("full", "lower-case reference query"),
        },
    ),
    Case(
        "c18-numeric-cast-3.2",
        "3.2 as the handout's example writes it, ::numeric cast, no alias",
        sql={
            "3.2": """SELECT p.siteOrigin, mr.aiModelUsed,
  COUNT(*) AS nb_exams,
  ROUND(AVG(mr.aiScore)::numeric,4)
FROM MedicalRecords mr
JOIN Patients p ON p.idPatient = mr.idPatient AND p.country = mr.country
GROUP BY p.siteOrigin, mr.aiModelUsed
ORDER BY 4 DESC;"""
        },
        verdicts={"3.2": F("full", "the handout's own shape, ordered by position")},
    ),
    Case(
        "c19-hybrid-with-date-1.3",
        "1.3 management views that also carry the date",
        sql={
            "1.3": views_13().replace(
                "SELECT idTrans, idPatient, type, status",
                "SELECT idTrans, idPatient, date, type, status",
            )
            + "\n\n"
            + JOIN_13
        },
        # the handout's own text: "All contain: idTrans, idPatient, date (JOIN keys)"
        verdicts={"1.3": F("full", "the handout says every hybrid fragment holds the date")},
    ),
    Case(
        "c20-french-hybrid-names-1.3",
        "1.3 views named in French: Trans_Tunisie_Financier, Trans_Japon_Gestion...",
        sql={
            "1.3": views_13(
                "CREATE OR REPLACE VIEW Trans_{c}_{k} AS\n  SELECT {cols}\n"
                "  FROM Transactions WHERE country = '{country}';"
            )
            .replace("_TN_", "_Tunisie_")
            .replace("_CA_", "_Canada_")
            .replace("_JP_", "_Japon_")
            .replace("_Financial", "_Financier")
            .replace("_Management", "_Gestion")
            .replace("Trans_FR_Financier", "Trans_FR_Financial")
            .replace("Trans_FR_Gestion", "Trans_FR_Management")
            + "\n\n"
            + JOIN_13
        },
        # the eight fragments hold the right rows and columns; the names are French
        verdicts={"1.3": F("full", "French view names for the right fragments")},
    ),
    Case(
        "c21-camelcase-1.2b",
        "1.2b tables named MedicalRecordsClinical and MedicalRecordsAI, filled by INSERT",
        sql={
            "1.2b": """CREATE TABLE MedicalRecordsClinical (
  idRecord bigint PRIMARY KEY, idPatient integer, country text, date date,
  examType text, result text);
CREATE TABLE MedicalRecordsAI (
  idRecord bigint PRIMARY KEY, idPatient integer, country text,
  aiModelUsed text, aiScore numeric(5,4), aiVersion text);
INSERT INTO MedicalRecordsClinical (idRecord, idPatient, country, date, examType, result)
  SELECT idRecord, idPatient, country, date, examType, result FROM MedicalRecords;
INSERT INTO MedicalRecordsAI (idRecord, idPatient, country, aiModelUsed, aiScore, aiVersion)
  SELECT idRecord, idPatient, country, aiModelUsed, aiScore, aiVersion FROM MedicalRecords;
SELECT c.*, a.aiModelUsed, a.aiScore, a.aiVersion
FROM MedicalRecordsClinical c JOIN MedicalRecordsAI a ON a.idRecord = c.idRecord
ORDER BY c.idRecord;"""
        },
        verdicts={"1.2b": F("full", "the same two fragments without the underscore")},
    ),
]
