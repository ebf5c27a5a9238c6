"""What every gradebook export says of a student, so the CSV, Canvas and Moodle files agree:
the roster entry of the repository's GitHub login, the total the class page shows (the
grader's report with overrides on top, the late penalty deducted), and the written points
still awaiting a person's review."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from grader.core.report import Status
from grader.core.roster import Roster, RosterEntry
from grader.dashboard.queries import StudentRow

# A cell that starts like this is run as a formula by a spreadsheet.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportRow:
    student: StudentRow
    entry: RosterEntry | None  # None: the login is not on the roster

    @property
    def identifier(self) -> str:
        return "" if self.entry is None else self.entry.identifier

    @property
    def name(self) -> str:
        return "" if self.entry is None else self.entry.name

    @property
    def total(self) -> float | None:
        return None if self.student.grade is None else self.student.grade.total

    @property
    def penalty(self) -> float | None:
        return None if self.student.grade is None else self.student.grade.penalty

    @property
    def awaiting_review(self) -> list[str]:
        """The exercises whose written answer no person has confirmed yet."""
        grade = self.student.grade
        if grade is None:
            return []
        pending = set(grade.awaiting_review)
        return [
            e.id for e in grade.exercises if e.id in pending and e.status is not Status.UNGRADED
        ]

    @property
    def awaiting_review_points(self) -> float | None:
        """The written points of those exercises (the whole exercise for a report from
        before written parts were scored apart), as the student's check run counts them."""
        grade = self.student.grade
        if grade is None:
            return None
        pending = set(self.awaiting_review)
        return sum(
            grade.report.exercise(e.id).review_points or e.max_score
            for e in grade.exercises
            if e.id in pending
        )


def export_rows(rows: Sequence[StudentRow], roster: Roster | None) -> list[ExportRow]:
    return [ExportRow(r, None if roster is None else roster.for_login(r.login)) for r in rows]


def points_possible(rows: Sequence[StudentRow]) -> float | None:
    """The lab's points, as the newest reports give them."""
    maxima = [r.grade.max_score for r in rows if r.grade is not None]
    return max(maxima) if maxima else None


def text(value: str) -> str:
    """A spreadsheet runs a cell that starts like a formula: make it plain text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def number(value: float | None) -> str:
    """Points to two decimals at most, with a dot, as every LMS import reads them."""
    if value is None:
        return ""
    shown = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if shown == "-0" else shown


@dataclass(frozen=True)
class RosterMatch:
    matched: int  # repositories whose login is on the roster
    unmatched: list[str]  # logins of repositories that are not
    absent: list[RosterEntry]  # roster entries with no repository in this assignment


def roster_match(rows: Sequence[StudentRow], roster: Roster) -> RosterMatch:
    lines = export_rows(rows, roster)
    logins = {r.login.casefold() for r in rows}
    return RosterMatch(
        matched=sum(1 for line in lines if line.entry is not None),
        unmatched=[line.student.login for line in lines if line.entry is None],
        absent=[e for e in roster.entries if e.github_username.casefold() not in logins],
    )
