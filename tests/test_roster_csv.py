"""Reading GitHub Classroom's roster CSV: the file as Classroom and spreadsheets save it, and
the wrong files staff upload by mistake, each refused with a message naming what to fix."""

from __future__ import annotations

import codecs

import pytest

from grader.core.roster import RosterEntry, RosterError, parse_roster

# GitHub Classroom's roster download (a classroom's Students tab): these columns, in this
# order (checked against the abc-classroom guide "Managing the classroom roster", which
# documents the file GitHub Classroom gives).
CLASSROOM_HEADER = "identifier,github_username,github_id,name"
ROSTER = (
    f"{CLASSROOM_HEADER}\r\n"
    '"s1001","alice","583231","Martin, Alice"\r\n'
    '"s1002","Bob-Dev","","Bob Durand"\r\n'
    '"s1003","","",""\r\n'
)


def test_a_classroom_roster_is_read_with_its_quoting_and_unlinked_students() -> None:
    roster = parse_roster(ROSTER.encode())
    assert roster.entries == (
        RosterEntry("s1001", "alice", 583231, "Martin, Alice"),
        RosterEntry("s1002", "Bob-Dev", None, "Bob Durand"),
        RosterEntry("s1003", "", None, ""),
    )
    bob = roster.for_login("bob-dev")  # GitHub logins ignore case
    assert bob is not None and bob.identifier == "s1002"
    assert roster.for_login("") is None and roster.for_login("carol") is None
    assert roster.for_folder("tp-distributed-alice") == roster.entries[0]
    assert roster.for_folder("tp-distributed-bob") is None  # "bob" is not "bob-dev"


def test_excel_saves_are_read_bom_semicolons_and_blank_lines() -> None:
    saved = "Identifier;GitHub_Username;name\r\nélise;elise;Élise\r\n;;\r\n"
    excel = codecs.BOM_UTF8 + saved.encode()
    [entry] = parse_roster(excel).entries
    assert entry == RosterEntry("élise", "elise", None, "Élise")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"email,login\r\na@b,alice\r\n", "lacks the columns identifier, github_username"),
        (b"identifier,name\r\ns1,Alice\r\n", "lacks the column github_username"),
        (b"PK\x03\x04binary", "spreadsheet workbook, not CSV"),
        (codecs.BOM_UTF16_LE + "identifier".encode("utf-16-le"), "UTF-16"),
        (b"identifier,github_username\r\ns1,\xe9lise\r\n", "not UTF-8 text (line 2)"),
        (b"   \r\n", "is empty"),
        (b"identifier,github_username\r\n", "no student"),
        (b"identifier,github_username\r\n,alice\r\n", "line 2: no identifier"),
        (
            b"identifier,github_username\r\ns1,alice\r\ns2,Alice\r\n",
            "line 3: the GitHub username 'Alice' is already on line 2",
        ),
        (
            b"identifier,github_username\r\ns1,alice\r\ns1,bob\r\n",
            "line 3: the identifier 's1' is already on line 2",
        ),
        (b"identifier,github_username,github_id\r\ns1,alice,x9\r\n", "github_id 'x9'"),
    ],
)
def test_a_wrong_file_is_refused_with_what_to_fix(data: bytes, message: str) -> None:
    with pytest.raises(RosterError) as caught:
        parse_roster(data, "roster.csv")
    assert message in caught.value.message
    assert caught.value.message.startswith("roster.csv")
    assert caught.value.status_code == 400
