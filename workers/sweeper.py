"""The store is the source of truth: what it says should be graded is sent again until it is.

A Redis restart loses the tasks it held, a hand-off can fail while the push is already
stored, and a worker can die mid-job. None of that may lose a grade, so every worker
process runs a sweeper thread that, every `sweep_interval_seconds`, re-sends:

* each push still queued `sweep_stale_seconds` after its last hand-off (or never handed
  off), or handed off before the broker last started (Redis restarted: its tasks are gone,
  so they are sent again on the next pass rather than `sweep_stale_seconds` later), and
* each run marked running whose grading lock nobody holds (its worker died), after
  putting it back to queued, and
* each check-run post asked for `sweep_stale_seconds` ago and not done yet (a review, a
  release), once per that period.

A re-sent task is harmless when the original was not lost: the job reads the store, a
graded push or a locked run makes it stop, so a grade is delayed, never doubled. Only one
sweeper sweeps at a time (a transaction-level advisory lock), whatever the number of
workers.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from grader.service.job import Dispatcher, Job
from grader.settings import Settings
from grader.store import check_runs, pushes, runs
from grader.store.db import Connection, connect

log = logging.getLogger(__name__)
_SWEEP_LOCK = (2, 0)  # advisory lock key, apart from runs' (1, run id)


@dataclass(frozen=True)
class Swept:
    pushes: int = 0  # pushes handed to the queue again
    runs: int = 0  # runs of dead workers put back and sent again
    reposts: int = 0  # check-run posts sent again
    skipped: bool = False  # another sweeper held the lock


def sweep(conn: Connection, dispatcher: Dispatcher, *, stale_seconds: float) -> Swept:
    """One pass, on an autocommit connection."""
    with conn.transaction():
        row = conn.execute(
            "SELECT pg_try_advisory_xact_lock(%s, %s) AS ok", _SWEEP_LOCK
        ).fetchone()
        if not (row and row["ok"]):
            return Swept(skipped=True)
        orphans = runs.orphaned_runs(conn)
        for run_id, _push_id, _repo in orphans:
            runs.release_attempt(conn, run_id, "the worker grading it stopped; graded again")
        waiting = pushes.waiting_for_hand_off(conn, stale_seconds)
        reposting = check_runs.reposts_waiting(conn, stale_seconds)
    jobs = [Job("push", push_id, repo) for push_id, repo in waiting]
    # A dead worker's run goes back the way it came: through its push (whose job grades
    # the run when it needs grading), or as a re-run when staff asked for it.
    for run_id, push_id, repo in orphans:
        job = Job("rerun", run_id, repo) if push_id is None else Job("push", push_id, repo)
        if job not in jobs:
            jobs.append(job)
    jobs += [Job("repost", run_id, repo) for run_id, repo in reposting]
    sent = 0
    for job in jobs:
        try:
            dispatcher.send(job)
        except Exception:
            log.warning("sweeper: the queue is still away; %d jobs wait", len(jobs) - sent)
            break
        sent += 1
        if job.kind == "push":
            with conn.transaction():
                pushes.mark_enqueued(conn, job.id)
    if sent:
        log.info("sweeper: sent %d jobs again (%d runs of dead workers)", sent, len(orphans))
    return Swept(
        pushes=sum(1 for j in jobs[:sent] if j.kind == "push"),
        runs=len(orphans),
        reposts=sum(1 for j in jobs[:sent] if j.kind == "repost"),
    )


class SweeperThread(threading.Thread):
    """Sweeps until stopped; a failing pass (the store away) is logged and tried again."""

    def __init__(
        self,
        settings: Settings,
        dispatcher: Dispatcher,
        broker_uptime: Callable[[], float | None] = lambda: None,
    ) -> None:
        super().__init__(name="grader-sweeper", daemon=True)
        self._settings = settings
        self._dispatcher = dispatcher
        self._broker_uptime = broker_uptime
        self._stop = threading.Event()

    def stale_seconds(self) -> float:
        """How long ago a hand-off must be for its task to be presumed lost."""
        stale = self._settings.service.sweep_stale_seconds
        uptime = self._broker_uptime()
        return stale if uptime is None else min(stale, uptime)

    def run(self) -> None:
        service = self._settings.service
        while not self._stop.wait(service.sweep_interval_seconds):
            try:
                with connect(self._settings.database_url, autocommit=True) as conn:
                    sweep(conn, self._dispatcher, stale_seconds=self.stale_seconds())
            except Exception:
                log.exception("sweeper: this pass failed; the next one tries again")

    def stop(self) -> None:
        self._stop.set()
