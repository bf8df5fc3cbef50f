"""LangChain's own standard suites, pointed at our retriever and embeddings (PyPI langchain-tests)."""

from __future__ import annotations

from functools import cache

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests, RetrieversIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from assistant.knowledge.embeddings import SentenceEmbeddings
from assistant.understanding.retrieval import HybridRetriever


@cache
def _loaded():
    import tempfile

    from assistant import Assistant, Settings

    return Assistant.load(Settings(data_dir=tempfile.mkdtemp(prefix="lc-standard-")))


class TestHybridRetrieverStandard(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[HybridRetriever]:
        return HybridRetriever

    @property
    def retriever_constructor_params(self) -> dict:
        bot = _loaded()
        return {"library": bot.library, "index": bot.index}

    @property
    def retriever_query_example(self) -> str:
        return "How long should I hold the child's pose?"


class _MiniLM:
    """What both embeddings suites build: our MiniLM embeddings with their defaults."""

    @property
    def embeddings_class(self) -> type[SentenceEmbeddings]:
        return SentenceEmbeddings

    @property
    def embedding_model_params(self) -> dict:
        return {}


class TestSentenceEmbeddingsUnit(_MiniLM, EmbeddingsUnitTests):
    pass


class TestSentenceEmbeddingsIntegration(_MiniLM, EmbeddingsIntegrationTests):
    pass


def test_the_retriever_orders_by_score_rejects_unknown_arguments_and_has_a_floor(bot):
    docs = bot.retriever.invoke("How long should I hold the child's pose?", k=5)
    scores = [d.metadata["score"] for d in docs]
    assert len(docs) == 5 and scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    assert bot.retriever.invoke("What is the capital of France?") == []
    with pytest.raises(ValueError, match="colour"):
        HybridRetriever(library=bot.library, index=bot.index, colour="red")
