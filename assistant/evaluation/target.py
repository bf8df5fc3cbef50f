"""Any OpenAI-compatible chat endpoint as a system under evaluation (`backstretch eval --target openai:URL`).

A target answers through `POST /v1/chat/completions` with the real `openai` client; each case's turns go as one
conversation (the whole `messages` list every time). Its replies become `TargetReply` objects the usual scoring
reads:

- when the completion carries our extra `backstretch` field (our own endpoint), that Reply is used as is: status,
  citations, urgency and who worded it, exactly as the in-process chain reports them;
- otherwise the reply is plain text and is read by a fixed rule. Its citations are the article sentences it quotes
  verbatim (white space and typographic quotes aside), in the order they appear. A reply that quotes no article
  sentence and has no `[n]` marker counts as declined (a refusal or a referral); anything else as answered. A plain
  reply cannot say which kind of decline it is, whether it is urgent, or rank its sources: `score` and `summarise`
  report what that leaves unmeasured as n/a (see metrics.py), never as passed.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from ..errors import BackstretchError
from ..records import Citation, Passage, Reply, Status

if TYPE_CHECKING:
    from openai.types.chat import ChatCompletionMessageParam

DECLINED = "declined"  # the inferred status of a plain reply with no quotation of the article and no [n]
MARKER = re.compile(r"\[\d+\]")
MIN_QUOTE_WORDS = 4  # shorter article sentences ("Be careful.") are too common to count as a quotation
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
# A TargetReply's status may also be DECLINED or "error" (metrics.py scores both); records.Status does not list them.
_DECLINED_STATUS = cast(Status, DECLINED)
_ERROR_STATUS = cast(Status, "error")


class TargetError(BackstretchError):
    exit_code = 2


@dataclass
class TargetReply(Reply):
    """A Reply read from a chat completion; `inferred` when its status and citations come from the text alone."""

    content: str = ""  # the assistant message exactly as received
    inferred: bool = False
    extra: dict | None = field(default=None, repr=False)  # the `backstretch` field, when the target sent one


@dataclass(frozen=True)
class TargetSpec:
    url: str  # the base URL the openai client gets (ends in /v1 unless the user gave another path)
    model: str | None = None

    @property
    def label(self) -> str:
        where = urlsplit(self.url)
        return f"{self.model or '?'} @ {where.netloc or self.url}"


def parse_target(spec: str, model: str | None = None) -> TargetSpec:
    """`openai:URL` or `openai:URL#MODEL`; a URL without a path gets `/v1`. The scheme must be http(s)."""
    kind, sep, rest = spec.partition(":")
    if kind != "openai" or not sep or not rest:
        raise TargetError(f"--target takes openai:URL (an OpenAI-compatible endpoint), got {spec!r}")
    url, _, inline = rest.partition("#")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TargetError(f"--target {spec!r}: the URL must start with http:// or https:// and name a host")
    if parts.path in ("", "/"):
        url = url.rstrip("/") + "/v1"
    return TargetSpec(url.rstrip("/"), inline or model)


def _normal(text: str) -> str:
    return " ".join(text.translate(_QUOTES).split())


class ArticleQuotes:
    """The article's sentences, to find the ones a reply quotes verbatim."""

    def __init__(self, library) -> None:
        from ..knowledge.sentences import sentence_spans

        self.sentences: list[tuple[str, Passage, int, int]] = []  # (normalised text, passage, start, end)
        for passage in library.passages:
            text = library.source_text(passage.source)
            for start, end in sentence_spans(text, passage.start, passage.end):
                sentence = _normal(text[start:end])
                if len(sentence.split()) >= MIN_QUOTE_WORDS:
                    self.sentences.append((sentence, passage, start, end))

    def quoted_in(self, reply_text: str) -> list[Citation]:
        """Citations for the sentences `reply_text` contains, in the order they first appear; one per span."""
        text = _normal(reply_text)
        found: list[tuple[int, Passage, int, int]] = []
        for sentence, passage, start, end in self.sentences:
            at = text.find(sentence)
            if at >= 0:
                found.append((at, passage, start, end))
        found.sort(key=lambda f: f[0])
        seen: set[tuple[str, int, int]] = set()
        citations: list[Citation] = []
        for _, passage, start, end in found:
            if (passage.source, start, end) not in seen:
                seen.add((passage.source, start, end))
                citations.append(Citation.of(len(citations) + 1, passage, start, end))
        return citations


