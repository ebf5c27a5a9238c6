"""Dashboard sessions, one row per sign-in, found by the hash of the token the cookie holds."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from grader.store.db import Connection


@dataclass(frozen=True)
class Session:
    login: str
    via: str
    csrf: str
    expires_at: datetime


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    conn: Connection, token: str, *, login: str, via: str, csrf: str, lasts: timedelta
) -> None:
    """Store a new session; sessions already expired are cleared on the way."""
    conn.execute("DELETE FROM dashboard_sessions WHERE expires_at <= now()")
    conn.execute(
        "INSERT INTO dashboard_sessions (token_hash, login, via, csrf, expires_at)"
        " VALUES (%s, %s, %s, %s, now() + %s)",
        (_hash(token), login, via, csrf, lasts),
    )


def find_session(conn: Connection, token: str) -> Session | None:
    """The live session of this token; None when it was ended, has expired or never was."""
    row = conn.execute(
        "SELECT login, via, csrf, expires_at FROM dashboard_sessions"
        " WHERE token_hash = %s AND expires_at > now()",
        (_hash(token),),
    ).fetchone()
    return None if row is None else Session(**row)


def close_session(conn: Connection, token: str) -> bool:
    """End a session; False when there was none to end."""
    cursor = conn.execute("DELETE FROM dashboard_sessions WHERE token_hash = %s", (_hash(token),))
    return cursor.rowcount > 0
