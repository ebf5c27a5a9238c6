"""The grader's own clock over a student's statement, enforced from outside the session.

A statement past its deadline is cancelled (the cancel request protocol); if the server has
not let go a little later, its backend is terminated through a superuser connection; and if
even that goes unanswered, the client side of the socket is shut down so the runner never
waits on the engine longer than the limit plus two grace periods. Nothing the student sets
in the session (`statement_timeout = 0`) reaches this clock.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import threading
import time
from dataclasses import dataclass

import psycopg

GRACE_SECONDS = 1.5


@dataclass
class Firing:
    """What the watchdog did to one statement."""

    label: str  # the limit, with its value: "statement time limit (5 s)"
    terminated: bool = False  # the session is gone: the runner must reconnect


@dataclass
class _Watch:
    conn: psycopg.Connection[tuple[object, ...]]
    pid: int  # the session's backend, read when armed
    deadline: float
    label: str
    firing: Firing | None = None
    next_step_at: float = 0.0
    socket_shut: bool = False


class Watchdog:
    def __init__(self, admin_dsn: str, grace_seconds: float = GRACE_SECONDS) -> None:
        self._admin_dsn = admin_dsn
        self._grace = grace_seconds
        self._cond = threading.Condition()
        self._watch: _Watch | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, name="grader-watchdog", daemon=True)
        self._thread.start()

    def arm(
        self, conn: psycopg.Connection[tuple[object, ...]], deadline: float, label: str
    ) -> None:
        with self._cond:
            self._watch = _Watch(conn, conn.info.backend_pid, deadline, label)
            self._cond.notify()

    def disarm(self) -> Firing | None:
        """Stop watching; what fired, if anything. Holding the lock here means the watchdog
        never acts on the next statement for this one's deadline."""
        with self._cond:
            watch, self._watch = self._watch, None
            return watch.firing if watch else None

    def close(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        with self._cond:
            while not self._stopped:
                watch = self._watch
                if watch is None:
                    self._cond.wait()
                    continue
                now = time.monotonic()
                due = watch.next_step_at if watch.firing else watch.deadline
                if now < due:
                    self._cond.wait(None if due == math.inf else due - now)
                    continue
                self._step(watch)

    def _step(self, watch: _Watch) -> None:
        watch.next_step_at = time.monotonic() + self._grace
        if watch.firing is None:
            watch.firing = Firing(watch.label)
            with contextlib.suppress(Exception):
                watch.conn.cancel_safe(timeout=self._grace)
        elif not watch.firing.terminated:
            watch.firing.terminated = True
            self._terminate(watch.pid)
        elif not watch.socket_shut:
            watch.socket_shut = True
            _shut_socket(watch.conn)
        else:
            watch.next_step_at = math.inf  # nothing left to do; the runner is unblocked

    def _terminate(self, pid: int) -> None:
        with (
            contextlib.suppress(psycopg.Error),
            psycopg.connect(self._admin_dsn, autocommit=True, connect_timeout=5) as admin,
        ):
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])


def _shut_socket(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    """Wake the runner, blocked reading from the server, with an end of stream. A duplicate
    descriptor is shut down, not closed, so libpq's own descriptor stays valid."""
    with contextlib.suppress(OSError, psycopg.Error):
        sock = socket.socket(fileno=os.dup(conn.pgconn.socket))
        with sock:
            sock.shutdown(socket.SHUT_RDWR)
