"""What a verified webhook delivery means for the store, and which job it asks for.

Runs inside the caller's transaction; the caller enqueues the job only after that
transaction commits, so a worker never looks for a row that is not there yet. A push to a
branch whose task is still queued asks for no job: that task grades the newest push.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from grader.github.events import (
    ZERO_SHA,
    CheckRunEvent,
    InstallationEvent,
    PushEvent,
    parse_event,
)
from grader.service.job import RERUN_ACTION_ID, Job
from grader.store import pushes, runs
from grader.store.assignments import find_assignment
from grader.store.check_runs import run_for_check_run
from grader.store.db import Connection
from grader.store.repositories import find_repository, save_installation, save_repository


@dataclass(frozen=True)
class Intake:
    status: str  # "queued", "ignored", "recorded", "pong", "duplicate"
    reason: str
    job: Job | None = None


def take_delivery(
    conn: Connection,
    *,
    event: str,
    delivery_id: str,
    received_at: datetime,
    payload: dict[str, Any],
) -> Intake:
    if event == "ping":
        return Intake("pong", str(payload.get("zen", "")))
    if event == "push":
        return _push(conn, parse_event(PushEvent, payload), delivery_id, received_at)
    if event == "check_run":
        return _check_run(conn, parse_event(CheckRunEvent, payload))
    if event == "installation":
        return _installation(conn, parse_event(InstallationEvent, payload))
    return Intake("ignored", f"the {event} event is not used")


def _push(conn: Connection, ev: PushEvent, delivery_id: str, received_at: datetime) -> Intake:
    if ev.branch is None:
        return Intake("ignored", f"{ev.ref} is not a branch")
    if ev.deleted or ev.after == ZERO_SHA:
        return Intake("ignored", f"branch {ev.branch} was deleted")
    organisation, _, name = ev.repository.full_name.partition("/")
    assignment = find_assignment(conn, organisation, name)
    repo = save_repository(
        conn,
        ev.repository.full_name,
        installation_id=ev.installation.id if ev.installation else None,
        assignment_id=assignment.id if assignment else None,
    )
    reason = "" if assignment else f"no assignment matches {ev.repository.full_name}"
    push_id = pushes.insert_push(
        conn,
        repository_id=repo.id,
        ref=ev.ref,
        after_sha=ev.after,
        before_sha=ev.before,
        forced=ev.forced,
        pushed_at=ev.push_time(received_at),
        delivery_id=delivery_id,
        status=pushes.QUEUED if assignment else pushes.IGNORED,
        reason=reason,
    )
    if assignment is None:
        return Intake("ignored", reason)
    policy = assignment.policy()
    task = pushes.join_branch_task(conn, push_id, policy.due if policy else None)
    if task is not None:
        # One queued task per branch: it grades the branch's newest push when it starts.
        return Intake("queued", f"push {push_id}, graded by the queued task of push {task}")
    return Intake("queued", f"push {push_id}", Job("push", push_id, repo.full_name))


def _check_run(conn: Connection, ev: CheckRunEvent) -> Intake:
    wanted = ev.action == "rerequested" or (
        ev.action == "requested_action"
        and ev.requested_action is not None
        and ev.requested_action.identifier == RERUN_ACTION_ID
    )
    if not wanted:
        return Intake("ignored", f"check_run {ev.action} asks nothing of the grader")
    repo = find_repository(conn, ev.repository.full_name)
    if repo is None:
        return Intake("ignored", f"{ev.repository.full_name} was never graded here")
    run_id = run_for_check_run(conn, ev.check_run.id)
    if run_id is None:
        latest = runs.latest_run_for_commit(conn, repo.id, ev.check_run.head_sha)
        run_id = latest.id if latest else None
    if run_id is None:
        return Intake("ignored", f"no grade of {ev.check_run.head_sha[:12]} to run again")
    if ev.installation is not None:
        save_repository(
            conn,
            repo.full_name,
            installation_id=ev.installation.id,
            assignment_id=repo.assignment_id,
        )
    runs.request_rerun(conn, run_id)
    return Intake("queued", f"re-run of run {run_id}", Job("rerun", run_id, repo.full_name))


def _installation(conn: Connection, ev: InstallationEvent) -> Intake:
    account = ev.installation.account
    active = ev.action not in ("deleted", "suspend")
    save_installation(
        conn,
        ev.installation.id,
        account.login if account else "",
        account.type if account else "",
        active=active,
    )
    return Intake("recorded", f"installation {ev.installation.id} {ev.action}")
