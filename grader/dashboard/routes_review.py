"""The grade-by-question page of an exercise and its decision form: one decision applies the
same points and comment to every chosen answer of a group, typed or given by rubric items
(grader.dashboard.rubric), a key per item."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from grader.core.errors import InvalidInput
from grader.core.findings import Finding
from grader.core.lab import Lab, default_lab_path, load_lab
from grader.dashboard import rubric
from grader.dashboard.actions import RerunTarget, override_score
from grader.dashboard.answer_evidence import compares_results
from grader.dashboard.auth import Staff, check_csrf, current_staff
from grader.dashboard.deps import service_of, settings_of, store
from grader.dashboard.form_limits import SHORT_CHARS, TEXT_CHARS, TOKEN_CHARS
from grader.dashboard.group_splits import split, splits_of, take_out
from grader.dashboard.highlight import sql_html
from grader.dashboard.queries import class_rows, load_assignment, load_run
from grader.dashboard.release import ask_reposts, send_reposts
from grader.dashboard.review import ReviewGroup, ReviewItem, build_queue, matching
from grader.dashboard.routes_actions import _score
from grader.dashboard.similar_answers import for_assignment
from grader.dashboard.stats import columns
from grader.dashboard.templating import PageError, PageRoute, blob_link, render
from grader.render.summary import fmt_points
from grader.render.written_evidence import other_findings, written_evidence
from grader.store import rubric as rubric_store
from grader.store.answers import exercise_answers
from grader.store.db import Connection
from grader.store.runs import Run

router = APIRouter(route_class=PageRoute)
StaffDep = Annotated[Staff, Depends(current_staff)]
_PATH = "/dashboard/assignments/{assignment_id}/exercises/{exercise_id}/review"
_RUBRIC_NOTICES = {
    "applied": "Rubric item applied to the chosen answers: their points are decided, and kept"
    " through every re-run.",
    "removed": "Rubric item removed from the chosen answers: their points are decided again.",
    "added": "Rubric item added to this exercise.",
    "points": "Points changed: every answer with the item was scored again, and its student's"
    " check run will be posted again.",
}


@router.get(_PATH)
def review_page(
    request: Request,
    assignment_id: int,
    exercise_id: str,
    staff: StaffDep,
    group: int | None = None,
    show: Annotated[str, Query(pattern="^(all|unreviewed|flagged)$")] = "unreviewed",
    low: Annotated[str, Query(max_length=SHORT_CHARS)] = "",
    high: Annotated[str, Query(max_length=SHORT_CHARS)] = "",
) -> Response:
    lab = _lab(request)
    with store(request) as conn:
        assignment = load_assignment(conn, assignment_id)
        rows = class_rows(conn, assignment)
        commits = [(r.repository.id, r.run.commit_sha) for r in rows if r.run is not None]
        answers = exercise_answers(conn, commits, exercise_id)
        splits = splits_of(conn, assignment_id, exercise_id)
        similar = for_assignment(conn, assignment, settings_of(request))
        exercise = next((e for e in lab.exercises if e.id == exercise_id), None)
        if exercise is not None and lab.id == assignment.lab_id:
            rubric_store.add_lab_items(conn, assignment_id, exercise_id, exercise.rubric)
        items = rubric_store.exercise_items(conn, assignment_id, exercise_id)
        applied = rubric_store.applied(conn, assignment_id, exercise_id)
    column = next((c for c in columns(rows) if c.id == exercise_id), None)
    if column is None:
        raise PageError(404, "Not found", f"no graded exercise {exercise_id} in this class")
    queue = build_queue(
        rows,
        exercise_id,
        answers,
        compares_results=exercise is not None and compares_results(exercise),
        splits=splits,
    )
    shown = matching(
        queue,
        unreviewed=show == "unreviewed",
        flagged=show == "flagged",
        low=_score(low) if low.strip() else None,
        high=_score(high) if high.strip() else None,
    )
    current = queue.group(group) if group is not None else (shown[0] if shown else None)
    filters = {"show": show, "low": low, "high": high}
    previous, following = _neighbours(shown, current)
    return render(
        request,
        "review.html",
        staff,
        assignment=assignment,
        column=column,
        queue=queue,
        shown=shown,
        current=current,
        previous=previous,
        next=following,
        filters=filters,
        here=lambda g: "?" + urlencode({**filters, "group": g.index}),
        sql_html=sql_html,
        evidence=written_evidence,
        other_findings=other_findings,
        finding_link=lambda item: _finding_link(request, item),
        similar=similar.by_repository(exercise_id),
        rubric_items=items,
        keys=rubric.KEYS,
        items_of=lambda i: applied.get((i.row.repository.id, _commit(i)), []),
        signed=rubric.signed,
        rubric_notice=_RUBRIC_NOTICES.get(request.query_params.get("rubric", "")),
    )


def _neighbours(
    shown: list[ReviewGroup], current: ReviewGroup | None
) -> tuple[ReviewGroup | None, ReviewGroup | None]:
    """The groups before and after the current one among those shown; a group the filters
    no longer keep (just decided by a rubric item) still has the next one after it."""
    if current is None:
        return None, None
    before = [g for g in shown if g.index < current.index]
    after = [g for g in shown if g.index > current.index]
    return (before[-1] if before else None), (after[0] if after else None)


def _finding_link(request: Request, item: ReviewItem) -> Callable[[Finding], str | None]:
    """Links to the lines of the answer's graded commit on GitHub."""
    sha, name = item.row.graded_commit, item.row.repository.full_name

    def link(finding: Finding) -> str | None:
        if sha is None or not finding.file:
            return None
        return blob_link(request, name, sha, finding.file, finding.line)

    return link


