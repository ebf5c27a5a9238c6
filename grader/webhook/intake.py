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
from grader.store import deliveries, pushes, runs
from grader.store.assignments import find_assignment, find_assignments
from grader.store.check_runs import run_for_check_run
from grader.store.db import Connection
from grader.store.repositories import (
    find_repository,
    save_installation,
    save_repositories,
    save_repository,
)


@dataclass(frozen=True)
class Intake:
    status: str  # "queued", "ignored", "recorded", "pong", "duplicate"
    reason: str
    job: Job | None = None


@dataclass(frozen=True)
class BranchPush:
    """A verified delivery of a push to a branch (not a deletion): what take_pushes stores."""

    delivery_id: str
    received_at: datetime
    action: str | None
    payload_json: str  # the delivery's body, stored as it came
    event: PushEvent

    @property
    def full_name(self) -> str:
        return self.event.repository.full_name


def take_pushes(conn: Connection, batch: list[BranchPush]) -> list[Intake]:
    """What record_delivery, take_delivery and set_outcome do for each delivery, for a batch
    of branch pushes with distinct delivery ids, in a few statements for the whole batch:
    stored in one transaction, a burst costs the store a few round trips and one commit
    instead of several of each per delivery. The intakes are in the batch's order; each
    job's push is marked handed off (open_branch_tasks)."""
    fresh = deliveries.record_deliveries(
        conn,
        [(p.delivery_id, "push", p.action, p.received_at, p.payload_json) for p in batch],
    )
    intakes: dict[str, Intake] = {}
    again = [p.delivery_id for p in batch if p.delivery_id not in fresh]
    stuck = pushes.unenqueued_pushes(conn, again) if again else {}
    for delivery_id in again:
        # A redelivery changes nothing, except that it retries a hand-off to the queue
        # that failed the first time.
        job = None
        if delivery_id in stuck:
            job = Job("push", *stuck[delivery_id])
            pushes.mark_enqueued(conn, job.id)
        intakes[delivery_id] = Intake(
            "duplicate", f"delivery {delivery_id} was received before", job
        )
    new = [p for p in batch if p.delivery_id in fresh]
    if new:
        intakes |= _store_pushes(conn, new)
        deliveries.set_outcomes(
            conn,
            [
                (p.delivery_id, f"{i.status}: {i.reason}", i.status != "ignored")
                for p in new
                for i in (intakes[p.delivery_id],)
            ],
        )
    return [intakes[p.delivery_id] for p in batch]


def _store_pushes(conn: Connection, new: list[BranchPush]) -> dict[str, Intake]:
    assignments = find_assignments(conn, [p.full_name for p in new])
    repositories: dict[str, tuple[int | None, int | None]] = {}
    for p in new:
        assignment = assignments[p.full_name]
        installation = p.event.installation.id if p.event.installation else None
        known = repositories.get(p.full_name, (None, None))[0]
        repositories[p.full_name] = (
            installation if installation is not None else known,
            assignment.id if assignment else None,
        )
    repository_ids = save_repositories(conn, repositories)
    push_ids = pushes.insert_pushes(
        conn,
        [
            pushes.NewPush(
                repository_id=repository_ids[p.full_name],
                ref=p.event.ref,
                after_sha=p.event.after,
                before_sha=p.event.before,
                forced=p.event.forced,
                pushed_at=p.event.push_time(p.received_at),
                delivery_id=p.delivery_id,
                status=pushes.QUEUED if assignments[p.full_name] else pushes.IGNORED,
                reason="" if assignments[p.full_name] else _unmatched(p.full_name),
            )
            for p in new
        ],
    )
    boundaries: dict[int, datetime | None] = {}
    for p in new:
        assignment = assignments[p.full_name]
        if assignment is not None:
            policy = assignment.policy()
            boundaries[push_ids[p.delivery_id]] = policy.due if policy else None
    created = pushes.open_branch_tasks(conn, list(boundaries.items())) if boundaries else set()
    intakes: dict[str, Intake] = {}
    for p in new:  # in arrival order, as one delivery after the other would have joined
        push_id = push_ids[p.delivery_id]
        if push_id not in boundaries:
            intakes[p.delivery_id] = Intake("ignored", _unmatched(p.full_name))
            continue
        task = None
        if push_id not in created:
            task = pushes.join_branch_task(conn, push_id, boundaries[push_id])
            if task is None:  # the waiting task started in between: this push sends its own
                pushes.mark_handed_off(conn, [push_id])
        intakes[p.delivery_id] = _queued(push_id, task, p.full_name)
    return intakes


def _unmatched(full_name: str) -> str:
    return f"no assignment matches {full_name}"


def _queued(push_id: int, task: int | None, full_name: str) -> Intake:
    if task is not None:
        # One queued task per branch: it grades the branch's newest push when it starts.
        return Intake("queued", f"push {push_id}, graded by the queued task of push {task}")
    return Intake("queued", f"push {push_id}", Job("push", push_id, full_name))


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
    reason = "" if assignment else _unmatched(ev.repository.full_name)
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
    return _queued(push_id, task, repo.full_name)


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
