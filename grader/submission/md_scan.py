"""The block structure of an exercise file: code blocks, headings and comments, by source line.

markdown-it decides what is a fence or a heading (so a `## Exercise` inside a fence is code);
everything else is left as raw source lines, because pasted psql tables are not markdown and
markdown-it would render them as setext headings, tables or paragraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt

from grader.submission.headings import parse_bold_heading, parse_heading

_MD = MarkdownIt("commonmark")
_ATX = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_CLOSER = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*$")
_OPENER = re.compile(r"^ {0,3}(?:`{3,}|~{3,})\s*[^\s`]")


@dataclass(frozen=True)
class Code:
    """A fenced or indented code block; lines are 0-based indexes into the file."""

    start: int  # first line of the block, fence included
    end: int  # one past its last line
    first: int  # first content line
    lines: list[str]
    info: str
    fenced: bool


@dataclass(frozen=True)
class HeadingLine:
    start: int
    end: int  # a setext heading spans its underline too
    level: int
    text: str


@dataclass
class Scan:
    codes: list[Code] = field(default_factory=list)
    headings: list[HeadingLine] = field(default_factory=list)
    hidden: set[int] = field(default_factory=set)  # lines of HTML comments

    def text_lines(self, count: int) -> list[bool]:
        """For each line of the file: does it belong to the running text (not code, not comment)?"""
        flags = [i not in self.hidden for i in range(count)]
        for code in self.codes:
            for i in range(code.start, code.end):
                flags[i] = False
        return flags


def normalise(text: str) -> list[str]:
    """The file's lines as an editor numbers them, whatever its line ends and BOM."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def is_exercise_line(line: str) -> bool:
    """A line that opens an exercise even where markdown-it saw none (inside an open fence)."""
    atx = _ATX.match(line)
    return (atx is not None and parse_heading(atx.group(1)) is not None) or (
        parse_bold_heading(line) is not None
    )


def scan(lines: list[str], offset: int = 0) -> Scan:
    """Code blocks, top-level headings and HTML comments of lines[offset:]."""
    result = Scan()
    tokens = _MD.parse("\n".join(lines[offset:]))
    for index, tok in enumerate(tokens):
        if tok.map is None:
            continue
        start, end = tok.map[0] + offset, tok.map[1] + offset
        if tok.type == "heading_open" and tok.level == 0:
            level = int(tok.tag[1:])
            result.headings.append(HeadingLine(start, end, level, tokens[index + 1].content))
        elif tok.type == "fence":
            cut = _forgotten_close(lines, tok.level, start, end, tok.markup)
            if cut is not None:
                # A fence left open swallows the rest of the file; stop it at the next exercise.
                body = lines[start + 1 : cut]
                while body and not body[-1].strip():
                    body.pop()
                result.codes.append(Code(start, cut, start + 1, body, tok.info.strip(), True))
                rest = scan(lines, cut)
                result.codes += rest.codes
                result.headings += rest.headings
                result.hidden |= rest.hidden
                return result
            content = _content_lines(tok.content)
            result.codes.append(Code(start, end, start + 1, content, tok.info.strip(), True))
        elif tok.type == "code_block" and _stands_alone(lines, start, end, offset):
            result.codes.append(Code(start, end, start, _content_lines(tok.content), "", False))
        elif tok.type == "html_block" and tok.content.lstrip().startswith("<!--"):
            result.hidden.update(range(start, end))
    return result


def _content_lines(content: str) -> list[str]:
    return content.removesuffix("\n").split("\n") if content else []


def _forgotten_close(lines: list[str], level: int, start: int, end: int, markup: str) -> int | None:
    """Where a top-level fence the student forgot to close should stop: at the next exercise
    line inside it, when the fence runs to the end of the file or when a fence opener with an
    info string ("```sql", which cannot close a fence) follows that line."""
    if level != 0:
        return None
    heading = next((i for i in range(start + 1, end) if is_exercise_line(lines[i])), None)
    if heading is None:
        return None
    closer = _CLOSER.match(lines[end - 1]) if end - 1 > start else None
    closed = closer is not None and (
        closer.group(1)[0] == markup[0] and len(closer.group(1)) >= len(markup)
    )
    if not closed or any(_OPENER.match(lines[i]) for i in range(heading + 1, end)):
        return heading
    return None


def _stands_alone(lines: list[str], start: int, end: int, offset: int) -> bool:
    """An indented block set off by blank lines is code; one glued to a heading or paragraph
    is a psql table's right-aligned column that markdown-it split off."""
    before = start == offset or not lines[start - 1].strip()
    after = end >= len(lines) or not lines[end].strip()
    return before and after
