"""One psql-like session as the lab role: statements sent one by one, results read as text.

Each statement goes out on the simple query protocol, as psql sends it, so values come
back as PostgreSQL's text output (numeric '0.9812', boolean 't', NULL as None) with no
type conversion on our side. Rows are read in chunks and counted as they arrive: a
ten-million-row result never sits in memory, and past a hard cap the query is cancelled.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg
from psycopg import capabilities, generators, pq
from psycopg.errors import Diagnostic
from psycopg.pq.abc import PGresult

from grader.core.errors import InfrastructureError
from grader.core.trace import Outcome, Row, StatementOutcome
from grader.run.prepared_lock import PreparedTransactionLock
from grader.run.watchdog import Watchdog

ROW_HARD_CAP = 1_000_000
ROW_CAP_LABEL = f"result row limit ({ROW_HARD_CAP:,} rows)"
_CHUNK_ROWS = 1000
# Citus's complaint that a node is short of background workers is about the grading
# cluster, not the student's SQL, and must not reach what is compared with pasted output.
_ENGINE_NOISE = ("could not start maintenance background worker",)
# A student may set these timeouts and have the server end the session between statements.
# When the session is already gone, libpq reports the server's message without its code.
_SESSION_TIMEOUTS = {
    "25P03": "terminating connection due to idle-in-transaction timeout",
    "57P05": "terminating connection due to idle-session timeout",
}
_NEW_SESSION = (
    "the following statements ran in a new session (settings, temporary tables and any "
    "open transaction were lost)"
)
_ENDED_BY_GRADER = (
    f"the statement did not stop when cancelled, so the grader ended its session; {_NEW_SESSION}"
)

ST = pq.ExecStatus
Conn = psycopg.Connection[tuple[object, ...]]


@dataclass(frozen=True)
class _Error:
    message: str
    sqlstate: str | None


class Session:
    def __init__(
        self,
        dsn: str,
        admin_dsn: str,
        *,
        rows_kept: int,
        server_timeout_ms: int,
        resource_labels: dict[str, str] | None = None,
    ):
        self._dsn = dsn
        self._rows_kept = rows_kept
        # The engine's refusals that are the grader's limits, not the student's mistakes:
        # sqlstate -> the limit's name with its value (run.execute.resource_labels).
        self._resource_labels = resource_labels or {}
        # The server's own timeout stays a second line of defence behind the watchdog.
        self._options = f"-c statement_timeout={server_timeout_ms}"
        self._notices: list[str] = []
        self._conn = self._connect()
        self._watchdog = Watchdog(admin_dsn)
        # Jobs share the cluster: a PREPARE TRANSACTION waits for the others' to finish.
        self._two_phase = PreparedTransactionLock(admin_dsn)

    def close(self) -> None:
        self._watchdog.close()
        self._conn.close()
        self._two_phase.close()

    def run(self, sql: str, *, deadline: float, label: str) -> StatementOutcome:
        """Execute one statement, whatever it does; limits fire as `label`."""
        out = StatementOutcome(sql=sql)
        self._notices = out.notices
        self._two_phase.before(sql, deadline)
        started = time.monotonic()
        self._watchdog.arm(self._conn, deadline, label)
        error: _Error | None = None
        lost: psycopg.OperationalError | None = None
        try:
            error = self._send_and_read(sql, out)
        except psycopg.OperationalError as exc:
            if self._conn.pgconn.status == pq.ConnStatus.BAD:
                lost = exc
            else:
                error = _error_of_exception(exc)
        finally:
            firing = self._watchdog.disarm()
        out.elapsed_ms = (time.monotonic() - started) * 1000
        if error is not None:
            out.outcome, out.error, out.sqlstate = Outcome.ERROR, error.message, error.sqlstate
            if (named := self._resource_labels.get(error.sqlstate or "")) is not None:
                out.outcome, out.limit = Outcome.LIMIT, named
        if firing is not None and (error is not None or lost is not None):
            out.outcome, out.limit = Outcome.TIMEOUT, firing.label
        if lost is not None or self._conn.pgconn.status == pq.ConnStatus.BAD:
            self._after_lost_session(out, lost, ended_by_us=bool(firing and firing.terminated))
        self._two_phase.after(sql)
        return out

    def rollback_open_transaction(self) -> bool:
        """End an open or failed transaction block, as psql's exit would; True if there was one."""
        status = self._conn.pgconn.transaction_status
        if status not in (pq.TransactionStatus.INTRANS, pq.TransactionStatus.INERROR):
            return False
        self.run("ROLLBACK", deadline=time.monotonic() + 10, label="rollback time limit (10 s)")
        return True

    def _connect(self) -> Conn:
        try:
            conn: Conn = psycopg.connect(
                self._dsn,
                autocommit=True,
                connect_timeout=10,
                client_encoding="UTF8",
                application_name="sql-lab-grader",
                options=self._options,
            )
        except psycopg.OperationalError as exc:
            raise InfrastructureError(f"cannot open the grading session: {exc}") from exc
        conn.add_notice_handler(self._on_notice)
        return conn

    def _on_notice(self, diag: Diagnostic) -> None:
        primary = diag.message_primary or ""
        if primary.startswith(_ENGINE_NOISE):
            return
        self._notices.append(f"{diag.severity}:  {_with_detail(primary, diag)}")

    def _after_lost_session(
        self, out: StatementOutcome, lost: psycopg.OperationalError | None, *, ended_by_us: bool
    ) -> None:
        """Reopen the session when we ended it, or the student's own session timeout did;
        any other loss of the connection is the engine's failure, not the student's."""
        if ended_by_us:
            out.error, out.sqlstate = _ENDED_BY_GRADER, None
        elif (own_timeout := _session_timeout(out, lost)) is not None:
            out.error = f"{own_timeout}\n({_NEW_SESSION})"
        else:
            cause = lost or out.error or "connection closed"
            raise InfrastructureError(f"lost the coordinator during a statement: {cause}")
        out.outcome = Outcome.TIMEOUT if out.limit else Outcome.ERROR
        self._conn.close()
        self._conn = self._connect()

    def _send_and_read(self, sql: str, out: StatementOutcome) -> _Error | None:
        pgconn = self._conn.pgconn
        pgconn.send_query(sql.encode())
        if capabilities.has_stream_chunked():
            pgconn.set_chunked_rows_mode(_CHUNK_ROWS)
        else:
            pgconn.set_single_row_mode()
        self._conn.wait(generators.send(pgconn))
        error: _Error | None = None
        count = 0
        capped = False
        fresh = True  # the next rows start a new result set (a string may hold several)
        while (res := self._conn.wait(generators.fetch(pgconn))) is not None:
            status = res.status
            if status in (ST.SINGLE_TUPLE, ST.TUPLES_CHUNK, ST.TUPLES_OK):
                if fresh:
                    out.columns = [(res.fname(i) or b"").decode() for i in range(res.nfields)]
                    out.rows, count, fresh = [], 0, False
                if not capped:  # past the cap, rows still in flight are drained, not counted
                    count += res.ntuples
                    self._keep_rows(res, out)
                    if count >= ROW_HARD_CAP:
                        capped = True
                        self._conn.cancel_safe(timeout=5)
                fresh = status == ST.TUPLES_OK
            elif status == ST.FATAL_ERROR:
                error = _error_of(res)
            elif status in (ST.COPY_IN, ST.COPY_OUT):
                error = self._finish_copy(status, out)
            if res.command_status:  # on the last chunk in chunked mode, else the final result
                out.command_tag = res.command_status.decode()
        if out.rows is not None:
            out.row_count = count
            out.truncated = count > len(out.rows)
        if capped:
            out.outcome, out.limit, out.truncated = Outcome.LIMIT, ROW_CAP_LABEL, True
            return None
        return error

    def _keep_rows(self, res: PGresult, out: StatementOutcome) -> None:
        assert out.rows is not None
        room = self._rows_kept - len(out.rows)
        for r in range(min(room, res.ntuples)):
            out.rows.append(_row(res, r))

    def _finish_copy(self, status: pq.ExecStatus, out: StatementOutcome) -> _Error | None:
        """COPY with the client: psql would read the data from the script or print it; the
        grader has no data to give, and keeps none of what the server sends."""
        pgconn = self._conn.pgconn
        try:
            if status == ST.COPY_IN:
                self._conn.wait(generators.copy_end(pgconn, b"COPY FROM STDIN is not graded"))
                return None
            while isinstance(data := self._conn.wait(generators.copy_from(pgconn)), memoryview):
                pass
            out.command_tag = (data.command_status or b"").decode() or None
            return None
        except psycopg.Error as exc:
            if pgconn.status == pq.ConnStatus.BAD:
                raise
            return _error_of_exception(exc)


