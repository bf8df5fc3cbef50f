"""Hybrid retrieval: dense MiniLM and BM25 fused by reciprocal rank, lifted to whole sections.

`HybridSearch` is what the answer chain runs; the LangChain retriever over it (`HybridRetriever`, in
`assistant.understanding.retriever`) is built only when asked for, so answering does not import LangChain."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..knowledge.index import VectorIndex
from ..knowledge.library import Library
from ..records import Passage, Section
from .lexicon import Facets, expand, facets, has_phrase, normalise

TOKEN_PATTERN = r"(?u)\b\w\w+\b"  # bm25s's own default, named so the query side provably matches the index side


@dataclass
class SectionHit:
    section: Section
    score: float
    passages: list[tuple[Passage, float]] = field(default_factory=list)  # best first
    named: bool = False


@dataclass
class Retrieval:
    """Fused passage scores, and sections ranked by them."""

    query: str
    sections: list[SectionHit]
    passage_scores: dict[str, float]
    best_similarity: float  # highest dense cosine similarity: how on-topic the question is
    facets: Facets = field(default_factory=Facets)  # what the question asks for, read once for the whole chain
    vector: list[float] | None = None  # the question's embedding, for routing without a second encode
    described: str | None = None  # the method the question describes closely enough to be lifted (never named)

    def section_ids(self) -> list[str]:
        return [h.section.id for h in self.sections]


def import_bm25s():
    """bm25s, which scores with numpy alone (csc_backend "numpy", its default); scipy, numba and jax are optional
    for it, and it would import scipy.sparse (~0.3 s in every fresh process) if it could."""
    from ..lean_imports import lean

    with lean(hidden=("scipy", "numba", "jax")):
        import bm25s
    return bm25s


class Bm25:
    """BM25 (bm25s, Snowball stemming) over each passage with its section's title, aliases and tags."""

    def __init__(self, passages: list[Passage], library: Library) -> None:
        import Stemmer

        bm25s = import_bm25s()
        from bm25s.stopwords import STOPWORDS_EN

        self._bm25s = bm25s
        self._stemmer = Stemmer.Stemmer("english")
        self._stopwords = frozenset(STOPWORDS_EN)
        self._split = re.compile(TOKEN_PATTERN).findall
        self.passages = passages
        texts = []
        for p in passages:
            s = library.section(p.section_id)
            texts.append(" ".join([p.section_title, *s.aliases, *s.tags.region, p.text]))
        self._model = bm25s.BM25()
        self._model.index(self._tokens(texts), show_progress=False)

    def _tokens(self, texts: list[str]) -> list[list[str]]:
        return self._bm25s.tokenize(texts, stopwords=list(self._stopwords), stemmer=self._stemmer,
                                    token_pattern=TOKEN_PATTERN, return_ids=False, show_progress=False)

    def query_tokens(self, query: str) -> list[str]:
        """What `_tokens` makes of one text, without bm25s's per-call progress-bar set-up (a third of a query's
        BM25 time); a test holds the two equal."""
        words = [w for w in self._split(query.lower()) if w not in self._stopwords]
        return self._stemmer.stemWords(words)

    def ranked(self, query: str, k: int) -> list[tuple[str, float]]:
        tokens = self.query_tokens(query)
        if not tokens:
            return []
        import numpy as np

        scores = np.asarray(self._model.get_scores(tokens))
        top = np.argpartition(-scores, k - 1)[:k] if 0 < k < len(scores) else np.arange(len(scores))
        order = sorted(top.tolist(), key=lambda i: (-scores[i], i))[:k]  # a full sort is O(n) Python at 100k passages
        return [(self.passages[i].id, float(scores[i])) for i in order if scores[i] > 0]


