"""Questions are checked at the edge: empty, too long or with control characters is a one-line error."""

from __future__ import annotations

import unicodedata

from ..errors import InvalidQuestion
from ..prompts import Prompts


def validate_question(question: object, limit: int, prompts: Prompts) -> str:
    if not isinstance(question, str) or not question.strip():
        raise InvalidQuestion(prompts.render("error_empty"))
    if len(question) > limit:
        raise InvalidQuestion(prompts.render("error_too_long", length=len(question), limit=limit))
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in question):
        raise InvalidQuestion(prompts.render("error_control"))
    return question.strip()
