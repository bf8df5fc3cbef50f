"""The library API: `Assistant.load()` then `ask(question, history)`."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .records import Reply

if TYPE_CHECKING:
    from .settings import Settings

Progress = Callable[[int, int], None]


class Assistant:
    """Grounded answers about the back-stretch article, with verified citations."""

    def __init__(self, settings: Settings, library, index, chain) -> None:
        self.settings = settings
        self.library = library
        self.index = index
        self._chain = chain
        self._runnable = None

    @property
    def retriever(self):
        """A LangChain BaseRetriever over the same index (k, scores, a floor); LangChain loads on first use."""
        return self._chain.retriever

    @property
    def runnable(self):
        """The answer chain as a LangChain Runnable (invoke, batch, stream, astream, as_tool …); LangChain loads on
        first use, so `ask` alone never imports it."""
        if self._runnable is None:
            self._runnable = self._chain.runnable()
        return self._runnable

    @classmethod
    def load(cls, settings: Settings | None = None, *, build: bool = True, progress: Progress | None = None,
             embeddings=None, chat_model=None) -> Assistant:
        """Open the index (building or updating it first when `build` and it is missing or stale).

        With `settings.backend` ollama or openai, a chat model words the answers (`chat_model` overrides the one
        the settings describe: any LangChain chat model)."""
        from .answering.chain import AnswerChain
        from .answering.compose import Composer
        from .knowledge.corpus import load_corpus
        from .knowledge.embeddings import SentenceEmbeddings
        from .knowledge.index import VectorIndex
        from .knowledge.library import Library
        from .prompts import Prompts
        from .settings import Settings
        from .understanding.retrieval import HybridSearch

        settings = settings or Settings.from_env()
        settings.configure_logging()
        # passages are embedded by sentence-transformers (loaded only if ingest has something to embed); questions
        # by the ONNX export ingest made of the same model, chosen below (`embeddings` given: it does both)
        passages = embeddings or SentenceEmbeddings(settings.embedding_model)
        prompts = Prompts.load(settings.prompts_dir)
        library = Library(load_corpus(settings.corpus_dir))
        index = VectorIndex(settings, passages, passage_embeddings=passages)
        expected = index.corpus_hash(library.passages)
        # the snapshot must hold exactly the corpus's passages; else Chroma is opened only when something needs it
        if not index.load_snapshot(expected, ids=[p.id for p in library.passages]):
            name, digest = index.active_name()
            if name is None or digest != expected:
                if not build:
                    index.open(expected)  # raises the clear "missing" or "out of date" message
                index.ingest(library.documents, progress=progress)
            index.open(expected)
            index.vectors()
        from .understanding.triage import default_triager

        if embeddings is None:
            from .knowledge.query_encoder import query_encoder_ahead

            # the encoder opens on a thread of its own (onnxruntime holds no GIL there) while the lexicon is read
            # and spaCy builds the clinical reader (which does), so a fresh process waits for the longer, not both
            opened = query_encoder_ahead(settings, fallback=passages)
            try:
                triager = default_triager(str(settings.lexicon_dir))
                triager.warm()
            except BaseException:
                # a lexicon that will not load: the encoder's thread ends first, else onnxruntime's running thread
                # aborts the process at exit ("terminate called without an active exception") after the one-line error
                opened()
                raise
            index.embeddings = opened()
        else:
            triager = default_triager(str(settings.lexicon_dir))
        from .understanding.router import Router, RouteTable, described_thresholds

        queries = index.embeddings  # routes and descriptions are read in the same space as the questions
        cache_dir = Path(settings.data_dir) / "cache"
        least, lead, bonus = described_thresholds(str(settings.lexicon_dir))
        describer = Router(RouteTable.of_methods(library.sections, {}), queries, cache_dir)
        search = HybridSearch(library, index, candidates=settings.candidates, rrf_k=settings.rrf_k,
                              describer=describer, described=(least, lead, bonus))
        generator = None
        if settings.uses_llm or chat_model is not None:
            from .answering.chat_models import chat_model as model_for
            from .answering.generation import Generator

            generator = Generator(settings, library, chat_model if chat_model is not None else model_for(settings))
        router = Router(RouteTable.load(settings.lexicon_dir), queries, cache_dir)
        if settings.safety_net:
            from .understanding.safety_net import SafetyNet

            triager = triager.with_net(SafetyNet.load(settings.lexicon_dir, queries, cache_dir))
        chain = AnswerChain(settings, library, search, Composer(library, prompts, settings.top_k), generator,
                            triager=triager, router=router)
        if hasattr(queries, "warm"):
            queries.warm()  # the first question pays no start-up cost
        chain.warm()
        return cls(settings, library, index, chain)

    def using(self, chat_model, settings: Settings | None = None) -> Assistant:
        """The same article and index, with `chat_model` (any LangChain chat model) wording the answers."""
        from .answering.chain import AnswerChain
        from .answering.generation import Generator

        settings = settings or self.settings
        old = self._chain
        chain = AnswerChain(settings, self.library, old.search, old.composer,
                            Generator(settings, self.library, chat_model), old.triager, old.router)
        return Assistant(settings, self.library, self.index, chain)

    def close(self) -> None:
        """Release the index and, with a model backend, the model's HTTP connections."""
        if self._chain.generator is not None:
            self._chain.generator.close()
        self.index.close()

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def prompts(self):
        return self._chain.composer.p

    def ask(self, question: str, history: Sequence[Reply] | None = None) -> Reply:
        """Answer one turn; `history` holds the earlier turns, oldest first (Replies, their dicts or chat messages).

        An empty, too long or malformed question raises InvalidQuestion (checked inside the chain)."""
        began = time.perf_counter()
        # the chain itself, not its Runnable: the same Reply without LangChain's per-call callback set-up
        reply = self._chain.invoke({"question": question, "history": history})
        reply.latency_ms = (time.perf_counter() - began) * 1000
        return reply

    def stream(self, question: str, history: Sequence[Reply] | None = None) -> Iterator[str | Reply]:
        """The answer in pieces, then the Reply itself; nothing unverified is streamed.

        Extractive answers come line by line once checked; a model's answer comes sentence by sentence, each
        shown only after it passed its checks. The final Reply is what counts (it may be a fallback)."""
        began = time.perf_counter()
        for piece in self._chain.stream({"question": question, "history": history}):
            if isinstance(piece, Reply):
                piece.latency_ms = (time.perf_counter() - began) * 1000
            yield piece

    def conversation(self, questions: Sequence[str]) -> list[Reply]:
        """Ask questions as successive turns of one conversation."""
        history: list[Reply] = []
        for q in questions:
            history.append(self.ask(q, history))
        return history