@router.post(_PATH)
def decide(
    request: Request,
    assignment_id: int,
    exercise_id: str,
    staff: StaffDep,
    score: Annotated[str, Form(max_length=SHORT_CHARS)],
    run_id: Annotated[list[int], Form()],
    comment: Annotated[str, Form(max_length=TEXT_CHARS)] = "",
    csrf_token: Annotated[str, Form(max_length=TOKEN_CHARS)] = "",
    show: Annotated[str, Form(max_length=SHORT_CHARS)] = "unreviewed",
) -> Response:
    """Confirm (the grader's points) or adjust (other points, with a comment)."""
    check_csrf(staff, csrf_token)
    value = _score(score)
    with store(request) as conn:
        assignment = load_assignment(conn, assignment_id)
        members = {r.run.id: r.repository.full_name for r in class_rows(conn, assignment) if r.run}
        for rid in run_id:
            if rid not in members:
                raise InvalidInput(f"run {rid} is no current run of this class")
            run = load_run(conn, rid)
            if not comment.strip() and rubric.stands(conn, run, assignment_id, exercise_id, value):
                continue  # Enter after a rubric key: the items' decision, and its comment, stay
            graded = run.parsed_report()
            points = None if graded is None else graded.exercise(exercise_id).score
            if points != value and not comment.strip():
                raise InvalidInput("a score other than the grader's needs a comment")
            reason = comment.strip() or f"Reviewed: {fmt_points(value)} confirmed"
            rubric.clear_for_decision(conn, run, assignment_id, exercise_id, actor=staff.login)
            override_score(
                conn,
                run,
                assignment_id=assignment_id,
                exercise_id=exercise_id,
                score=value,
                reason=reason,
                actor=staff.login,
            )
        targets = [RerunTarget(rid, members[rid]) for rid in dict.fromkeys(run_id)]
        ask_reposts(conn, targets)
    # committed: the workers that post the students' check runs read the decision
    send_reposts(service_of(request).dispatcher, targets, "The review")
    page = _PATH.format(assignment_id=assignment_id, exercise_id=quote(exercise_id, safe=""))
    return RedirectResponse(page + "?" + urlencode({"show": show, "done": "review"}), 303)


@router.post(_PATH + "/take-out")
def take_answer_out(
    request: Request,
    assignment_id: int,
    exercise_id: str,
    staff: StaffDep,
    run_id: Annotated[int, Form()],
    csrf_token: Annotated[str, Form(max_length=TOKEN_CHARS)] = "",
    show: Annotated[str, Form(max_length=SHORT_CHARS)] = "unreviewed",
) -> Response:
    """One answer that does not belong with the others becomes a group of its own."""
    check_csrf(staff, csrf_token)
    with store(request) as conn:
        _check_members(conn, assignment_id, [run_id])
        take_out(
            conn,
            assignment_id=assignment_id,
            exercise_id=exercise_id,
            run_id=run_id,
            actor=staff.login,
        )
    return _back(assignment_id, exercise_id, show, "take-out")


@router.post(_PATH + "/split")
def split_group(
    request: Request,
    assignment_id: int,
    exercise_id: str,
    staff: StaffDep,
    run_id: Annotated[list[int], Form()],
    csrf_token: Annotated[str, Form(max_length=TOKEN_CHARS)] = "",
    show: Annotated[str, Form(max_length=SHORT_CHARS)] = "unreviewed",
) -> Response:
    """A group joined by equal results or key points, regrouped by the same text only."""
    check_csrf(staff, csrf_token)
    with store(request) as conn:
        _check_members(conn, assignment_id, run_id)
        split(
            conn,
            assignment_id=assignment_id,
            exercise_id=exercise_id,
            run_ids=run_id,
            actor=staff.login,
        )
    return _back(assignment_id, exercise_id, show, "split")


@router.post(_PATH + "/rubric")
def add_rubric_item(
    request: Request,
    assignment_id: int,
    exercise_id: str,
    staff: StaffDep,
    title: Annotated[str, Form(max_length=rubric.TITLE_CHARS)],
    points: Annotated[str, Form(max_length=SHORT_CHARS)],
    description: Annotated[str, Form(max_length=rubric.DESCRIPTION_CHARS)] = "",
    csrf_token: Annotated[str, Form(max_length=TOKEN_CHARS)] = "",
    show: Annotated[str, Form(max_length=SHORT_CHARS)] = "unreviewed",
    group: Annotated[int | None, Form()] = None,
) -> Response:
    """A rubric item of staff's own, for every answer of the exercise."""
    check_csrf(staff, csrf_token)
    value = _points(points)
    with store(request) as conn:
        rubric.add_item(
            conn,
            assignment_id=assignment_id,
            exercise_id=exercise_id,
            title=title,
            description=description,
            points=value,
            max_score=_max_score(conn, assignment_id, exercise_id),
            actor=staff.login,
        )
    return _back(assignment_id, exercise_id, show, "added", group, key="rubric")


