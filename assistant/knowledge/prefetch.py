"""A question's encoder passes started early, on a thread of their own, while the clinical reader reads it.

The chain knows the text it will embed (the spelling-corrected question, and its region-expanded form for
retrieval) before triage begins; the clinical reader (spaCy, holding the GIL) then takes about a third of a pass,
and onnxruntime runs without the GIL. So when the encoder is idle the passes are started at once and their
results taken by whichever reader asks for that text first: the same computation, on another thread, finished
sooner. When the encoder is busy (a server under load) nothing is started, so no pass that might turn out
unneeded (a question the lexicon refers) takes a core from a question that needs it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class Prefetcher:
    """At most `limit` passes waiting or running ahead, each kept until its text is asked for or a later
    prefetch finds it finished and unclaimed (its question needed no embedding)."""

    def __init__(self, run: Callable[[str], Any], limit: int = 2) -> None:
        self._run = run
        self._limit = limit
        self._pending: dict[str, Future] = {}
        self._active = 0  # passes running now, ahead or not
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None

    def running(self) -> _Active:
        """A context for one pass of the encoder, so that `start` can tell whether it is idle."""
        return _Active(self)

    def start(self, texts: list[str]) -> bool:
        """Begin the passes for `texts` if the encoder is idle (else nothing); whether they were started."""
        with self._lock:
            for text, future in list(self._pending.items()):
                if future.done():  # a question that never asked for its vector
                    del self._pending[text]
            wanted = [t for t in dict.fromkeys(texts) if t not in self._pending][: self._limit]
            if self._active or self._pending or not wanted:
                return False
            if self._pool is None:
                self._pool = ThreadPoolExecutor(1, thread_name_prefix="backstretch-prefetch")
            for text in wanted:
                self._pending[text] = self._pool.submit(self._run, text)
            return True

    def take(self, text: str) -> Any | None:
        """The result of the pass started for `text` (waiting for it if it is still running), or None."""
        with self._lock:
            future = self._pending.pop(text, None)
        return None if future is None else future.result()

    def forget(self) -> None:
        with self._lock:
            self._pending.clear()


class _Active:
    def __init__(self, owner: Prefetcher) -> None:
        self.owner = owner

    def __enter__(self) -> None:
        with self.owner._lock:
            self.owner._active += 1

    def __exit__(self, *exc: object) -> None:
        with self.owner._lock:
            self.owner._active -= 1
