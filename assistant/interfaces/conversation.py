"""Conversations sent by clients (API requests, batch lines): chat messages, Reply dicts or earlier questions,
validated with bounds and turned into the Reply history `Assistant.ask` takes."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from ..records import STATUSES, Reply

MAX_TEXT = 20_000  # hard bound on any one text field; the question limit itself is BACKSTRETCH_MAX_QUESTION_CHARS
MAX_ANSWER = 100_000
REPLAY_CACHE = 256


class ConversationError(ValueError):
    """A conversation that cannot be read; `param` names the field."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


class TextPart(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: str = Field(max_length=40)
    text: str | None = Field(default=None, max_length=MAX_TEXT)


class CitationIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    n: int = Field(ge=1, le=1000)
    section_id: str = Field(max_length=200)
    section_title: str = Field(max_length=500)
    kind: Literal["intro", "step", "warning", "tip"]
    quote: str = Field(max_length=MAX_TEXT)
    source: str = Field(max_length=500)
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class ReplyIn(BaseModel):
    """A `Reply.to_dict()` sent back as history; only what the next turn needs is required. Keys not named here
    pass through to `Reply.from_dict` (which ignores what it does not know), so new Reply fields survive."""

    model_config = ConfigDict(extra="allow")
    question: str = Field(default="", max_length=MAX_TEXT)
    status: Literal[STATUSES] = "answered"  # type: ignore[valid-type]
    answer: str = Field(default="", max_length=MAX_ANSWER)
    citations: list[CitationIn] = Field(default_factory=list, max_length=200)
    focus: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=50)
    intent: str = Field(default="", max_length=100)
    urgent: bool = False
    backend: str = Field(default="extractive", max_length=100)
    options: list[Annotated[str, Field(max_length=MAX_TEXT)]] = Field(default_factory=list, max_length=50)
    flag: str | None = Field(default=None, max_length=200)

    def reply(self) -> Reply:
        return Reply.from_dict(self.model_dump())


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Annotated[str, Field(max_length=MAX_ANSWER)] | Annotated[list[TextPart], Field(max_length=100)] | None \
        = None
    name: str | None = Field(default=None, max_length=200)
    backstretch: ReplyIn | None = None  # our own extra field, as the completion carried it


def _history_kind(value: Any) -> str:
    if isinstance(value, str):
        return "question"
    if isinstance(value, dict):
        return "message" if "role" in value else "reply"
    return "message" if isinstance(value, Message) else "reply"


# An earlier question, a chat message ({"role", "content"}) or a Reply dict ({"question", "status", ...}).
HistoryItem = Annotated[
    Annotated[Annotated[str, Field(max_length=MAX_TEXT)], Tag("question")] | Annotated[Message, Tag("message")]
    | Annotated[ReplyIn, Tag("reply")],
    Discriminator(_history_kind),
]


Turn = tuple[str, Reply | None]  # an earlier question and its reply when the client sent it back


def _text(content: str | list[TextPart] | None, field: str, t: dict) -> str:
    if content is None or isinstance(content, str):
        return content or ""
    pieces = []
    for i, part in enumerate(content):
        if part.type != "text":
            where = f"{field}.{i}"
            raise ConversationError(t["error_content_part"].format(field=where, kind=part.type), where)
        pieces.append(part.text or "")
    return "\n".join(pieces)


def turns_from_messages(messages: list[Message], t: dict, field: str = "messages") -> list[Turn]:
    """User messages start turns; an assistant message that carries `backstretch` completes the turn before it.
    System, developer and tool messages are ignored: the answers come from the article, not from instructions."""
    turns: list[Turn] = []
    for i, m in enumerate(messages):
        if m.role == "user":
            turns.append((_text(m.content, f"{field}.{i}.content", t), None))
        elif m.role == "assistant" and m.backstretch is not None and turns and turns[-1][1] is None:
            reply = m.backstretch.reply()
            reply.question = reply.question or turns[-1][0]
            turns[-1] = (turns[-1][0], reply)
    return turns


def turns_from_history(items: list, t: dict) -> list[Turn]:
    turns: list[Turn] = []
    pending: list[Message] = []
    for item in items:
        if isinstance(item, Message):
            pending.append(item)
            continue
        if pending:
            turns += turns_from_messages(pending, t, "history")
            pending = []
        if isinstance(item, str):
            turns.append((item, None))
        else:
            reply = item.reply()
            turns.append((reply.question, reply))
    return turns + (turns_from_messages(pending, t, "history") if pending else [])



class Replayer:
    """Replies for earlier turns the client did not send back, asked again in order; an LRU of conversation
    prefixes keeps a long conversation from re-asking every turn on every request."""

    def __init__(self, size: int = REPLAY_CACHE) -> None:
        self._cache: OrderedDict[tuple[str, ...], Reply] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def history(self, bot, turns: list[Turn]) -> list[Reply]:
        replies: list[Reply] = []
        prefix: tuple[str, ...] = ()
        pure = True  # a cached prefix is valid only while every earlier reply was itself asked here
        for question, reply in turns:
            prefix += (question,)
            if reply is not None:
                pure = False
            else:
                reply = self._get(prefix) if pure else None
                if reply is None:
                    reply = bot.ask(question, replies)
                    if pure:
                        self._put(prefix, reply)
            replies.append(reply)
        return replies

    def _get(self, key: tuple[str, ...]) -> Reply | None:
        with self._lock:
            reply = self._cache.get(key)
            if reply is not None:
                self._cache.move_to_end(key)
            return reply

    def _put(self, key: tuple[str, ...], reply: Reply) -> None:
        with self._lock:
            self._cache[key] = reply
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)


class BatchLine(BaseModel):
    """One line of `backstretch ask --jsonl`: a question, optional history, an optional id echoed back."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(max_length=MAX_TEXT)
    history: list[HistoryItem] = Field(default_factory=list, max_length=256)
    id: str | int | None = None


def read_batch_line(line: str) -> BatchLine:
    """A plain question, or a JSON object (a line starting with "{"); bad input names the field."""
    import json

    from pydantic import ValidationError

    text = line.rstrip("\r\n")
    if not text.lstrip().startswith("{"):  # checked by the one question validator when it is asked
        return BatchLine.model_construct(question=text, history=[], id=None)
    try:
        return BatchLine.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise ConversationError(f"not valid JSON ({exc.msg} at column {exc.colno})", "line") from None
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"]) or "line"
        raise ConversationError(f"{where}: {err['msg'].replace('Input should be', 'should be')}", where) from None
