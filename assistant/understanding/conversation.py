"""What the conversation so far brings to a turn: the history as Replies, the methods in focus, a held referral."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..records import Reply

if TYPE_CHECKING:
    from .triage import Triage, Triager


def as_history(items: Iterable[Any]) -> list[Reply]:
    """Replies from what a caller holds: Reply objects, `Reply.to_dict()` dicts, or LangChain messages
    (each human message with the AI message after it as one turn)."""
    history: list[Reply] = []
    pending: str | None = None
    for item in items:
        if isinstance(item, Reply):
            history.append(item)
        elif isinstance(item, dict) and ("status" in item or "answer" in item):
            history.append(Reply.from_dict(item))
        else:
            role, content = _message(item)
            if role in ("human", "user"):
                if pending is not None:
                    history.append(Reply(pending, "answered", ""))
                pending = content
            elif role in ("ai", "assistant") and pending is not None:
                history.append(Reply(pending, "answered", content))
                pending = None
    if pending is not None:
        history.append(Reply(pending, "answered", ""))
    return history


def _message(item: Any) -> tuple[str, str]:
    if isinstance(item, dict):
        role, content = item.get("role") or item.get("type"), item.get("content")
    else:
        role, content = getattr(item, "type", None), getattr(item, "content", None)
    if not isinstance(role, str) or not isinstance(content, str):
        raise TypeError(f"history items must be Replies, reply dicts or chat messages, got {type(item).__name__}")
    return role, content


def last_focus(history: Sequence[Reply]) -> tuple[tuple[str, ...], str]:
    """The methods in play and the intent of the latest answered turn."""
    for reply in reversed(history):
        if reply.status in ("answered", "clarify") and reply.focus:
            return reply.focus, reply.intent
    return (), ""


def held_referral(history: Sequence[Reply], triager: Triager) -> Triage | None:
    """The referral an earlier turn of this conversation gave, which still holds: from the replies' own state
    where they carry it, else by triaging the earlier questions again (a client that kept only the text)."""
    from .triage import Triage

    stateful = [r for r in history if r.intent]  # replies the chain made carry the conversation's state
    if stateful:
        last = stateful[-1]  # every reply carries it, so the latest one says whether a referral still holds
        if last.flag:
            urgent = last.urgent or any(r.urgent for r in history if r.flag == last.flag)
            return Triage("referral", last.flag, urgent, None, "held")
        if any(r.flag for r in stateful):
            return None  # held once, then explained away ("it was only from sitting on my foot")
    for reply in reversed(history):
        found = triager.red_flag(reply.question)
        if found is not None:
            return found
    return None


def referring_question(history: Sequence[Reply], triager: Triager) -> str | None:
    """The question whose red flag a held referral is for: the latest turn the chain referred, else (a client that
    kept only the text) the latest question with a red flag of its own."""
    for reply in reversed(history):
        if reply.intent == "referral":
            return reply.question
    if any(r.intent for r in history):
        return None
    return next((r.question for r in reversed(history) if triager.red_flag(r.question) is not None), None)


# "why?", "why is that?", "how come?" with nothing else: the reason for the last answer
_BARE_WHY = re.compile(r"^\s*(and |but |ok |okay |so |hmm )?(why|how come|why so|why's that|why is that|why not|"
                       r"what's the reason|whats the reason|how so)\s*[?!.]*\s*$", re.IGNORECASE)


def asked_why_of(question: str, history: Sequence[Reply]) -> str | None:
    """The earlier question a bare "why?" asks the reason for: the article gives its reasons in the sentences that
    answered it ("rotation tends to be a safer or more forgiving motion" is its own why), so that question is
    answered again; None when the turn asks anything else or nothing came before."""
    if not history or not _BARE_WHY.match(question):
        return None
    return history[-1].question or None