def fuse(rankings: list[list[str]], k: int) -> dict[str, float]:
    """Reciprocal rank fusion: sum of 1 / (k + rank) over the lists an item appears in."""
    fused: dict[str, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


def _says_any(question: str, words: tuple[str, ...]) -> bool:
    text = normalise(question)
    return any(has_phrase(text, w) for w in words)


@dataclass
class HybridSearch:
    """Dense and BM25 rankings fused, each hit bringing its whole section (steps, warnings, tips) with it."""

    library: Library
    index: VectorIndex
    bm25: Bm25 | None = None  # built from the library when not given
    candidates: int = 24
    rrf_k: int = 60
    describer: Any = None  # a Router over the methods' lay descriptions (None: no lift by description)
    described: tuple[float, float, float] = (1.1, 1.0, 0.0)  # least similarity, lead, bonus

    def __post_init__(self) -> None:
        if self.bm25 is None:
            self.bm25 = Bm25(self.library.passages, self.library)

    def search(self, question: str) -> Retrieval:
        query = expand(question)
        vector = self.index.embeddings.embed_query(query)
        dense = self.index.query_vector(vector, self.candidates)
        assert self.bm25 is not None
        lexical = self.bm25.ranked(query, self.candidates)
        fused = fuse([[h.passage_id for h in dense], [pid for pid, _ in lexical]], self.rrf_k)
        asked = facets(question, self.library.sections)
        named = asked.named
        by_section: dict[str, SectionHit] = {}
        for pid, score in sorted(fused.items(), key=lambda kv: -kv[1]):
            passage = self.library.passage(pid)
            if passage is None:  # the index holds a passage the corpus no longer has
                continue
            section = self.library.section(passage.section_id)
            hit = by_section.setdefault(section.id, SectionHit(section, 0.0, named=section.id in named))
            hit.passages.append((passage, score))
        for hit in by_section.values():
            top = [s for _, s in hit.passages[:3]]
            hit.score = sum(top) + (1.0 if hit.named else 0.0)
        for sid in named:  # a method named outright is in play even if no passage of it ranked
            if sid not in by_section:
                by_section[sid] = SectionHit(self.library.section(sid), 1.0, named=True)
        described = None
        if self.describer is not None and not named:  # "the one where you curl up on your back"
            nearest = self.describer.nearest(vector)
            least, lead, bonus = self.described
            if nearest and nearest[1] >= least and nearest[2] >= lead:
                described = nearest[0]
                hit = by_section.setdefault(described, SectionHit(self.library.section(described), 0.0))
                hit.score += bonus
        ranked = sorted(by_section.values(), key=lambda h: -h.score)
        first = ranked[0] if ranked else None
        if first is not None and not first.named and first.section.marks \
                and not _says_any(question, first.section.marks):
            # a variant ranked first though the question says nothing that tells it from the move it refines
            # ("arching back standing up, where do I look?" is the plain standing extension)
            base = next((i for i, h in enumerate(ranked) if h.section.id == first.section.refines), None)
            if base is not None:
                if described == first.section.id:
                    described = ranked[base].section.id
                ranked.insert(0, ranked.pop(base))
        best = max((h.similarity for h in dense), default=0.0)
        return Retrieval(question, ranked, fused, best, asked, vector, described)

    def passages(self, query: str, k: int, min_similarity: float) -> list[tuple[Passage, float]]:
        """The `k` passages with the highest fused score, best first; none when the question's best dense
        similarity to any passage is below `min_similarity` (what the LangChain retriever returns)."""
        if k <= 0:
            raise ValueError(f"k must be positive, got {k}")
        result = self.search(query)
        if result.best_similarity < min_similarity:
            return []
        out = []
        for pid, score in sorted(result.passage_scores.items(), key=lambda kv: -kv[1]):
            p = self.library.passage(pid)
            if p is None:
                continue
            out.append((p, score))
            if len(out) == k:
                break
        return out


def __getattr__(name: str):
    if name == "HybridRetriever":  # its home is the LangChain module; imported from here it still resolves
        from .retriever import HybridRetriever

        return HybridRetriever
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
