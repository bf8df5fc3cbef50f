"""The library API: `Assistant.load()` then `ask(question, history)`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from .records import Reply
from .settings import Settings

Progress = Callable[[int, int], None]


class Assistant:
    """Grounded answers about the back-stretch article, with verified citations."""

    def __init__(self, settings: Settings, library, index, chain) -> None:
        self.settings = settings
        self.library = library
        self.index = index
        self._chain = chain
        self.runnable = chain.runnable()

    @classmethod
    def load(cls, settings: Settings | None = None, *, build: bool = True, progress: Progress | None = None,
             embeddings=None) -> Assistant:
        """Open the index (building or updating it first when `build` and it is missing or stale)."""
        from .answer import Composer
        from .chain import AnswerChain
        from .corpus import load_corpus
        from .embeddings import SentenceEmbeddings
        from .index import VectorIndex
        from .library import Library
        from .prompts import Prompts
        from .retrieval import HybridRetriever

        settings = settings or Settings.from_env()
        embeddings = embeddings or SentenceEmbeddings(settings.embedding_model)
        prompts = Prompts.load(settings.prompts_dir)
        library = Library(load_corpus(settings.corpus_dir))
        index = VectorIndex(settings, embeddings)
        expected = index.corpus_hash(library.passages)
        if not index.load_snapshot(expected):  # else Chroma is opened only when something needs it
            name, digest = index.active_name()
            if name is None or digest != expected:
                if not build:
                    index.open(expected)  # raises the clear "missing" or "out of date" message
                index.ingest(library.documents, progress=progress)
            index.open(expected)
            index.vectors()
        retriever = HybridRetriever.build(library, index, candidates=settings.candidates, rrf_k=settings.rrf_k)
        chain = AnswerChain(settings, library, retriever, Composer(library, prompts, settings.top_k))
        if hasattr(embeddings, "warm"):
            embeddings.warm()  # the first question pays no start-up cost
        return cls(settings, library, index, chain)

    def close(self) -> None:
        self.index.close()

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def prompts(self):
        return self._chain.composer.p

    def ask(self, question: str, history: Sequence[Reply] | None = None) -> Reply:
        """Answer one turn; `history` holds the earlier replies of the conversation, oldest first."""
        from .validation import validate_question

        began = time.perf_counter()
        text = validate_question(question, self.settings.max_question_chars, self.prompts)
        reply: Reply = self.runnable.invoke({"question": text, "history": list(history or [])})
        reply.latency_ms = (time.perf_counter() - began) * 1000
        return reply

    def stream(self, question: str, history: Sequence[Reply] | None = None) -> Iterator[str | Reply]:
        """The verified answer in pieces (line by line), then the Reply itself; nothing unverified is streamed."""
        reply = self.ask(question, history)
        yield from reply.answer.splitlines(keepends=True)
        yield reply

    def conversation(self, questions: Sequence[str]) -> list[Reply]:
        """Ask questions as successive turns of one conversation."""
        history: list[Reply] = []
        for q in questions:
            history.append(self.ask(q, history))
        return history

