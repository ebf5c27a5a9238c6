"""A TA's corrections of the answer groups: an answer taken out of its group, or a group split
so that only the same normalised text keeps answers together. Each is a staff action, so it
is kept where staff actions are, in the audit log; the grade-by-question page reads them back
when it groups the answers (grader.dashboard.answer_groups). They name runs, which a re-run
keeps, so a correction outlives re-grading."""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.dashboard import audit
from grader.store.db import Connection

TAKE_OUT = "review-take-out"
SPLIT = "review-split"


@dataclass(frozen=True)
class Splits:
    alone: set[int] = field(default_factory=set)  # run ids
    strict: set[int] = field(default_factory=set)


def take_out(
    conn: Connection, *, assignment_id: int, exercise_id: str, run_id: int, actor: str
) -> None:
    audit.record(
        conn, actor, TAKE_OUT, assignment_id=assignment_id, run_id=run_id, exercise_id=exercise_id
    )


def split(
    conn: Connection, *, assignment_id: int, exercise_id: str, run_ids: list[int], actor: str
) -> None:
    audit.record(
        conn,
        actor,
        SPLIT,
        assignment_id=assignment_id,
        exercise_id=exercise_id,
        detail={"run_ids": sorted(set(run_ids))},
    )


def splits_of(conn: Connection, assignment_id: int, exercise_id: str) -> Splits:
    rows = conn.execute(
        "SELECT action, run_id, detail FROM audit_log WHERE assignment_id = %s"
        " AND exercise_id = %s AND action IN (%s, %s)",
        (assignment_id, exercise_id, TAKE_OUT, SPLIT),
    ).fetchall()
    out = Splits()
    for row in rows:
        if row["action"] == TAKE_OUT:
            out.alone.add(int(row["run_id"]))
        else:
            out.strict.update(int(r) for r in row["detail"].get("run_ids", []))
    return out
