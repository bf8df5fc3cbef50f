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
    """The earlier turns a question carries, as Replies: a list of Reply objects, their dicts or chat messages
    (a string is refused, not read character by character); only the latest `limit` are kept, so a huge
    history costs no more than a long one."""
    from .conversation import as_history

    if history is None:
        return []
    if isinstance(history, str | bytes | dict) or not isinstance(history, list | tuple):
        raise InvalidQuestion(_render(prompts, "error_history", kind=type(history).__name__))
    try:
        replies = as_history(history[-2 * limit:])  # a turn may be two messages
    except (TypeError, ValueError, KeyError) as exc:
        raise InvalidQuestion(_render(prompts, "error_history", kind=f"a list holding {_what(exc)}")) from None
    return replies[-limit:]


def _what(exc: Exception) -> str:
    text = str(exc).split(", got ")[-1] if ", got " in str(exc) else type(exc).__name__
    return text.strip() or "something else"
