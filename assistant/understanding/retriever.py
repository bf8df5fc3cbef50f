"""The hybrid search as a LangChain retriever: `invoke(question, k=…)` gives the best-scored passages as Documents.

Kept apart from `retrieval.py` because importing LangChain's retriever classes (its callbacks, tracers and
langsmith) costs about a second: the answer chain runs `HybridSearch` itself, and this wrapper is built only for
callers who ask for `Assistant.retriever`."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, PrivateAttr, model_validator

from ..knowledge.embeddings import register_with_langchain
from ..knowledge.index import VectorIndex
from ..knowledge.library import Library
from .retrieval import Bm25, HybridSearch, Retrieval

register_with_langchain()  # LangChain is loaded now: the embeddings are its `Embeddings` too


class HybridRetriever(BaseRetriever):
    """LangChain retriever: each hit brings its whole section (steps, warnings, tips) with it."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")  # an unknown argument is named, not dropped

    library: Library
    index: VectorIndex
    bm25: Bm25 | None = None  # built from the library when not given
    k: int = Field(default=4, gt=0, description="Documents returned by invoke (also per call: invoke(q, k=2)).")
    min_similarity: float = Field(default=0.3, ge=0, le=1, description="Relevance floor: no documents when the "
                                  "question's best dense similarity to any passage is below it.")
    candidates: int = 24
    rrf_k: int = 60
    max_sections: int = 3
    describer: Any = None  # a Router over the methods' lay descriptions (None: no lift by description)
    described: tuple[float, float, float] = (1.1, 1.0, 0.0)  # least similarity, lead, bonus
    _search: HybridSearch | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _searching(self) -> HybridRetriever:
        self._search = HybridSearch(self.library, self.index, self.bm25, self.candidates, self.rrf_k, self.describer,
                                    self.described)
        self.bm25 = self._search.bm25
        return self

    @classmethod
    def build(cls, library: Library, index: VectorIndex, **kw) -> HybridRetriever:
        return cls(library=library, index=index, **kw)

    @classmethod
    def over(cls, search: HybridSearch, **kw) -> HybridRetriever:
        """The retriever over an existing search (its BM25 index, parameters and describer shared)."""
        return cls(library=search.library, index=search.index, bm25=search.bm25, candidates=search.candidates,
                   rrf_k=search.rrf_k, describer=search.describer, described=search.described, **kw)

    @property
    def searcher(self) -> HybridSearch:
        assert self._search is not None
        return self._search

    def search(self, question: str) -> Retrieval:
        return self.searcher.search(question)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None) -> list[LCDocument]:
        """The `k` passages with the highest fused score (score in metadata), none below the relevance floor."""
        found = self.searcher.passages(query, self.k if k is None else k, self.min_similarity)
        return [LCDocument(page_content=p.text, id=p.id, metadata={
            "section_id": p.section_id, "section_title": p.section_title, "kind": p.kind,
            "source": p.source, "start": p.start, "end": p.end, "score": score,
        }) for p, score in found]
