"""Pasted output judged on the real engine: honest pastes in many styles pass, edited ones are
flagged as fabricated.

Every paste here is what real psql printed for the SQL on a Citus job copy of the MediAI lab
(sessions get their prompts written in front of the typed lines, as psql shows them on a
terminal); only the fabricated cases edit that text afterwards, as a student would by hand.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from local_cluster_support import HAS_CITUS, needs_postgres, started

from grader.checks import pasted
from grader.checks.base import CheckContext
from grader.cluster.base import JobDatabase
from grader.cluster.local.cluster import LocalCluster
from grader.core.findings import Finding
from grader.core.lab import default_lab_path, load_lab
from grader.run.execute import PlannedExercise, PlannedStatement, execute
from grader.settings import Limits
from grader.submission.markdown import read_exercise_markdown
from grader.submission.sql_static import split_statements

pytestmark = [
    pytest.mark.citus,
    needs_postgres,
    pytest.mark.skipif(not HAS_CITUS, reason="the Citus extension is not installed"),
]

LAB = load_lab(default_lab_path())
QUERY = """SELECT p.siteOrigin, mr.aiModelUsed,
       COUNT(*) AS nb_exams,
       ROUND(AVG(mr.aiScore)::numeric, 4) AS avg_score
FROM MedicalRecords mr
JOIN Patients p ON p.idPatient = mr.idPatient AND p.country = mr.country
GROUP BY p.siteOrigin, mr.aiModelUsed
ORDER BY avg_score DESC;"""
COUNT = "SELECT country, COUNT(*) AS n FROM Patients GROUP BY country ORDER BY country;"


@dataclass
class Engine:
    cluster: LocalCluster
    job: JobDatabase

    def psql(self, script: str) -> str:
        psql = shutil.which("psql")
        if psql is None:
            pytest.skip("the psql client is not installed")
        done = subprocess.run(
            [psql, "-X", "-d", self.job.admin_dsn],
            input=script,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={"PAGER": "", "LANG": "C.UTF-8", "PGCLIENTENCODING": "UTF8"},
        )
        out = done.stdout + re.sub(r"^psql:<stdin>:\d+: ", "", done.stderr, flags=re.M)
        return out.rstrip("\n")

    def judge(self, body: str) -> list[Finding]:
        """The pasted check's findings for exercise 3.2 answered with `body`."""
        text = f"# Lab\n\n### Exercise 3.2 — AI model performance by site\n\n{body}\n"
        answers, _ = read_exercise_markdown(text, path="ex.md", known_ids=["3.2"])
        answer = answers["3.2"]
        planned = tuple(
            PlannedStatement(sql=s.text, line=s.line, kind=s.kind, meta=s.meta)
            for block in answer.sql
            for s in split_statements(block.text, block.line)
        )
        runs, _ = execute(self.job, [PlannedExercise("3.2", planned, ())], Limits())
        exercise = next(e for e in LAB.exercises if e.id == "3.2")
        ctx = CheckContext(
            lab=LAB,
            exercise=exercise,
            answer=answer,
            template=None,
            student=runs["3.2"],
            reference=None,
            engine=None,
            exercise_file="ex.md",
            nodes={f"{n.host}:{n.port}": n.role for n in self.cluster.nodes()},
        )
        spec = next(c for c in exercise.checks if c.type == "pasted")
        return pasted.check(ctx, spec).findings


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    with started("on") as cluster:
        cluster.prepare_lab(LAB)
        job = cluster.new_job(LAB, "pasted-pairing")
        try:
            yield Engine(cluster, job)
        finally:
            cluster.end_job(job)


def sql(text: str) -> str:
    return f"**My query:**\n```sql\n{text}\n```\n"


def out(text: str, info: str = "") -> str:
    return f"**Result from psql:**\n```{info}\n{text}\n```\n"


def session(engine: Engine, *typed: str, prompt: str = "mediAI") -> str:
    """A terminal session: each statement at the prompt, then what psql printed for it."""
    parts = []
    for statement in typed:
        lines = statement.split("\n")
        shown = [f"{prompt}=# {lines[0]}"] + [f"{prompt}-> {line}" for line in lines[1:]]
        parts.append("\n".join(shown) + "\n" + engine.psql(statement))
    return "\n".join(parts)


