"""The gradebook as Canvas imports it (Grades → Import): one assignment column holding each
student's total, the way Canvas's own gradebook export lays a file out.

Read for this module: the Canvas Instructor Guide "How do I import grades in the
Gradebook?" and "How do I export grades in the Gradebook?" (as quoted by university help
pages, e.g. Ohio State's "Import CSV File for Carmen Grades"), and Canvas's importer and
exporter themselves (canvas-lms, app/models/gradebook_importer.rb and
gradebook_exporter.rb). What Canvas does with a file, per that importer:

* The header must start `Student`, `ID`; `SIS User ID` and `SIS Login ID` may follow, and
  the student columns end with `Section`. Every later column is an assignment: `Name (123)`
  updates assignment 123, a bare name updates the assignment of that title, and any other
  name becomes a new assignment.
* A first cell containing `Points Possible` makes a row of points, not a student. A column
  whose points cell reads `(read only)` is dropped from the import: Canvas's export marks
  its computed totals so. The points awaiting review column is marked so; it is for staff.
* A student is found by `ID` (Canvas's user id, unknown here, left empty), then by `SIS
  User ID`, then `SIS Login ID`, then by the name in `Student`. While some student is found
  by none, the importer skips the read-only clean-up above: the unknown students, and this
  column as a would-be new assignment, are left to the person on Canvas's import page.
* An empty score leaves Canvas's score as it is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from grader.core.roster import Roster
from grader.dashboard.export_rows import export_rows, number, points_possible, text
from grader.dashboard.queries import StudentRow

STUDENT_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
AWAITING_COLUMN = "Points awaiting review"
POINTS_POSSIBLE = "Points Possible"
READ_ONLY = "(read only)"
CanvasMatch = Literal["sis_login_id", "sis_user_id"]


@dataclass(frozen=True)
class CanvasOptions:
    title: str  # the Canvas assignment's name
    assignment_id: str = ""  # its Canvas id (digits), when known: then Canvas matches by id
    match: CanvasMatch = "sis_login_id"  # where the roster identifier goes

    @property
    def column(self) -> str:
        return f"{self.title} ({self.assignment_id})" if self.assignment_id else self.title


def canvas_csv(rows: Sequence[StudentRow], roster: Roster | None, options: CanvasOptions) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*STUDENT_COLUMNS, options.column, AWAITING_COLUMN])
    blank = [""] * (len(STUDENT_COLUMNS) - 1)
    writer.writerow([POINTS_POSSIBLE, *blank, number(points_possible(rows)), READ_ONLY])
    for line in export_rows(rows, roster):
        ident = text(line.identifier)
        sis_user, sis_login = (ident, "") if options.match == "sis_user_id" else ("", ident)
        writer.writerow(
            [
                text(line.name or line.student.login),
                "",
                sis_user,
                sis_login,
                "",
                number(line.total),
                number(line.awaiting_review_points),
            ]
        )
    return out.getvalue()
