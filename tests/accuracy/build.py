"""Build the accuracy corpus on the real engine: `python -m tests.accuracy.build`.

Each case starts from the `complete` example and rewrites some answers. The SQL of every
exercise that holds SQL is run again, in order, on a fresh copy of the loaded lab on a local
Citus cluster, with psql 15 connected to the coordinator as the lab's `postgres` user, as a
student does; what psql prints is what gets pasted (or, for the fabricated cases, edited from
it). Exercises 1.4, 2.1, 3.1, 4.2 and 4.3a keep the `complete` example's own genuine pastes
(its README says how they were made: they need worker addresses rewritten and a worker stopped).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from grader.cluster.local.cluster import LocalCluster
from grader.core.lab import load_lab
from grader.settings import Limits
from grader.settings import LocalCluster as LocalSettings
from tests.accuracy.cases import CASES
from tests.accuracy.model import CORPUS, EXERCISE_FILE, Case

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "rubrics/mediai"
BASE = LAB / "examples/complete"
RUN_ORDER = ("1.1a", "1.1b", "1.2b", "1.3", "3.2", "3.3")
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
FRENCH = {
    "**My query:**": "**Ma requête :**",
    "**Result from psql:**": "**Résultat psql :**",
    "**My answer:**": "**Ma réponse :**",
}


def _section(text: str, exercise: str) -> tuple[int, int]:
    start = text.index(f"### Exercise {exercise} ")
    end = text.find("\n### ", start + 1)
    return start, len(text) if end < 0 else end


def block(text: str, exercise: str, which: int) -> str:
    """The body of an exercise's first (query) or second (paste) fenced block."""
    start, end = _section(text, exercise)
    return list(FENCE.finditer(text, start, end))[which].group(1)


def replace_block(text: str, exercise: str, which: int, body: str) -> str:
    start, end = _section(text, exercise)
    match = list(FENCE.finditer(text, start, end))[which]
    body = body if body.endswith("\n") else body + "\n"
    return text[: match.start(1)] + body + text[match.end(1) :]


def psql(dsn: str, sql: str) -> str:
    """What psql prints for `sql` typed at its prompt (errors without the script prefix)."""
    proc = subprocess.run(
        ["psql", "-X", "-d", dsn, "-v", "ON_ERROR_STOP=0"],
        input=sql,
        capture_output=True,
        text=True,
        stdin=None,
        check=False,
        env={"PAGER": "", "PSQL_PAGER": "", "LANG": "C.UTF-8", "PGCLIENTENCODING": "UTF8"},
    )
    # one statement per call (see _run), so stdout then stderr is the terminal's order
    merged = proc.stdout + proc.stderr
    return re.sub(r"^psql:<stdin>:\d+: ", "", merged, flags=re.M).rstrip("\n")


def _run(dsn: str, sql: str) -> str:
    """Run statement groups one at a time so that errors land where psql printed them."""
    pieces = [p for p in re.split(r"(?<=;)\s*\n(?=\S)", sql.strip()) if p.strip()]
    return "\n".join(o for o in (psql(dsn, p) for p in pieces) if o)


def _exercise_text(case: Case, sql: dict[str, str], outputs: dict[str, str]) -> str:
    text = (BASE / EXERCISE_FILE).read_text(encoding="utf-8")
    base = text
    for exercise in RUN_ORDER:
        shown = case.shown.get(exercise, sql.get(exercise))
        if shown is not None:
            text = replace_block(text, exercise, 0, shown)
        if exercise in outputs:
            genuine = outputs[exercise]
            paste = case.paste.get(exercise)
            text = replace_block(
                text,
                exercise,
                1,
                paste(genuine, sql.get(exercise) or block(base, exercise, 0)) if paste else genuine,
            )
    if case.french:
        for english, french in FRENCH.items():
            text = text.replace(english, french)
    return text


def _outputs(cluster: LocalCluster, lab: object, name: str, sql: dict[str, str]) -> dict[str, str]:
    job = cluster.new_job(lab, f"acc_{name}")  # type: ignore[arg-type]
    try:
        base = (BASE / EXERCISE_FILE).read_text(encoding="utf-8")
        return {ex: _run(job.admin_dsn, sql.get(ex, block(base, ex, 0))) for ex in RUN_ORDER}
    finally:
        cluster.end_job(job)


def build_case(cluster: LocalCluster, lab: object, case: Case) -> None:
    folder = CORPUS / case.name
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(LAB / "template", folder)
    for rel, content in case.data_files.items():
        (folder / "data" / rel).write_text(content, encoding="utf-8")
    history = []
    if case.history:
        state: dict[str, str] = {}
        (folder / "history").mkdir()
        for n, commit in enumerate(case.history, start=1):
            state |= commit.sql
            text = _exercise_text(case, state, _outputs(cluster, lab, f"{case.name}_{n}", state))
            rel = f"history/{n:02d}.md"
            (folder / rel).write_text(text, encoding="utf-8")
            history.append({"hours": commit.hours, "message": commit.message, "file": rel})
        (folder / EXERCISE_FILE).write_text(text, encoding="utf-8")
    else:
        outputs = _outputs(cluster, lab, case.name, case.sql)
        (folder / EXERCISE_FILE).write_text(_exercise_text(case, case.sql, outputs), "utf-8")
    meta = {
        "name": case.name,
        "about": case.about,
        "verdicts": {k: asdict(v) for k, v in case.verdicts.items()},
        "history": history,
    }
    (folder / "case.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")


def main(names: list[str]) -> None:
    lab = load_lab(LAB)
    chosen = [c for c in CASES if not names or c.name in names]
    if not names:
        shutil.rmtree(CORPUS, ignore_errors=True)
    CORPUS.mkdir(exist_ok=True)
    cluster = LocalCluster.start(LocalSettings(citus="on"), Limits())
    try:
        cluster.prepare_lab(lab)
        for i, case in enumerate(chosen, start=1):
            print(f"[{i}/{len(chosen)}] {case.name}", flush=True)
            build_case(cluster, lab, case)
    finally:
        cluster.close()


if __name__ == "__main__":
    main(sys.argv[1:])
