"""The TA-scored written answers of corpus.toml, run through the written check alone."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from grader.checks import written
from grader.checks.base import CheckContext
from grader.core.lab import Lab, default_lab_path, load_lab, read_sources
from grader.submission.model import Block, ExerciseAnswer

CORPUS = Path(__file__).with_name("corpus.toml")
# The course theory this project was written from, beside the checkout when it is there.
COURSE_MATERIAL = Path(__file__).resolve().parents[4] / "shared" / "seeds"
TOLERANCE = 0.25  # a quarter of the written part's points


@dataclass(frozen=True)
class Scored:
    question: str
    kind: str
    lang: str
    ta: float
    suggested: float  # share of the written part
    copied: bool  # flagged as copied from the exercise file or the course material
    text: str

    @property
    def agrees(self) -> bool:
        return abs(self.suggested - self.ta) <= TOLERANCE + 1e-9


def course_lab(material: Path) -> Lab:
    lab = load_lab(default_lab_path())
    return lab.model_copy(update={"sources": read_sources(lab, material)})


def _copied_text(material: Path, source: str, needle: str) -> str:
    """About seventy words of the course file whose name starts with `source`, from `needle`."""
    path = next(p for p in sorted(material.iterdir()) if p.name.startswith(source))
    text = path.read_text(encoding="utf-8")
    start = text.index(needle)
    return " ".join(text[start:].split()[:70])


def score_corpus(material: Path) -> list[Scored]:
    lab = course_lab(material)
    entries = tomllib.loads(CORPUS.read_text(encoding="utf-8"))["answer"]
    out = []
    for e in entries:
        text = e["text"] if "text" in e else _copied_text(material, **e["copy"])
        out.append(score_one(lab, e["q"], text, e["kind"], e.get("lang", "en"), float(e["ta"])))
    return out


def score_one(lab: Lab, question: str, text: str, kind: str, lang: str, ta: float) -> Scored:
    exercise = lab.exercise(question)
    spec = next(c for c in exercise.checks if c.type == "written")
    lines = text.count("\n") + 1
    answer = ExerciseAnswer(
        id=question,
        title=exercise.title,
        heading_line=1,
        end_line=lines + 2,
        prose=[Block(text=text, line=3, end_line=lines + 2, fenced=False)],
    )
    ctx = CheckContext(
        lab=lab,
        exercise=exercise,
        answer=answer,
        template=None,
        student=None,
        reference=None,
        engine=None,
        exercise_file="exercises/answers.md",
    )
    result = written.check(ctx, spec)
    copied = any(f.code == "written.copied" for f in result.findings)
    return Scored(question, kind, lang, ta, result.score, copied, text)