@router.post(_PATH + "/rubric/{item_id}/toggle")
def toggle_rubric_item(
    request: Request,
    assignment_id: int,
    exercise_id: str,
    item_id: int,
    staff: StaffDep,
    run_id: Annotated[list[int], Form()],
    csrf_token: Annotated[str, Form(max_length=TOKEN_CHARS)] = "",
    show: Annotated[str, Form(max_length=SHORT_CHARS)] = "unreviewed",
    group: Annotated[int | None, Form()] = None,
) -> Response:
    """Apply the item to every chosen answer of the group, or remove it when they all have it;
    each answer's points are decided by its items, and its check run posted again."""
    check_csrf(staff, csrf_token)
    with store(request) as conn:
        item = _item(conn, assignment_id, exercise_id, item_id)
        answers = _members(conn, assignment_id, run_id)
        toggled = rubric.toggle(conn, item, answers, actor=staff.login)
    send_reposts(service_of(request).dispatcher, toggled.targets, "The rubric decision")
    done = "applied" if toggled.applied else "removed"
    return _back(assignment_id, exercise_id, show, done, group, key="rubric")


@router.post(_PATH + "/rubric/{item_id}/points")
def change_rubric_points(
    request: Request,
    assignment_id: int,
    exercise_id: str,
    item_id: int,
    staff: StaffDep,
    points: Annotated[str, Form(max_length=SHORT_CHARS)],
    csrf_token: Annotated[str, Form(max_length=TOKEN_CHARS)] = "",
    show: Annotated[str, Form(max_length=SHORT_CHARS)] = "unreviewed",
    group: Annotated[int | None, Form()] = None,
) -> Response:
    """Other points for an item: every answer that has it is scored again, audited."""
    check_csrf(staff, csrf_token)
    value = _points(points)
    with store(request) as conn:
        item = _item(conn, assignment_id, exercise_id, item_id)
        targets = rubric.change_points(
            conn,
            item,
            value,
            max_score=_max_score(conn, assignment_id, exercise_id),
            actor=staff.login,
        )
    send_reposts(service_of(request).dispatcher, targets, "The change of points")
    return _back(assignment_id, exercise_id, show, "points", group, key="rubric")


def _points(text: str) -> float:
    """An item's points, signed; the minus sign of a word processor is a minus too."""
    return _score(text.strip().replace("\u2212", "-"))


def _item(
    conn: Connection, assignment_id: int, exercise_id: str, item_id: int
) -> rubric_store.RubricItem:
    item = rubric_store.load_item(conn, item_id)
    if item.assignment_id != assignment_id or item.exercise_id != exercise_id:
        raise InvalidInput(f"rubric item {item_id} belongs to another exercise")
    return item


def _max_score(conn: Connection, assignment_id: int, exercise_id: str) -> float:
    """The exercise's points, as the class's graded runs say them."""
    rows = class_rows(conn, load_assignment(conn, assignment_id))
    column = next((c for c in columns(rows) if c.id == exercise_id), None)
    if column is None:
        raise InvalidInput(f"no graded exercise {exercise_id} in this class")
    return column.max_score


def _members(conn: Connection, assignment_id: int, run_ids: list[int]) -> list[tuple[Run, str]]:
    """The chosen runs, each a current run of the class, with its repository's full name."""
    current = {
        r.run.id: r.repository.full_name
        for r in class_rows(conn, load_assignment(conn, assignment_id))
        if r.run
    }
    out = []
    for rid in dict.fromkeys(run_ids):
        if rid not in current:
            raise InvalidInput(f"run {rid} is no current run of this class")
        out.append((load_run(conn, rid), current[rid]))
    return out


def _lab(request: Request) -> Lab:
    settings = settings_of(request)
    return load_lab(settings.lab_dir or default_lab_path())


def _check_members(conn: Connection, assignment_id: int, run_ids: list[int]) -> None:
    current = {r.run.id for r in class_rows(conn, load_assignment(conn, assignment_id)) if r.run}
    for rid in run_ids:
        if rid not in current:
            raise InvalidInput(f"run {rid} is no current run of this class")


def _back(
    assignment_id: int,
    exercise_id: str,
    show: str,
    done: str,
    group: int | None = None,
    *,
    key: str = "done",
) -> Response:
    page = _PATH.format(assignment_id=assignment_id, exercise_id=quote(exercise_id, safe=""))
    query: dict[str, str | int] = {"show": show, key: done}
    if group is not None:
        query["group"] = group
    return RedirectResponse(page + "?" + urlencode(query), 303)


def _commit(item: ReviewItem) -> str:
    """The commit the answer's rubric items belong to, as overrides do: the run's."""
    assert item.row.run is not None
    return item.row.run.commit_sha
