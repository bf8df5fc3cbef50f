"""Questions are checked at the edge, by this one validator on every surface (library, CLI, page, APIs):
not text, empty, too long, invalid Unicode (lone surrogates: invalid UTF-8 from a terminal, `\\ud800` in JSON)
or control characters is a one-line error that never repeats the question."""

from __future__ import annotations

import unicodedata

from ..errors import InvalidQuestion
from ..prompts import Prompts


def validate_question(question: object, limit: int, prompts: Prompts) -> str:
    if question is not None and not isinstance(question, str):
        raise InvalidQuestion(_render(prompts, "error_not_text", kind=type(question).__name__))
    if not question or not question.strip():
        raise InvalidQuestion(prompts.render("error_empty"))
    if len(question) > limit:
        raise InvalidQuestion(prompts.render("error_too_long", length=len(question), limit=limit))
    if any(unicodedata.category(ch) == "Cs" for ch in question):
        raise InvalidQuestion(_render(prompts, "error_encoding"))
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in question):
        raise InvalidQuestion(prompts.render("error_control"))
    return question.strip()


def _render(prompts: Prompts, name: str, **values) -> str:
    # prompts folders written before these templates existed keep working, with the empty-question wording
    return prompts.render(name, **values) if prompts.has(name) else prompts.render("error_empty")


def validate_history(history: object, limit: int, prompts: Prompts) -> list:
    """The earlier replies a question carries: a list of Reply (a string is refused, not read character by
    character); only the latest `limit` are kept, so a huge history costs no more than a long one."""
    from ..records import Reply

    if history is None:
        return []
    if isinstance(history, str | bytes | dict) or not isinstance(history, list | tuple):
        raise InvalidQuestion(_render(prompts, "error_history", kind=type(history).__name__))
    bad = next((item for item in history if not isinstance(item, Reply)), None)
    if bad is not None:
        raise InvalidQuestion(_render(prompts, "error_history", kind=f"a list holding {type(bad).__name__}"))
    return list(history[-limit:])
