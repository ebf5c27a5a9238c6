"""Reading pasted psql / DBeaver output back: one test per shape a student can paste.

Outputs marked "psql 15" were printed by psql 15 itself and copied here verbatim.
"""

from __future__ import annotations

from grader.submission.psql_output import (
    PastedCommandTag,
    PastedItem,
    PastedMessage,
    PastedPlan,
    PastedTable,
    parse_psql_output,
)


def only_table(text: str) -> PastedTable:
    items = parse_psql_output(text)
    tables = [item for item in items if isinstance(item, PastedTable)]
    assert len(tables) == 1, items
    return tables[0]


def kinds(items: list[PastedItem]) -> list[str]:
    return [type(item).__name__ for item in items]


def test_handout_example_without_footer_and_with_an_ellipsis_row() -> None:
    text = (
        " siteOrigin | aiModelUsed  | nb_exams | avg_score\n"
        "------------+--------------+----------+-----------\n"
        " Tunis      | NephroAI-1   |        2 |    0.9812\n"
        " Paris      | DiagNet-3    |        1 |    0.9812\n"
        " ...\n"
    )
    table = only_table(text)
    assert table.columns == ("siteOrigin", "aiModelUsed", "nb_exams", "avg_score")
    assert table.rows == (
        ("Tunis", "NephroAI-1", "2", "0.9812"),
        ("Paris", "DiagNet-3", "1", "0.9812"),
    )
    assert table.footer_count is None
    assert (table.line, table.form) == (0, "aligned")


def test_footer_null_as_blank_and_right_aligned_numbers() -> None:
    text = "  i  |   f   \n-----+-------\n   4 |  10.1\n -12 |      \n(2 rows)\n"
    table = only_table(text)
    assert table.rows == (("4", "10.1"), ("-12", ""))
    assert table.footer_count == 2


def test_trailing_spaces_trimmed_by_an_editor_change_nothing() -> None:
    text = (
        " a | b  \n---+----\n 1 | x\n   | \n 3 | y +\n   | z\n(3 rows)\n"  # psql pads; editors trim
    )
    trimmed = "\n".join(line.rstrip() for line in text.split("\n"))
    expected = (("1", "x"), ("", ""), ("3", "y\nz"))
    assert only_table(text).rows == only_table(trimmed).rows == expected


def test_empty_result() -> None:
    table = only_table(" i | f \n---+---\n(0 rows)\n")
    assert (table.columns, table.rows, table.footer_count) == (("i", "f"), (), 0)


def test_ellipsis_rows_a_student_typed_are_skipped_anywhere() -> None:
    text = " n \n---\n 1\n ...\n 9\n  …  \n 12\n(12 rows)\n"
    table = only_table(text)
    assert table.rows == (("1",), ("9",), ("12",))
    assert table.footer_count == 12


def test_multiline_cells_with_newline_marks() -> None:
    # psql_crosstab.out: cells holding "qux\ndbl" and "foo\nquux"
    text = (
        " v  | h4  |     | h0  |  h2  | h1  \n"
        "----+-----+-----+-----+------+-----\n"
        " v0 | qux+| qux |     |      | \n"
        "    | dbl |     |     |      | \n"
        " v1 |     |     | baz | foo +| \n"
        "    |     |     |     | quux | \n"
        " v2 |     |     |     |      | bar\n"
        "(3 rows)\n"
    )
    table = only_table(text)
    assert table.columns == ("v", "h4", "", "h0", "h2", "h1")
    assert table.rows == (
        ("v0", "qux\ndbl", "qux", "", "", ""),
        ("v1", "", "", "baz", "foo\nquux", ""),
        ("v2", "", "", "", "", "bar"),
    )


