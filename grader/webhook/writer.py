"""Branch pushes stored many at a time: one thread, one transaction per batch.

In a deadline burst every delivery used to take a store connection for two transactions of
several statements each: with a pool of 4, the 100th delivery waited for 25 rounds of
commits, each a flush of the write-ahead log. Here the deliveries waiting when the thread is
free are stored together (intake.take_pushes): a few statements and one commit for the whole
batch, while the next deliveries gather for the one after it. Nothing waits on purpose: a
lone delivery is stored at once. Each delivery is answered once its batch has committed and
its job was handed to the dispatcher, as before.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import psycopg

from grader.service import logs
from grader.service.state import ServiceState
from grader.store import pushes
from grader.store.db import Connection, connect
from grader.webhook.intake import BranchPush, Intake, take_pushes

log = logging.getLogger(__name__)
LATER = "stored; it is queued as soon as the queue is back"
# Bounds one transaction's statements (arrays of this many rows) and a failed batch's retry.
MAX_BATCH = 200


@dataclass(frozen=True)
class _Waiting:
    push: BranchPush
    loop: asyncio.AbstractEventLoop
    answer: asyncio.Future[Intake]


class PushWriter:
    def __init__(self, state: ServiceState) -> None:
        self._state = state
        self._waiting: list[_Waiting] = []
        self._closed = False
        self._conn: Connection | None = None
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="grader-push-writer", daemon=True)
        self._thread.start()

    async def take(self, push: BranchPush) -> Intake:
        """Stored (or found stored before) and its job handed off: what to answer."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Intake] = loop.create_future()
        with self._changed:
            if self._closed:
                raise RuntimeError("the api is stopping")
            self._waiting.append(_Waiting(push, loop, answer))
            self._changed.notify()
        return await answer

    def close(self) -> None:
        """Store what is waiting, then stop."""
        with self._changed:
            self._closed = True
            self._changed.notify()
        self._thread.join()
        if self._conn is not None:
            self._conn.close()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._waiting and not self._closed:
                    self._changed.wait()
                if not self._waiting:
                    return
                batch = self._next_batch()
            self._store(batch)

    def _next_batch(self) -> list[_Waiting]:
        """The oldest waiting deliveries, one per delivery id: a redelivery that arrives
        with its first delivery is taken in the next batch, where it is a duplicate."""
        batch: list[_Waiting] = []
        ids: set[str] = set()
        rest: list[_Waiting] = []
        for waiting in self._waiting:
            if waiting.push.delivery_id in ids or len(batch) == MAX_BATCH:
                rest.append(waiting)
            else:
                ids.add(waiting.push.delivery_id)
                batch.append(waiting)
        self._waiting = rest
        return batch

    def _store(self, batch: list[_Waiting]) -> None:
        try:
            intakes = self._stored_once_more_if_lost([w.push for w in batch])
        except psycopg.OperationalError as exc:
            for waiting in batch:
                _settle(waiting, waiting.answer.set_exception, exc)
            return
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0], batch[0].answer.set_exception, exc)
                return
            # Whatever one delivery did to the transaction, the others are not refused for it.
            for waiting in batch:
                self._store([waiting])
            return
        intakes = self._hand_off(intakes)
        for waiting, intake in zip(batch, intakes, strict=True):
            _settle(waiting, waiting.answer.set_result, intake)
        for waiting, intake in zip(batch, intakes, strict=True):
            log_intake(waiting.push.delivery_id, "push", waiting.push.full_name, intake)

    def _stored_once_more_if_lost(self, batch: list[BranchPush]) -> list[Intake]:
        """A connection lost mid-transaction stored nothing (the transaction is whole or
        absent), so the batch is stored again once, on a fresh connection."""
        try:
            return self._stored(batch)
        except psycopg.OperationalError:
            log.warning(
                "%d deliveries: the store connection was lost; trying once more", len(batch)
            )
            return self._stored(batch)

    def _stored(self, batch: list[BranchPush]) -> list[Intake]:
        # A connection of its own, not the pool's: a checkout from the pool costs a round
        # trip to check the connection, and a dead one is found here just the same. In a
        # pipeline, BEGIN goes with the first statement and COMMIT with the last.
        if self._conn is None or self._conn.closed:
            self._conn = connect(self._state.settings.database_url)
        try:
            with self._conn.pipeline(), self._conn.transaction():
                return take_pushes(self._conn, batch)
        except psycopg.OperationalError:
            self._conn.close()
            raise

    def _hand_off(self, intakes: list[Intake]) -> list[Intake]:
        """Each job to the dispatcher, now that its rows are committed. The push was marked
        handed off in that transaction; one the queue refused is unmarked, so the workers'
        sweeper sends it (workers/sweeper.py), and the delivery is still answered 202:
        GitHub does not redeliver failed deliveries by itself."""
        refused: list[int] = []
        out: list[Intake] = []
        for intake in intakes:
            if intake.job is not None:
                try:
                    self._state.dispatcher.send(intake.job)
                except Exception:
                    log.exception(
                        "could not queue push %d: the sweeper will send it", intake.job.id
                    )
                    refused.append(intake.job.id)
                    intake = replace(intake, reason=f"{intake.reason}; {LATER}")
            out.append(intake)
        if refused:
            try:
                with self._state.pool.connection() as conn, conn.transaction():
                    pushes.clear_hand_off(conn, refused)
            except Exception:
                log.exception("the store is away too: the sweeper sends them once stale")
        return out


def _settle(waiting: _Waiting, how: Callable[[Any], None], value: object) -> None:
    def settle() -> None:
        if not waiting.answer.done():  # the client may have gone away
            how(value)

    waiting.loop.call_soon_threadsafe(settle)


def log_intake(delivery_id: str, event: str, repository: str | None, intake: Intake) -> None:
    log.info(
        "delivery %s (%s): %s %s",
        delivery_id,
        event,
        intake.status,
        intake.reason,
        extra=logs.fields(
            delivery=delivery_id, event=event, repository=repository, outcome=intake.status
        ),
    )
