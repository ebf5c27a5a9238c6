"""The gradebook as Moodle's CSV grade import takes it (Grades → Import → CSV file).

Read for this module: MoodleDocs "Grade import", and Moodle's importer
(grade/import/csv/classes/load_data.php, grade/import/grade_import_form.php). Moodle reads
the first line as the column names and then asks the person importing: "Map from" one
column that identifies the user, "Map to" the user field it holds (userid, username,
useridnumber or useremail), and for every other column a grade item, the feedback of a
grade item, a new grade item, or "ignore" (the default). So:

* The identifier comes first (Map from defaults to the first column), named as Moodle's
  own export names that user field ("ID number", "Email address", "Username").
* The total goes in one column to map to the lab's grade item; a feedback column beside it
  says what the total holds (points awaiting review, late penalty, overrides). The docs
  warn that importing feedback alone overwrites the item's grades: map both.
* A student without a roster identifier is left out: Moodle aborts the whole import on a
  row whose user it cannot find, and when the identifier cell is empty the importer keeps
  the previous line's student, so the row's grade would land on someone else.
* An empty total (no grade here) imports as no grade in Moodle.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from grader.core.roster import Roster
from grader.dashboard.export_rows import ExportRow, export_rows, number, text
from grader.dashboard.queries import StudentRow
from grader.render.summary import fmt_points

MoodleField = Literal["idnumber", "email", "username"]
IDENTIFIER_COLUMN: dict[MoodleField, str] = {
    "idnumber": "ID number",
    "email": "Email address",
    "username": "Username",
}
NAME_COLUMNS = ["Full name", "GitHub username"]
AWAITING_COLUMN = "Points awaiting review"


@dataclass(frozen=True)
class MoodleOptions:
    title: str  # the Moodle grade item's name
    user_field: MoodleField = "idnumber"  # the Moodle user field the roster identifier is

    @property
    def columns(self) -> list[str]:
        return [
            IDENTIFIER_COLUMN[self.user_field],
            *NAME_COLUMNS,
            self.title,
            f"{self.title} (Feedback)",
            AWAITING_COLUMN,
        ]


def moodle_csv(rows: Sequence[StudentRow], roster: Roster | None, options: MoodleOptions) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(options.columns)
    for line in export_rows(rows, roster):
        if not line.identifier:
            continue
        writer.writerow(
            [
                text(line.identifier),
                text(line.name),
                text(line.student.login),
                number(line.total),
                text(feedback(line)),
                number(line.awaiting_review_points),
            ]
        )
    return out.getvalue()


def feedback(line: ExportRow) -> str:
    """What the total holds, in a sentence or three: Moodle shows it to the student."""
    grade = line.student.grade
    if grade is None:
        return "Not graded yet."
    if line.total is None:
        return "No total: grading this submission failed."
    notes = []
    if line.awaiting_review:
        notes.append(
            f"{fmt_points(line.awaiting_review_points or 0)} written points await review "
            f"({', '.join(line.awaiting_review)})."
        )
    if grade.penalty:
        notes.append(f"{fmt_points(grade.penalty)} points of penalty deducted.")
    if grade.total_override is not None:
        notes.append("Total set by staff.")
    elif grade.overridden:
        notes.append("Some exercise scores were changed by staff.")
    return " ".join(notes)