def test_multiline_header_and_wrapped_cells_border_2() -> None:
    # psql.out: \pset format wrapped, border 2, columns 40
    text = (
        "+-----------------+--------------------+\n"
        "|       ab       +|         a         +|\n"
        "|                +|         bc         |\n"
        "|        c        |                    |\n"
        "+-----------------+--------------------+\n"
        "| xx              | yyyyyyyyyyyyyyyyyy |\n"
        "| xxxxxxxxxxxxxxx.| yyyy              +|\n"
        "|.x              +| yy                +|\n"
        "| xxxxxxxxxxxxxxx.|                    |\n"
        "|.xxx             |                    |\n"
        "+-----------------+--------------------+\n"
        "(2 rows)\n"
    )
    table = only_table(text)
    assert table.columns == ("ab\n\nc", "a\nbc")
    assert table.rows == (
        ("xx", "yyyyyyyyyyyyyyyyyy"),
        ("x" * 16 + "\n" + "x" * 18, "yyyy\nyy"),
    )
    assert table.footer_count == 2


def test_border_0() -> None:
    text = "id city  note  \n-- ---- ------\n 1 a   +xy\n   b    \n(1 row)\n"
    table = only_table(text)
    assert table.columns == ("id", "city", "note")
    assert table.rows == (("1", "a\nb", "xy"),)


def test_unicode_linestyle_border_1_and_2_and_double() -> None:
    # psql 15, \pset linestyle unicode, one NULL, one multi-line cell
    border1 = (
        " id │  city  │ note │ n \n"
        "────┼────────┼──────┼───\n"
        "  1 │ 東京   │ a   ↵│ \n"
        "    │        │ b    │ \n"
        " 22 │ Zürich │ x    │ y\n"
        "(2 rows)\n"
    )
    border2 = (
        "┌────┬────────┬──────┬───┐\n"
        "│ id │  city  │ note │ n │\n"
        "├────┼────────┼──────┼───┤\n"
        "│  1 │ 東京   │ a   ↵│   │\n"
        "│    │        │ b    │   │\n"
        "│ 22 │ Zürich │ x    │ y │\n"
        "└────┴────────┴──────┴───┘\n"
        "(2 rows)\n"
    )
    expected = (("1", "東京", "a\nb", ""), ("22", "Zürich", "x", "y"))
    assert only_table(border1).rows == only_table(border2).rows == expected
    double = (
        "╔════╦══════╦══════╗\n"
        "║ id ║ city ║ note ║\n"
        "╠════╬══════╬══════╣\n"
        "║  1 ║ 東京 ║ a   ↵║\n"
        "║    ║      ║ b    ║\n"
        "╚════╩══════╩══════╝\n"
        "(1 row)\n"
    )
    table = only_table(double)
    assert (table.columns, table.rows) == (("id", "city", "note"), (("1", "東京", "a\nb"),))


def test_columns_are_cut_at_the_rule_by_display_width_not_by_character_count() -> None:
    # 東京 is 2 characters but 4 columns: a count of characters would cut the rows wrongly
    # psql 15, \pset format wrapped, \pset columns 30, unicode
    text = (
        " id │    city    │    note    \n"
        "────┼────────────┼────────────\n"
        "  1 │ 東京abc東 …│ xyxyxyxyxy…\n"
        "    │…京abc東京a…│…xyxyxyxyxy…\n"
        "    │…bc東京abc  │…xyxy\n"
        "(1 row)\n"
    )
    assert only_table(text).rows == (("1", "東京abc" * 4, "xy" * 12),)


def test_a_rule_character_inside_a_cell_is_text() -> None:
    text = " a   | b \n-----+---\n x|y | 1\n(1 row)\n"
    assert only_table(text).rows == (("x|y", "1"),)


def test_combining_marks_take_no_column() -> None:
    # unicode.out: "äbc" spelled a + U+0308, three columns wide
    text = " num | val | nfc \n-----+-----+-----\n   2 | a\u0308bc | f\n(1 row)\n"
    assert only_table(text).rows == (("2", "a\u0308bc", "f"),)


def test_rows_that_drifted_from_the_rule_are_split_on_their_own_rules() -> None:
    text = " id | name \n----+------\n 1 | Mohamed Benali\n 22 | Yuki\n(2 rows)\n"
    assert only_table(text).rows == (("1", "Mohamed Benali"), ("22", "Yuki"))


def test_old_ascii_linestyle() -> None:
    # psql 15, \pset linestyle old-ascii, wrapped, columns 30
    text = (
        " i | city |    note    | last \n"
        "+d |+     |+           |+     \n"
        "---+------+------------+------\n"
        " 1 | a    | xyxyxyxyxy | z\n"
        "   : b    ; xyxyxyxyxy   \n"
        "          ; xyxy         \n"
        "(1 row)\n"
    )
    table = only_table(text)
    assert table.columns == ("i\nd", "city", "note", "last")
    assert table.rows == (("1", "a\nb", "xy" * 12, "z"),)


