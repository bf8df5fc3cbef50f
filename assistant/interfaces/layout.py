"""How a reply's text is laid out for a reader, read the same way by the page and the terminal: the opening lines
that answer the question, the methods of a list (each opening its steps), and the warning lines."""

from __future__ import annotations

import re

_ITEM = re.compile(r"^(\d+)\. ")
_MARKER = re.compile(r"\[\d+\]")


def is_warning(line: str) -> bool:
    return line.lstrip().startswith("⚠")


def opening(lines: list[str]) -> int:
    """How many lines open the reply with the article's own answer: the quoted lines (each carries a [n]) at its
    top, up to the first line that is not one (a blank, a line of ours, a list)."""
    count = 0
    for line in lines:
        if not _MARKER.search(line) or _ITEM.match(line):
            break
        count += 1
    return count


def listed_item(line: str, options: tuple[str, ...]) -> tuple[int, str, str] | None:
    """A listed method's line ("2. Foam roller (3 warnings): …") as (where its name starts, its name, the offered
    question that opens its steps). The list and the offered questions follow the same order, and the question
    must name the method, so a numbered step or anything else is never taken for one."""
    m = _ITEM.match(line)
    if not m or not 0 < int(m.group(1)) <= len(options):
        return None
    title = line[m.end():].split(" (", 1)[0].split(":", 1)[0].strip()
    question = options[int(m.group(1)) - 1]
    return (m.end(), title, question) if title and question.rstrip("?").endswith(title) else None
