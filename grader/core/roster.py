"""A class roster as GitHub Classroom exports it: who each GitHub account is in the school's
records, so a repository named after a GitHub login can be graded under the student's
identifier in the LMS.

GitHub Classroom's roster download ("Students" tab of a classroom) is a CSV whose columns
are `identifier`, `github_username`, `github_id` and `name`; only the first two are needed
here. A student who has not yet linked a GitHub account has an empty `github_username`.
The identifier is whatever the teacher typed or the LMS sent (a student number, an email,
a name), so it is kept exactly as written.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from grader.core.errors import InvalidInput

REQUIRED = ("identifier", "github_username")
OPTIONAL = ("github_id", "name")
MAX_BYTES = 2 * 1024 * 1024  # a roster of ten thousand students is a few hundred kB
# Excel in many European locales saves "CSV" with semicolons, and a copy from a spreadsheet
# has tabs: a file is read with the first of these that yields the required columns.
_DELIMITERS = (",", ";", "\t")
_ZIP_MAGIC = b"PK\x03\x04"  # an .xlsx workbook is a zip archive


class RosterError(InvalidInput):
    """The file is not a roster this grader can read; the message says what to fix."""


@dataclass(frozen=True)
class RosterEntry:
    identifier: str
    github_username: str  # "" until the student links a GitHub account
    github_id: int | None = None
    name: str = ""


@dataclass(frozen=True)
class Roster:
    entries: tuple[RosterEntry, ...]
    _by_login: dict[str, RosterEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_login = {e.github_username.casefold(): e for e in self.entries if e.github_username}
        object.__setattr__(self, "_by_login", by_login)

    def for_login(self, login: str) -> RosterEntry | None:
        """GitHub logins are case-insensitive: `Alice` and `alice` are one account."""
        return self._by_login.get(login.casefold())

    def for_folder(self, folder: str) -> RosterEntry | None:
        """A clone folder is named after the login, or `<assignment>-<login>` as GitHub
        Classroom's tools name them: the exact login, else the longest login it ends with."""
        exact = self.for_login(folder)
        if exact is not None:
            return exact
        name = folder.casefold()
        ends = [k for k in self._by_login if name.endswith("-" + k)]
        return self._by_login[max(ends, key=len)] if ends else None


def parse_roster(data: bytes, source: str = "the roster") -> Roster:
    """Read a roster file; every problem is a RosterError naming the line to fix."""
    if len(data) > MAX_BYTES:
        raise RosterError(f"{source} is larger than {MAX_BYTES // 1024 // 1024} MB: not a roster")
    if data.startswith(_ZIP_MAGIC):
        raise RosterError(
            f"{source} is a spreadsheet workbook, not CSV: save it as CSV (UTF-8) and use that file"
        )
    text = _decode(data, source)
    if not text.strip():
        raise RosterError(f"{source} is empty: download the roster from GitHub Classroom again")
    rows, header = _rows(text, source)
    entries: list[RosterEntry] = []
    seen_ids: dict[str, int] = {}
    seen_logins: dict[str, int] = {}
    for line, row in rows:
        entry = _entry(row, header, line, source)
        if entry is None:
            continue
        if entry.identifier in seen_ids:
            raise RosterError(
                f"{source}, line {line}: the identifier {entry.identifier!r} is already on "
                f"line {seen_ids[entry.identifier]}; each student must appear once"
            )
        seen_ids[entry.identifier] = line
        login = entry.github_username.casefold()
        if login and login in seen_logins:
            raise RosterError(
                f"{source}, line {line}: the GitHub username {entry.github_username!r} is "
                f"already on line {seen_logins[login]}; one account cannot be two students"
            )
        if login:
            seen_logins[login] = line
        entries.append(entry)
    if not entries:
        raise RosterError(f"{source} has a header but no student: nothing to import")
    return Roster(tuple(entries))


def _decode(data: bytes, source: str) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise RosterError(f"{source} is UTF-16 text: save it as CSV (UTF-8) and use that file")
    try:
        return data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte-order mark
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RosterError(
            f"{source} is not UTF-8 text (line {line}): save it as CSV (UTF-8) and use that file"
        ) from None


def _rows(text: str, source: str) -> tuple[list[tuple[int, list[str]]], dict[str, int]]:
    """The data rows with their line numbers, and the column of each known name."""
    first = text.splitlines()[0]
    found: list[str] = []
    for delimiter in _DELIMITERS:
        try:
            parsed = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error as exc:
            raise RosterError(f"{source} is not a CSV file: {exc}") from None
        names = [c.strip().casefold() for c in parsed[0]] if parsed else []
        if all(r in names for r in REQUIRED):
            header = {n: names.index(n) for n in (*REQUIRED, *OPTIONAL) if n in names}
            return [(i, row) for i, row in enumerate(parsed[1:], start=2)], header
        found = found or [c.strip() for c in next(csv.reader([first]))]
    missing = [r for r in REQUIRED if r not in {c.casefold() for c in found}]
    shown = ", ".join(repr(c) for c in found[:8]) or "nothing"
    raise RosterError(
        f"{source} lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
        f"(its first line has {shown}): give the roster CSV downloaded from GitHub Classroom's "
        "Students tab, whose columns are identifier, github_username, github_id, name"
    )


def _entry(
    row: Sequence[str], header: dict[str, int], line: int, source: str
) -> RosterEntry | None:
    def cell(name: str) -> str:
        index = header.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    if not any(c.strip() for c in row):
        return None  # a blank line, as spreadsheets leave at the end
    identifier, login, github_id = cell("identifier"), cell("github_username"), cell("github_id")
    if not identifier:
        raise RosterError(
            f"{source}, line {line}: no identifier; give every student the identifier the "
            "LMS knows them by"
        )
    if github_id and not github_id.isdigit():
        raise RosterError(f"{source}, line {line}: github_id {github_id!r} is not a number")
    return RosterEntry(identifier, login, int(github_id) if github_id else None, cell("name"))
