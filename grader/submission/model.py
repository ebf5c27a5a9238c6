"""What a student's exercise file says, exercise by exercise, with line numbers.

Line numbers are 1-based lines of the file as the student committed it, so a
check-run annotation can point at them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.core.findings import Finding


@dataclass(frozen=True)
class Block:
    """A run of lines from the file: a fenced code block, pasted output or prose."""

    text: str  # content only, fences stripped, line ends normalised to "\n"
    line: int  # first content line
    end_line: int  # last content line
    info: str = ""  # the fence's info string ("sql", "psql", ""), empty when unfenced
    fenced: bool = True
    file: str = ""  # set when the SQL was read from another file (data/*.sql): lines are its own


@dataclass
class ExerciseAnswer:
    """Everything under one exercise heading, up to the next exercise heading."""

    id: str  # canonical id: "1.1a", "4.3b", "Q1".."Q4"
    title: str
    heading_line: int
    end_line: int
    sql: list[Block] = field(default_factory=list)  # blocks that hold the student's SQL
    outputs: list[Block] = field(default_factory=list)  # pasted psql / DBeaver output
    prose: list[Block] = field(default_factory=list)  # written answers
    blank_lines: list[int] = field(default_factory=list)  # lines still holding a "___" blank

    @property
    def sql_text(self) -> str:
        return "\n".join(b.text for b in self.sql)

    @property
    def prose_text(self) -> str:
        return "\n\n".join(b.text for b in self.prose)


@dataclass
class Submission:
    """A student's repository as the grader reads it, with no database."""

    exercise_file: str  # path relative to the submission root, POSIX separators
    answers: dict[str, ExerciseAnswer] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # every file in the tree, relative
    findings: list[Finding] = field(default_factory=list)  # problems met while reading
    extra_sql: dict[str, str] = field(default_factory=dict)  # other .sql files, by path
