"""A lab bundle: the trusted template, reference solutions and rubric, read from disk once.

Layout of a bundle folder (see rubrics/mediai/):
    lab.toml        the rubric: exercises, points, checks, process rules
    template/       the GitHub Classroom starter repository, published as is
    reference/      reference SQL per exercise (never shown to students)
    setup/          grading-only setup (e.g. distributing tables on a grading cluster)
    examples/       example submissions, graded in tests against golden reports
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from grader.core.errors import LabError


class CheckSpec(BaseModel):
    """One check of an exercise, picked by name; its other keys are the check's parameters."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str
    weight: float = 1.0

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Probe(BaseModel):
    """A query the runner executes after an exercise, on the student's and the reference state."""

    model_config = ConfigDict(frozen=True)

    name: str
    sql: str
    # What the probe checks, for its findings ("the four fragments together"); by default
    # the relation it reads.
    about: str = ""
    # Columns a student may add without being wrong, where the handout's own text allows
    # them (1.3 says every hybrid fragment holds the date; its example does not).
    optional_columns: list[str] = Field(default_factory=list)


class RubricItem(BaseModel):
    """A named share of an exercise's points, as Gradescope's rubric items: a deduction
    (negative points) or a credit (positive) that staff apply to answers on the
    grade-by-question page. The scoring rule is in docs/dashboard.md ("Rubric items")."""

    model_config = ConfigDict(frozen=True)

    # Stable across lab versions: the store keys the lab's items by it, so staff's edits of
    # an item's points are kept when lab.toml changes.
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    title: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=1000)
    points: float


class Exercise(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    part: str  # "1".."4", or "reflection"
    title: str
    points: float
    requires_citus: bool = False  # on plain PostgreSQL the exercise is reported `ungraded`
    citus_reason: str = ""  # why plain PostgreSQL cannot grade it faithfully
    reference: str | None = None  # path inside the bundle to the reference SQL
    probes: list[Probe] = Field(default_factory=list)
    checks: list[CheckSpec] = Field(default_factory=list)
    # Earlier exercises whose objects this one reads: when the student's are missing or
    # wrong, this exercise runs on the reference's instead, so one mistake costs once.
    uses: list[str] = Field(default_factory=list)
    rubric: list[RubricItem] = Field(default_factory=list)

    @model_validator(mode="after")
    def _rubric_items(self) -> Exercise:
        ids = [r.id for r in self.rubric]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"exercise {self.id}: rubric item ids {twice} are used twice")
        for item in self.rubric:
            if not item.title.strip():
                raise ValueError(f"exercise {self.id}: rubric item {item.id} has no title")
            if abs(item.points) > self.points:
                raise ValueError(
                    f"exercise {self.id}: rubric item {item.id} is worth {item.points:g} points,"
                    f" more than the exercise's {self.points:g}"
                )
        return self


class SetupSpec(BaseModel):
    """How a grading cluster gets the lab's starting state. Always from the bundle, never
    from the student's repository."""

    model_config = ConfigDict(frozen=True)

    schema_sql: str  # bundle paths, run in this order
    distribute_sql: str  # run only where Citus is loaded
    seed_sql: str
    expected_counts: dict[str, int] = Field(default_factory=dict)