def test_expanded_records() -> None:
    text = (
        "Expanded display is on.\n"
        "-[ RECORD 1 ]+---------------\n"
        "name         | Yuki Tanaka\n"
        "city         | Tokyo\n"
        "note         | \n"
        "-[ RECORD 2 ]+---------------\n"
        "name         | Mohamed Benali\n"
        "city         | Tunis\n"
        "note         | first line    +\n"
        "             | second line\n"
    )
    table = only_table(text)
    assert (table.form, table.line) == ("expanded", 1)
    assert table.columns == ("name", "city", "note")
    assert table.rows == (
        ("Yuki Tanaka", "Tokyo", ""),
        ("Mohamed Benali", "Tunis", "first line\nsecond line"),
    )


def test_expanded_border_2_unicode_wrapped() -> None:
    # psql 15, \x, \pset format wrapped, columns 30, border 2, unicode
    text = (
        "┌─[ RECORD 1 ]───────────────┐\n"
        "│ id   │ 1                   │\n"
        "│ city │ 東京abc東京abc東京a…│\n"
        "│      │…bc東京abc           │\n"
        "│ note │ xyxyxyxyxyxyxyxyxyx…│\n"
        "│      │…yxyxy               │\n"
        "└──────┴─────────────────────┘\n"
    )
    assert only_table(text).rows == (("1", "東京abc" * 4, "xy" * 12),)


def test_expanded_border_0_with_multiline_names() -> None:
    # psql.out: \x, border 0, aligned
    text = "* Record 1            \nab+ xx\n  +\nc  \na + yyyy\nbc \n"
    table = only_table(text)
    assert table.columns == ("ab\n\nc", "a\nbc")
    assert table.rows == (("xx", "yyyy"),)


def test_command_tags() -> None:
    text = "BEGIN\nINSERT 0 1\nUPDATE 3\nCREATE VIEW\nPREPARE TRANSACTION\nCOMMIT PREPARED\nSET\n"
    items = parse_psql_output(text)
    assert items == [
        PastedCommandTag("BEGIN", 0),
        PastedCommandTag("INSERT 0 1", 1),
        PastedCommandTag("UPDATE 3", 2),
        PastedCommandTag("CREATE VIEW", 3),
        PastedCommandTag("PREPARE TRANSACTION", 4),
        PastedCommandTag("COMMIT PREPARED", 5),
        PastedCommandTag("SET", 6),
    ]


def test_messages_with_and_without_psql_file_prefix() -> None:
    text = (
        'ERROR:  column "siteOrigin" of relation "trainingdata" does not exist\n'
        "psql:init.sql:12: ERROR:  cannot use 2PC in transactions involving multiple servers\n"
        "LINE 1: SELECT siteOrigin FROM TrainingData;\n"
        "               ^\n"
        'HINT:  Perhaps you meant to reference the column "trainingdata.siteorigin".\n'
        "NOTICE:  Copying data from local table...\n"
        "DETAIL:  The local data in the table is no longer visible.\n"
        "WARNING:  there is no transaction in progress\n"
    )
    assert parse_psql_output(text) == [
        PastedMessage("ERROR", 'column "siteOrigin" of relation "trainingdata" does not exist', 0),
        PastedMessage("ERROR", "cannot use 2PC in transactions involving multiple servers", 1),
        PastedMessage("LINE", "1: SELECT siteOrigin FROM TrainingData;", 2),
        PastedMessage(
            "HINT", 'Perhaps you meant to reference the column "trainingdata.siteorigin".', 4
        ),
        PastedMessage("NOTICE", "Copying data from local table...", 5),
        PastedMessage("DETAIL", "The local data in the table is no longer visible.", 6),
        PastedMessage("WARNING", "there is no transaction in progress", 7),
    ]


