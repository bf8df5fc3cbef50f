"""HTTP APIs beside the page: OpenAI-compatible chat completions, plain REST `/api/ask`, and `/health`.

Presentation only, like the page: every answer comes from `Assistant.ask`/`stream`. The reply text carries its [n]
markers and a sources list (so any OpenAI client shows something useful), and the full Reply JSON travels in an
extra `backstretch` field of the completion (and of the last streamed chunk). A client that sends that field back
on the assistant message keeps the conversation's focus and red-flag state exactly; without it, the earlier user
turns are asked again (the default answerer is deterministic, and replays are cached).
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import BackstretchError, IndexUnavailable, InvalidQuestion
from ..prompts import texts as load_texts
from ..records import Reply
from .conversation import (
    ConversationError,
    HistoryItem,
    Message,
    Replayer,
    Turn,
    turns_from_history,
    turns_from_messages,
)

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000


class ApiError(Exception):
    """A request the API refuses: an HTTP status, one line naming the field or limit, OpenAI's error shape."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None,
                 kind: str = "invalid_request_error") -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code, self.kind = status, message, param, code, kind

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse(_error(self.message, self.kind, self.param, self.code), self.status, headers=headers)


def _error(message: str, kind: str, param: str | None = None, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: str | None = Field(default=None, max_length=200)
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    n: int | None = Field(default=None, ge=1, le=128)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str = Field(max_length=20_000)
    history: list[HistoryItem] = Field(default_factory=list)


# ---- the reply as an assistant message ----

def message_text(reply: Reply, t: dict) -> str:
    """The reply as one message: notice, answer with its [n] markers, options to ask, then the sources."""
    parts = [t["notice_line"].format(notice=reply.notice)] if reply.notice else []
    parts.append(reply.answer)
    parts.append(_tail(reply, t))
    return "\n\n".join(p for p in parts if p)


def _tail(reply: Reply, t: dict) -> str:
    blocks = []
    options = [o for o in reply.options if o not in reply.answer]
    if options:
        blocks.append("\n".join([t["options_header"], *(t["option_line"].format(option=o) for o in options)]))
    if reply.citations:
        lines = [t["sources_header"]]
        lines += [t["source_line"].format(n=c.n, title=c.section_title, kind=c.kind, quote=c.quote, source=c.source,
                                          start=c.start, end=c.end) for c in reply.citations]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


# ---- the app ----

class State:
    """The Assistant once loaded (None before); `/health` answers 503 until then."""

    def __init__(self, bot=None) -> None:
        self.bot = bot
        self.error: str | None = None

    def load_in_background(self, load) -> threading.Thread:
        def run() -> None:
            try:
                self.bot = load()
            except BackstretchError as exc:
                self.error = str(exc)
            except Exception as exc:  # reported by /health, never as a traceback to a client
                log.exception("loading the assistant failed")
                self.error = type(exc).__name__

        thread = threading.Thread(target=run, name="backstretch-load", daemon=True)
        thread.start()
        return thread


def build_api(state: State, settings, api_key: str | None = None, app: FastAPI | None = None) -> FastAPI:
    """The API routes on `app` (a new FastAPI app by default); with `api_key`, every route but /health needs
    `Authorization: Bearer <api_key>`."""
    t = load_texts(str(settings.prompts_dir), "api.yaml")
    model_name = settings.api_model
    replayer = Replayer()
    created = int(time.time())
    app = app or FastAPI(title="Backstretch", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json")

    @app.middleware("http")
    async def bounded_body(request: Request, call_next):
        length = request.headers.get("content-length") or ""
        ours = request.url.path.startswith(("/v1/", "/api/"))
        if ours and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return ApiError(413, t["error_too_large"].format(limit=MAX_BODY_BYTES), code="request_too_large").response()
        return await call_next(request)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError):
        return exc.response()

    @app.exception_handler(ConversationError)
    async def bad_conversation(request: Request, exc: ConversationError):
        return ApiError(400, str(exc), exc.param).response()

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        msg = err.get("msg", "invalid").replace("Input should be", "should be")
        if err.get("type") == "json_invalid":
            where, msg = "body", "is not valid JSON"
        return ApiError(400, f"{where}: {msg}", where, err.get("type")).response()

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return ApiError(404, t["error_not_found"].format(path=request.url.path), code="not_found").response()
        return ApiError(exc.status_code, str(exc.detail)).response()

    @app.exception_handler(Exception)
    async def internal(request: Request, exc: Exception):
        log.exception("API request %s failed", request.url.path)
        return ApiError(500, t["error_internal"], kind="server_error").response()

    def authorised(request: Request) -> None:
        if api_key is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), api_key.encode()):
            raise ApiError(401, t["error_unauthorized"], code="invalid_api_key")

    def ready():
        if state.bot is None:
            if state.error:
                raise ApiError(503, t["error_load_failed"].format(reason=state.error), kind="server_error")
            raise ApiError(503, t["error_not_ready"], kind="server_error", code="loading")
        return state.bot

    guarded = [Depends(authorised)]

    @app.get("/health")
    def health():
        if state.bot is not None:
            return {"status": t["health_ready"], "model": model_name, "passages": len(state.bot.library.passages)}
        status = t["health_failed"] if state.error else t["health_loading"]
        return JSONResponse({"status": status, "error": state.error}, 503)

    @app.get("/v1/models", dependencies=guarded)
    def models():
        return {"object": "list", "data": [_model_card(model_name, created)]}

    @app.get("/v1/models/{name}", dependencies=guarded)
    def model(name: str):
        if name != model_name:
            raise ApiError(404, t["error_unknown_model"].format(model=name, served=model_name), "model",
                           "model_not_found")
        return _model_card(model_name, created)

    @app.post("/api/ask", dependencies=guarded)
    def ask(body: AskRequest) -> dict:
        bot = ready()
        history = _bounded(turns_from_history(body.history, t), settings.api_max_messages, "history")
        earlier = _answer(lambda: replayer.history(bot, history), "history")
        return _answer(lambda: bot.ask(body.question, earlier), "question").to_dict()

    @app.post("/v1/chat/completions", dependencies=guarded)
    def chat(body: ChatRequest):
        if len(body.messages) > settings.api_max_messages:
            raise ApiError(400, f"messages: at most {settings.api_max_messages} messages per request "
                           f"(BACKSTRETCH_API_MAX_MESSAGES), got {len(body.messages)}", "messages", "too_many_messages")
        if body.model not in (None, model_name):
            raise ApiError(404, t["error_unknown_model"].format(model=body.model, served=model_name), "model",
                           "model_not_found")
        if body.n not in (None, 1):
            raise ApiError(400, t["error_n"].format(n=body.n), "n")
        if body.messages[-1].role != "user":
            raise ApiError(400, t["error_last_not_user"], f"messages.{len(body.messages) - 1}.role")
        turns = turns_from_messages(body.messages, t)
        if not turns:
            raise ApiError(400, t["error_no_question"], "messages")
        bot = ready()
        question = turns[-1][0]
        history = _answer(lambda: replayer.history(bot, turns[:-1]), "messages")
        param = f"messages.{len(body.messages) - 1}.content"
        ident, now = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        if not body.stream:
            reply = _answer(lambda: bot.ask(question, history), param)
            return {"id": ident, "object": "chat.completion", "created": now, "model": model_name,
                    "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                                 "message": {"role": "assistant", "content": message_text(reply, t)}}],
                    "backstretch": reply.to_dict()}
        pieces = bot.stream(question, history)
        first = _answer(lambda: next(pieces), param)  # a bad question is a 400 here, before any event is sent
        return StreamingResponse(_events(ident, now, model_name, first, pieces, t), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return app


def _model_card(name: str, created: int) -> dict:
    return {"id": name, "object": "model", "created": created, "owned_by": "backstretch"}


def _bounded(turns: list[Turn], limit: int, field: str) -> list[Turn]:
    if len(turns) > limit:
        raise ApiError(400, f"{field}: at most {limit} earlier turns (BACKSTRETCH_API_MAX_MESSAGES), got {len(turns)}",
                       field, "too_many_messages")
    return turns


def _answer(call, param: str):
    """Run one call into the Assistant; its user-facing errors become 4xx/5xx lines, never tracebacks."""
    try:
        return call()
    except InvalidQuestion as exc:
        raise ApiError(400, f"{param}: {exc}", param, "invalid_question") from None
    except IndexUnavailable as exc:
        raise ApiError(503, str(exc), kind="server_error") from None
    except BackstretchError as exc:
        raise ApiError(500, str(exc), kind="server_error") from None


def _events(ident: str, created: int, model: str, first, pieces: Iterator, t: dict) -> Iterator[str]:
    """SSE chunks as OpenAI sends them: a role delta, content deltas, the sources, a final chunk with
    finish_reason and our `backstretch` field, then `data: [DONE]`."""

    def chunk(delta: dict, finish: str | None = None, extra: dict | None = None) -> str:
        data: dict[str, Any] = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
                                "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}
        if extra is not None:
            data["backstretch"] = extra
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    sent, reply = "", None
    try:
        piece = first
        while True:
            if isinstance(piece, Reply):
                reply = piece
                break
            sent += piece
            yield chunk({"content": piece})
            piece = next(pieces)
    except Exception as exc:  # mid-stream: an error event in OpenAI's shape, then the end of the stream
        if not isinstance(exc, BackstretchError):
            log.exception("streaming an answer failed")
        message = str(exc) if isinstance(exc, BackstretchError) else t["error_internal"]
        yield f"data: {json.dumps(_error(message, 'server_error'))}\n\n"
        yield "data: [DONE]\n\n"
        return
    # The streamed pieces are the verified answer; the final Reply is what counts (a model's answer may have
    # fallen back to the extractive one), so anything it says beyond what was sent follows as one more delta.
    full = message_text(reply, t)
    if reply.notice or not full.startswith(sent):
        rest = "\n\n" + full if sent else full
    else:
        rest = full[len(sent):]
    if rest:
        yield chunk({"content": rest})
    yield chunk({}, "stop", reply.to_dict())
    yield "data: [DONE]\n\n"


def run_server(app: FastAPI, host: str, port: int, background: bool = False):
    """Serve `app` with uvicorn; `background` returns the running server (stop it with `should_exit = True`)."""
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False))
    if not background:
        server.run()
        return server
    threading.Thread(target=server.run, name="backstretch-api", daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    return server


def serve_api(settings, host: str, port: int, api_key: str | None, load) -> None:
    """The APIs alone: listening at once, `/health` 503 until `load()` has returned the Assistant."""
    state = State()
    state.load_in_background(load)
    run_server(build_api(state, settings, api_key), host, port)