class Variant(BaseModel):
    """Another data set on the same schema, made so that answers typed from the seed's
    results give other rows than the reference there (see docs/variants.md)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_-]+$")
    description: str  # what it changes, as a finding shows it
    seed_sql: str  # bundle path, run instead of setup.seed_sql
    expected_counts: dict[str, int] = Field(default_factory=dict)


class HistoryRules(BaseModel):
    """Process rules of the handout, scored from the commit history."""

    model_config = ConfigDict(extra="allow", frozen=True)

    protected_paths: list[str] = Field(default_factory=lambda: ["solutions/"])
    text_only: bool = True  # results pasted as text, not screenshots
    # Points taken once per submission, for a protected file that differs from the template
    # and for images where text was asked for; 0 flags it for a person to decide.
    protected_penalty: float = Field(default=0.0, ge=0)
    screenshot_penalty: float = Field(default=0.0, ge=0)
    # "One commit at 23:58 with everything done = suspicious": the final commit adds at least
    # dump_share of the answer lines within dump_window_minutes of the deadline, or a single
    # commit holds answers to dump_min_parts parts or more.
    dump_share: float = Field(default=0.7, gt=0, le=1)
    dump_window_minutes: float = Field(default=120.0, ge=0)
    dump_min_parts: int = Field(default=3, ge=1)
    # Recorded push time against the committer date a student's machine wrote.
    clock_skew_minutes: float = Field(default=5.0, ge=0)  # committed after its push: impossible
    backdate_hours: float = Field(default=24.0, ge=0)  # committed this long before a late push


class WrittenSettings(BaseModel):
    """How written answers are compared with what a student may have copied."""

    model_config = ConfigDict(frozen=True)

    # A folder of .md/.txt course material (relative to the bundle, or absolute); none bundled.
    course_material: str | None = None
    copy_share: float = Field(default=0.5, gt=0, le=1)  # of an answer's 5-word runs in a source
    class_similarity: float = Field(default=0.8, gt=0, le=1)  # cosine between two answers
    sql_similarity: float = Field(default=0.95, gt=0, le=1)  # cosine between normalised SQL


class NameRules(BaseModel):
    """How a student's object names are matched to the rubric's (grader.core.names)."""

    model_config = ConfigDict(frozen=True)

    # Words students write in another language or spelling, folded, to the rubric's word.
    synonyms: dict[str, str] = Field(default_factory=dict)


class SourceText(BaseModel):
    """Text a written answer must not be copied from: the exercise file, course material."""

    model_config = ConfigDict(frozen=True)

    name: str  # as shown in feedback, e.g. "the exercise file"
    text: str


class Lab(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    version: str
    database: str  # the database name students use (psql -d mediAI)
    exercise_file: str  # path inside a submission
    distribution_keys: dict[str, str] = Field(default_factory=dict)  # table -> column, folded
    setup: SetupSpec
    history: HistoryRules = Field(default_factory=HistoryRules)
    exercises: list[Exercise]
    variants: list[Variant] = Field(default_factory=list)
    written: WrittenSettings = Field(default_factory=WrittenSettings)
    names: NameRules = Field(default_factory=NameRules)
    # Percent of the points a check run counts as passed, for assignments that name none.
    pass_mark: float | None = Field(default=None, ge=0, le=100)
    sources: tuple[SourceText, ...] = ()  # read by load_lab from the template and course material
    root: Path = Path(".")  # the bundle folder; set by load_lab

    @model_validator(mode="after")
    def _points_and_ids(self) -> Lab:
        ids = [e.id for e in self.exercises]
        if len(ids) != len(set(ids)):
            raise ValueError(f"duplicate exercise ids in {ids}")
        for exercise in self.exercises:
            earlier = ids[: ids.index(exercise.id)]
            wrong = [u for u in exercise.uses if u not in earlier]
            if wrong:
                raise ValueError(f"exercise {exercise.id} uses {wrong}: not an earlier exercise")
        return self

    @property
    def max_score(self) -> float:
        return sum(e.points for e in self.exercises)

    def exercise(self, exercise_id: str) -> Exercise:
        for e in self.exercises:
            if e.id == exercise_id:
                return e
        raise KeyError(exercise_id)

    @property
    def varied_exercises(self) -> list[Exercise]:
        """Exercises whose rubric also runs them on the variant data sets."""
        return [e for e in self.exercises if any(c.type == "variants" for c in e.checks)]

    def read(self, bundle_path: str) -> str:
        """Text of a file inside the bundle."""
        path = (self.root / bundle_path).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise LabError(f"{bundle_path} points outside the lab bundle")
        return path.read_text(encoding="utf-8")


def load_lab(folder: Path) -> Lab:
    """Read and validate a bundle; a broken bundle is the professor's error, said plainly."""
    manifest = folder / "lab.toml"
    try:
        data = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise LabError(f"{manifest} not found: is {folder} a lab bundle?") from exc
    except tomllib.TOMLDecodeError as exc:
        raise LabError(f"{manifest} is not valid TOML: {exc}") from exc
    try:
        lab = Lab.model_validate({**data, "root": folder})
    except ValidationError as exc:
        raise LabError(f"{manifest} does not describe a lab: {exc}") from exc
    for path in _referenced_files(lab):
        if not (folder / path).is_file():
            raise LabError(f"{manifest} names {path}, which is not in the bundle")
    return lab.model_copy(update={"sources": read_sources(lab)})


def read_sources(lab: Lab, course_material: Path | None = None) -> tuple[SourceText, ...]:
    """The template's exercise file, then every .md/.txt file of the course material folder
    (`course_material`, or the one lab.toml names)."""
    out: list[SourceText] = []
    template = lab.root / "template" / lab.exercise_file
    if template.is_file():
        out.append(SourceText(name="the exercise file", text=template.read_text(encoding="utf-8")))
    folder = course_material
    if folder is None and lab.written.course_material:
        folder = lab.root / lab.written.course_material
    if folder is None:
        return tuple(out)
    if not folder.is_dir():
        raise LabError(f"the course material folder {lab.written.course_material} does not exist")
    for path in sorted(p for p in folder.rglob("*") if p.suffix in {".md", ".txt"}):
        text = path.read_text(encoding="utf-8", errors="replace")
        out.append(SourceText(name=f"course material {path.relative_to(folder)}", text=text))
    return tuple(out)


def _referenced_files(lab: Lab) -> list[str]:
    files = [lab.setup.schema_sql, lab.setup.distribute_sql, lab.setup.seed_sql]
    files += [e.reference for e in lab.exercises if e.reference]
    files += [v.seed_sql for v in lab.variants]
    return files


def default_lab_path() -> Path:
    """The bundled MediAI lab, next to the package in a checkout."""
    return Path(__file__).resolve().parents[2] / "rubrics" / "mediai"
