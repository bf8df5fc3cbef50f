"""A small chat server for tests: OpenAI's /v1/chat/completions (JSON or SSE streaming) and Ollama's
/api/chat (NDJSON streaming).

It answers with whatever `script(passages, messages)` returns for the request; `passages` are the numbered
passages parsed back out of the prompt, so a script can write answers that cite them. A script may return
`Delay(seconds, text)` to answer late (a timeout on the client's side).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_PASSAGE = re.compile(r"^\[(\d+)\] \((\w+), ([^)]*)\) (.*)$", re.M)


@dataclass
class Passage:
    n: int
    kind: str
    title: str
    quote: str


@dataclass
class Delay:
    seconds: float
    text: str = ""


Script = Callable[[list[Passage], list[dict]], "str | Delay"]


def passages_in(messages: list[dict]) -> list[Passage]:
    text = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
    return [Passage(int(n), kind, title, quote) for n, kind, title, quote in _PASSAGE.findall(text)]


class OpenAIStub:
    """Start with `with OpenAIStub(script) as stub:`; `stub.base_url` goes to ChatOpenAI; `stub.requests` logs."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.requests: list[dict] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                ollama = self.path == "/api/chat"
                if not (ollama or self.path.endswith("/chat/completions")):
                    self._send(404, {"error": {"message": "not found"}})
                    return
                stub.requests.append(body)
                answer = stub.script(passages_in(body.get("messages", [])), body.get("messages", []))
                if isinstance(answer, Delay):
                    time.sleep(answer.seconds)
                    answer = answer.text
                if ollama:
                    self._ollama(body.get("model", "stub"), answer, body.get("stream", True))
                elif body.get("stream"):
                    self._stream(body.get("model", "stub"), answer)
                else:
                    self._send(200, _completion(body.get("model", "stub"), answer))

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, model: str, answer: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                pieces = re.findall(r"\S+\s*|\s+", answer)  # word by word, as a model streams tokens
                for i, piece in enumerate(pieces):
                    delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
                    self._event(_chunk(model, delta, None))
                self._event(_chunk(model, {}, "stop"))
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def _ollama(self, model: str, answer: str, stream: bool) -> None:
                """Ollama's /api/chat: one JSON object per line while streaming, `done` on the last."""
                stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ")
                pieces = re.findall(r"\S+\s*|\s+", answer) if stream else [answer]
                lines = [{"model": model, "created_at": stamp, "message": {"role": "assistant", "content": p},
                          "done": False} for p in pieces]
                lines.append({"model": model, "created_at": stamp, "message": {"role": "assistant", "content": ""},
                              "done": True, "done_reason": "stop"})
                if not stream:
                    lines = [{**lines[-1], "message": {"role": "assistant", "content": answer}}]
                data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _event(self, payload: dict) -> None:
                self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.root = f"http://127.0.0.1:{self.server.server_address[1]}"  # Ollama's base URL
        self.base_url = self.root + "/v1"  # OpenAI's
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> OpenAIStub:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


def _completion(model: str, text: str) -> dict:
    return {"id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


def _chunk(model: str, delta: dict, finish: str | None) -> dict:
    return {"id": "chatcmpl-stub", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