def read_completion(question: str, content: str, extra: dict | None, quotes: ArticleQuotes,
                    latency_ms: float) -> TargetReply:
    """One completion as a TargetReply: our `backstretch` field when present, else the documented rule."""
    if isinstance(extra, dict):
        reply = Reply.from_dict(extra)
        return TargetReply(question, reply.status, reply.answer, reply.citations, latency_ms, reply.focus,
                           reply.intent, reply.urgent, reply.backend, reply.notice, reply.options, reply.flag,
                           content=content, inferred=False, extra=extra)
    citations = quotes.quoted_in(content)
    status: Status = "answered" if citations or MARKER.search(content) else _DECLINED_STATUS
    return TargetReply(question, status, content, citations, latency_ms, backend="target", content=content,
                       inferred=True)


class OpenAITarget:
    """An answering system behind an OpenAI-compatible endpoint; `ask(question, history)` like the Assistant."""

    def __init__(self, spec: TargetSpec, library, api_key: str | None = None, timeout: float = 60.0) -> None:
        try:
            from openai import OpenAI
        except ImportError:  # pragma: no cover - openai comes with the llm extra
            raise TargetError("--target needs the openai package: pip install 'backstretch[llm]'") from None
        self.library = library
        self.quotes = ArticleQuotes(library)
        self.client = OpenAI(base_url=spec.url, api_key=api_key or "none", max_retries=1, timeout=timeout)
        self.model = spec.model or self._first_model(spec)
        self.spec = TargetSpec(spec.url, self.model)
        self.name = f"target: {self.spec.label}"
        self._asked = 0

    def _first_model(self, spec: TargetSpec) -> str:
        """The first model the endpoint lists (GET /v1/models), so `--model` is only needed to pick another."""
        import openai

        try:
            models = self.client.models.list()
        except openai.APIConnectionError as exc:
            raise TargetError(f"cannot reach {spec.url}: {exc}") from None
        except openai.APIError as exc:
            raise TargetError(f"{spec.url} does not list its models ({exc}); name one with --model") from None
        ids = [m.id for m in models.data]
        if not ids:
            raise TargetError(f"{spec.url} lists no models; name one with --model")
        return ids[0]

    @staticmethod
    def messages(question: str, history: list[Reply]) -> list[dict]:
        """The whole conversation: each earlier question and the answer the target gave (with our `backstretch`
        field when it sent one, as the API documents), then the question."""
        out: list[dict] = []
        for earlier in history:
            out.append({"role": "user", "content": earlier.question})
            message: dict[str, object] = {"role": "assistant",
                                          "content": getattr(earlier, "content", "") or earlier.answer}
            extra = getattr(earlier, "extra", None)
            if extra is not None:
                message["backstretch"] = extra
            out.append(message)
        out.append({"role": "user", "content": question})
        return out

    def ask(self, question: str, history=None) -> TargetReply:
        import openai

        began = time.perf_counter()
        try:
            # our messages are plain dicts (an assistant turn may carry the extra `backstretch` key the
            # TypedDicts do not list); the client sends them as given
            messages = cast("list[ChatCompletionMessageParam]", self.messages(question, list(history or ())))
            completion = self.client.chat.completions.create(model=self.model, messages=messages)
        except openai.APIConnectionError as exc:
            if not self._asked:
                raise TargetError(f"cannot reach {self.spec.url}: {exc}") from None
            return self._failed(question, began, str(exc))
        except openai.APIError as exc:
            return self._failed(question, began, str(exc))
        finally:
            self._asked += 1
        latency = (time.perf_counter() - began) * 1000
        content = completion.choices[0].message.content or "" if completion.choices else ""
        extra = (completion.model_extra or {}).get("backstretch")
        return read_completion(question, content, extra, self.quotes, latency)

    def _failed(self, question: str, began: float, why: str) -> TargetReply:
        """A request that failed is a reply with status `error`: its case fails, the run goes on."""
        return TargetReply(question, _ERROR_STATUS, "", [], (time.perf_counter() - began) * 1000, backend="target",
                           notice=why, inferred=True)

    def close(self) -> None:
        self.client.close()