def honest(engine: Engine) -> dict[str, str]:
    """Answers whose pastes are exactly what psql printed, in the styles students use."""
    aligned = engine.psql(QUERY)
    rows = aligned.split("\n")
    return {
        "aligned with footer": sql(QUERY) + out(aligned),
        "two statements, each output under its own": sql(COUNT)
        + out(engine.psql(COUNT))
        + sql(QUERY)
        + out(aligned),
        "all outputs together after the last query": sql(COUNT)
        + sql(QUERY)
        + out(engine.psql(COUNT) + "\n\n" + aligned),
        "expanded \\x": sql("\\x on\n" + QUERY) + out(engine.psql("\\x on\n" + QUERY)),
        "fewer rows, no footer": sql(QUERY) + out("\n".join(rows[:6])),
        "notice lines": sql("DROP VIEW IF EXISTS no_such_view;\n" + QUERY)
        + out(engine.psql("DROP VIEW IF EXISTS no_such_view;\n" + QUERY)),
        "\\d table output": sql("\\d patients") + out(engine.psql("\\d patients")) + sql(QUERY),
        "\\d+ table output": sql("\\d+ patients") + out(engine.psql("\\d+ patients")),
        "\\dt output": sql("\\dt") + out(engine.psql("\\dt")) + sql(QUERY) + out(aligned),
        "\\l output": sql("\\l") + out(engine.psql("\\l")) + sql(QUERY) + out(aligned),
        "session only, no SQL block": out(session(engine, QUERY)),
        "session with \\d and two queries": out(
            session(engine, "\\d medicalrecords", COUNT, QUERY)
        ),
        "postgres prompt session": sql(QUERY) + out(session(engine, QUERY, prompt="postgres")),
        "explain with costs": sql("EXPLAIN " + QUERY) + out(engine.psql("EXPLAIN " + QUERY)),
        "unicode borders": sql(QUERY)
        + out(engine.psql("\\pset linestyle unicode\n\\pset border 2\n" + QUERY)),
        "dbeaver grid": sql(QUERY) + out(dbeaver(engine)),
    }


def dbeaver(engine: Engine) -> str:
    """DBeaver's 'copy with headers': tab-separated, from the engine's own values."""
    unaligned = engine.psql(
        "\\pset format unaligned\n\\pset fieldsep '\\t'\n\\pset footer off\n" + QUERY
    )
    return "\n".join(line for line in unaligned.split("\n") if "\t" in line)


def test_every_honest_paste_passes(engine: Engine) -> None:
    flagged = {name: engine.judge(body) for name, body in honest(engine).items()}
    assert {n: [f.code for f in fs] for n, fs in flagged.items() if fs} == {}


def fabricated(engine: Engine) -> dict[str, str]:
    aligned = engine.psql(QUERY)
    lines = aligned.split("\n")
    extra_row = lines[2].replace("Tokyo     ", "Berlin    ")
    return {
        "a number changed": aligned.replace("0.9547", "0.9647"),
        "a row added": "\n".join([*lines[:3], extra_row, *lines[3:]]).replace(
            "(13 rows)", "(14 rows)"
        ),
        "a count changed in expanded output": engine.psql("\\x on\n" + QUERY).replace(
            "nb_exams    | 2", "nb_exams    | 3"
        ),
        "a site renamed in a session": session(engine, QUERY).replace("Tunis ", "Paris "),
    }


@pytest.mark.parametrize(
    "name",
    [
        "a number changed",
        "a row added",
        "a count changed in expanded output",
        "a site renamed in a session",
    ],
)
def test_every_fabricated_paste_is_flagged(engine: Engine, name: str) -> None:
    edited = fabricated(engine)[name]
    assert edited not in (engine.psql(QUERY), engine.psql("\\x on\n" + QUERY))
    body = (
        out(edited)
        if "session" in name
        else sql(("\\x on\n" if "expanded" in name else "") + QUERY) + out(edited)
    )
    codes = [f.code for f in engine.judge(body)]
    assert codes == ["pasted.fabricated"]