def _row(res: PGresult, r: int) -> Row:
    values = (res.get_value(r, c) for c in range(res.nfields))
    return tuple(None if v is None else v.decode("utf-8", "replace") for v in values)


def _error_of(res: PGresult) -> _Error:
    def field(code: pq.DiagnosticField) -> str | None:
        value = res.error_field(code)
        return value.decode("utf-8", "replace") if value is not None else None

    primary = field(pq.DiagnosticField.MESSAGE_PRIMARY)
    if primary is None:  # raised by libpq itself, e.g. the server closed the connection
        primary = (res.error_message or b"").decode("utf-8", "replace").strip()
    message = primary
    for label, code in (
        ("DETAIL", pq.DiagnosticField.MESSAGE_DETAIL),
        ("HINT", pq.DiagnosticField.MESSAGE_HINT),
    ):
        if (text := field(code)) is not None:
            message += f"\n{label}:  {text}"
    return _Error(message, field(pq.DiagnosticField.SQLSTATE))


def _session_timeout(out: StatementOutcome, lost: psycopg.OperationalError | None) -> str | None:
    """The server's message when the session ended on one of its own idle timeouts."""
    if out.sqlstate in _SESSION_TIMEOUTS:
        return out.error
    text = f"{out.error or ''}\n{lost or ''}"
    return next((m for m in _SESSION_TIMEOUTS.values() if m in text), None)


def _error_of_exception(exc: psycopg.Error) -> _Error:
    return _Error(_with_detail(exc.diag.message_primary or str(exc), exc.diag), exc.sqlstate)


def _with_detail(primary: str, diag: Diagnostic) -> str:
    text = primary
    if diag.message_detail:
        text += f"\nDETAIL:  {diag.message_detail}"
    if diag.message_hint:
        text += f"\nHINT:  {diag.message_hint}"
    return text