def test_a_whole_session_with_prompts() -> None:
    text = (
        "mediAI=# SELECT p.name, count(*) AS nb\n"
        "mediAI-# FROM Patients p\n"
        "mediAI-# GROUP BY p.name;\n"
        "      name      | nb \n"
        "----------------+----\n"
        " Mohamed Benali |  3\n"
        "(1 row)\n"
        "\n"
        "mediAI=# BEGIN;\n"
        "BEGIN\n"
        "mediAI=*# PREPARE TRANSACTION 'mediAI_emergency_yuki_001';\n"
        "ERROR:  cannot use 2PC in transactions involving multiple servers\n"
        "postgres=# \\x\n"
        "Expanded display is on.\n"
        "postgres=> SELECT gid FROM pg_prepared_xacts;\n"
        "(0 rows)\n"
    )
    items = parse_psql_output(text)
    assert kinds(items) == ["PastedTable", "PastedCommandTag", "PastedMessage"]
    table = items[0]
    assert isinstance(table, PastedTable)
    assert (table.line, table.columns, table.rows) == (
        3,
        ("name", "nb"),
        (("Mohamed Benali", "3"),),
    )
    assert items[1] == PastedCommandTag("BEGIN", 9)
    assert items[2] == PastedMessage(
        "ERROR", "cannot use 2PC in transactions involving multiple servers", 11
    )


def test_query_plan_table_becomes_a_plan() -> None:
    text = (
        "                                  QUERY PLAN\n"
        "------------------------------------------------------------------------------\n"
        " Custom Scan (Citus Adaptive)  (cost=0.00..0.00 rows=0 width=0)\n"
        "   Task Count: 1\n"
        "   Tasks Shown: All\n"
        "   ->  Task\n"
        "         Node: host=citus_worker3 port=5432 dbname=mediAI\n"
        "         ->  Seq Scan on patients_102040 p  (cost=0.00..1.01 rows=1 width=4)\n"
        "               Filter: (country = 'Japan'::text)\n"
        "(7 rows)\n"
    )
    assert parse_psql_output(text) == [
        PastedPlan(
            (
                "Custom Scan (Citus Adaptive)  (cost=0.00..0.00 rows=0 width=0)",
                "  Task Count: 1",
                "  Tasks Shown: All",
                "  ->  Task",
                "        Node: host=citus_worker3 port=5432 dbname=mediAI",
                "        ->  Seq Scan on patients_102040 p  (cost=0.00..1.01 rows=1 width=4)",
                "              Filter: (country = 'Japan'::text)",
            ),
            0,
        )
    ]


def test_plan_pasted_without_its_header() -> None:
    text = (
        "Sort\n"
        "  Sort Key: remote_scan.l_quantity\n"
        "  ->  Custom Scan (Citus Adaptive)\n"
        "        Task Count: 32\n"
        "        Tasks Shown: One of 32\n"
        "Planning Time: 0.101 ms\n"
        "\n"
        "INSERT 0 1\n"
    )
    items = parse_psql_output(text)
    assert items[0] == PastedPlan(
        (
            "Sort",
            "  Sort Key: remote_scan.l_quantity",
            "  ->  Custom Scan (Citus Adaptive)",
            "        Task Count: 32",
            "        Tasks Shown: One of 32",
            "Planning Time: 0.101 ms",
        ),
        0,
    )
    assert items[1] == PastedCommandTag("INSERT 0 1", 7)


def test_dbeaver_grid_with_null_and_row_numbers() -> None:
    plain = "name\tcity\taiScore\nYuki Tanaka\tTokyo\t0.8934\nMohamed Benali\t[NULL]\t0.9812\n"
    table = only_table(plain)
    assert table.form == "dbeaver"
    assert table.columns == ("name", "city", "aiScore")
    assert table.rows == (("Yuki Tanaka", "Tokyo", "0.8934"), ("Mohamed Benali", None, "0.9812"))
    numbered = "#\tname\tcity\n1\tYuki Tanaka\tTokyo\n2\tMohamed Benali\tTunis\n"
    table = only_table(numbered)
    assert table.columns == ("name", "city")
    assert table.rows == (("Yuki Tanaka", "Tokyo"), ("Mohamed Benali", "Tunis"))


def test_tab_indented_sql_is_not_a_grid() -> None:
    assert parse_psql_output("\tSELECT a\n\tFROM t;\n") == []


