"""SQL highlighted on the server by Pygments (its classes styled by static/highlight.css),
so the page needs no script to show it and the text stays escaped."""

from __future__ import annotations

from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PostgresLexer

_LEXER = PostgresLexer()


def sql_html(text: str, first_line: int) -> Markup:
    """The SQL with the line numbers it has in the student's file."""
    formatter = HtmlFormatter(cssclass="hl", linenos="inline", linenostart=first_line)
    return Markup(highlight(text, _LEXER, formatter))
