"""Versioned SQL migrations, applied when the api or a worker starts.

Files are `migrations/NNN_name.sql`, applied in order of NNN, each once, recorded
in `schema_migrations`. Everything runs in one transaction under an advisory
lock: two processes starting together apply each file once, and a failing file
leaves the schema as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from grader.core.errors import InfrastructureError
from grader.store.db import Connection

# Any constant works; this one is "grader" in ASCII, so it is recognisable in pg_locks.
_LOCK_KEY = 0x677261646572
_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    found: list[Migration] = []
    for entry in resources.files("grader.store").joinpath("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(versions) != len(set(versions)):
        raise InfrastructureError(f"two migrations share a version: {versions}")
    return found


def apply_migrations(conn: Connection, migrations: list[Migration] | None = None) -> list[int]:
    """Apply what is missing; return the versions applied now (empty when up to date)."""
    todo = bundled_migrations() if migrations is None else migrations
    applied_now: list[int] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        rows = conn.execute("SELECT version FROM schema_migrations").fetchall()
        done = {row["version"] for row in rows}
        for migration in todo:
            if migration.version in done:
                continue
            # Bytes: file text is no LiteralString; without parameters psycopg runs every
            # statement of the file.
            conn.execute(migration.sql.encode())
            conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
            applied_now.append(migration.version)
    return applied_now