def test_dbeaver_query_plan() -> None:
    text = "QUERY PLAN\nCustom Scan (Citus Adaptive)\n  Task Count: 32\n  ->  Task\n"
    assert parse_psql_output(text) == [
        PastedPlan(("Custom Scan (Citus Adaptive)", "  Task Count: 32", "  ->  Task"), 0)
    ]


def test_unaligned_output_with_a_footer() -> None:
    table = only_table("x|y\n1|2\n3|\n(2 rows)\n")
    assert (table.form, table.columns, table.rows) == (
        "unaligned",
        ("x", "y"),
        (("1", "2"), ("3", "")),
    )


def test_formats_that_are_not_tables_are_skipped() -> None:
    # psql 15: \pset format html, asciidoc, latex, troff-ms, csv; and \t (no header)
    text = (
        '<table border="1">\n  <tr>\n    <th align="center">x</th>\n  </tr>\n'
        '  <tr valign="top">\n    <td align="right">1</td>\n  </tr>\n</table>\n'
        "<p>(1 row)<br />\n</p>\n"
        '[options="header",cols=">l",frame="none"]\n|====\n^l|x\n|1\n|====\n\n....\n(1 row)\n....\n'
        "\\begin{tabular}{r}\n\\textit{x} \\\\\n\\hline\n1 \\\\\n\\end{tabular}\n"
        "\n\\noindent (1 row) \\\\\n\n"
        ".LP\n.TS\ncenter;\nr.\n\\fIx\\fP\n_\n1\n.TE\n.DS L\n(1 row)\n.DE\n"
        'x,y\n1,"a,b"\n'
        " 1 | 2\n"
    )
    assert parse_psql_output(text) == []


def test_line_numbers_count_every_line_ending() -> None:
    text = "\r\nERROR:  a\r\n\rNOTICE:  b\n"
    assert [item.line for item in parse_psql_output(text)] == [1, 3]


def test_a_paste_indented_as_a_whole() -> None:
    text = "    -[ RECORD 1 ]\n    id | 7\n\n    ERROR:  boom\n"
    items = parse_psql_output(text)
    assert kinds(items) == ["PastedTable", "PastedMessage"]
    assert items[1] == PastedMessage("ERROR", "boom", 3)


def test_old_ascii_continues_a_row_that_looked_complete() -> None:
    # psql 15, old-ascii, wrapped: "333" and "Montréal" wrapped, marked only on the next line
    text = (
        " id | city  |        note         | extra \n"
        "----+-------+---------------------+-------\n"
        " 1  | Tokyo | xyz                 | \n"
        " 33 | Montr | abababababababababa | end\n"
        " 3  ; eal   ; bababababababababab   \n"
        "(2 rows)\n"
    )
    assert only_table(text).rows == (
        ("1", "Tokyo", "xyz", ""),
        ("333", "Montreal", "ab" * 19, "end"),
    )


def test_expanded_query_plan_and_a_gx_title() -> None:
    text = "foo bar\n-[ RECORD 1 ]-----------\nQUERY PLAN | Seq Scan on t\n"
    assert parse_psql_output(text) == [PastedPlan(("Seq Scan on t",), 1)]


def test_dbeaver_error_message() -> None:
    text = 'SQL Error [42P01]: ERROR: relation "patient" does not exist\n  Position: 15\n'
    assert parse_psql_output(text) == [
        PastedMessage("ERROR", 'relation "patient" does not exist', 0)
    ]


def test_no_break_spaces_from_a_web_editor() -> None:
    text = " site  | nb \n-------+----\n Tunis |  2\n(1 row)\n".replace(" ", "\xa0")
    table = only_table(text)
    assert (table.columns, table.rows, table.footer_count) == (("site", "nb"), (("Tunis", "2"),), 1)


def test_tables_back_to_back_without_footers() -> None:
    text = " a | b \n---+---\n 1 | 2\n c | d \n---+---\n 3 | 4\n"
    items = parse_psql_output(text)
    assert [(t.line, t.columns, t.rows) for t in items if isinstance(t, PastedTable)] == [
        (0, ("a", "b"), (("1", "2"),)),
        (3, ("c", "d"), (("3", "4"),)),
    ]
