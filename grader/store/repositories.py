"""GitHub App installations and the repositories we have heard of."""

from __future__ import annotations

from dataclasses import dataclass

from grader.store.db import Connection


@dataclass(frozen=True)
class Repository:
    id: int
    full_name: str
    organisation: str
    name: str
    installation_id: int | None
    assignment_id: int | None


def save_installation(
    conn: Connection, installation_id: int, account_login: str, account_type: str, *, active: bool
) -> None:
    conn.execute(
        "INSERT INTO installations (id, account_login, account_type, active)"
        " VALUES (%s, %s, %s, %s) ON CONFLICT (id) DO UPDATE SET"
        " account_login = EXCLUDED.account_login, account_type = EXCLUDED.account_type,"
        " active = EXCLUDED.active, updated_at = now()",
        (installation_id, account_login, account_type, active),
    )


def installation_active(conn: Connection, installation_id: int) -> bool | None:
    """None when the installation was never announced to us."""
    row = conn.execute(
        "SELECT active FROM installations WHERE id = %s", (installation_id,)
    ).fetchone()
    return None if row is None else bool(row["active"])


def save_repository(
    conn: Connection,
    full_name: str,
    *,
    installation_id: int | None,
    assignment_id: int | None,
) -> Repository:
    """Insert or refresh; a known installation id is kept when a payload lacks one."""
    organisation, _, name = full_name.partition("/")
    row = conn.execute(
        "INSERT INTO repositories (full_name, organisation, name, installation_id, assignment_id)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (full_name) DO UPDATE SET"
        " installation_id = coalesce(EXCLUDED.installation_id, repositories.installation_id),"
        " assignment_id = EXCLUDED.assignment_id, updated_at = now()"
        " RETURNING id, full_name, organisation, name, installation_id, assignment_id",
        (full_name, organisation, name, installation_id, assignment_id),
    ).fetchone()
    assert row is not None
    return Repository(**row)


def save_repositories(
    conn: Connection, repositories: dict[str, tuple[int | None, int | None]]
) -> dict[str, int]:
    """save_repository for many: full name -> (installation id, assignment id); the ids.

    Rows are written in name order, so two api processes storing overlapping batches lock
    the same repositories in the same order instead of deadlocking."""
    names = sorted(repositories)
    rows = conn.execute(
        "INSERT INTO repositories (full_name, organisation, name, installation_id, assignment_id)"
        " SELECT n, split_part(n, '/', 1), substr(n, strpos(n, '/') + 1), i, a"
        " FROM unnest(%b::text[], %b::bigint[], %b::bigint[]) AS r(n, i, a) ORDER BY n"
        " ON CONFLICT (full_name) DO UPDATE SET"
        " installation_id = coalesce(EXCLUDED.installation_id, repositories.installation_id),"
        " assignment_id = EXCLUDED.assignment_id, updated_at = now()"
        " RETURNING id, full_name",
        (
            names,
            [repositories[n][0] for n in names],
            [repositories[n][1] for n in names],
        ),
    ).fetchall()
    return {str(row["full_name"]): int(row["id"]) for row in rows}


def get_repository(conn: Connection, repository_id: int) -> Repository:
    row = conn.execute(
        "SELECT id, full_name, organisation, name, installation_id, assignment_id"
        " FROM repositories WHERE id = %s",
        (repository_id,),
    ).fetchone()
    if row is None:
        raise KeyError(repository_id)
    return Repository(**row)


def find_repository(conn: Connection, full_name: str) -> Repository | None:
    row = conn.execute(
        "SELECT id, full_name, organisation, name, installation_id, assignment_id"
        " FROM repositories WHERE full_name = %s",
        (full_name,),
    ).fetchone()
    return None if row is None else Repository(**row)
