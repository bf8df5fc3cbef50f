"""Semantic routing on the question's MiniLM vector: is it the article's ground, a social turn, or out of scope?

Routes are data (lexicon/routes.yaml): example questions per route, embedded once and cached beside the index
by the content hash of the examples and the model. A question goes to the route whose nearest example is
closest; it leaves the article's ground only past the thresholds the file sets (chosen on evals/dev.yaml).
Hand-written rather than semantic-router itself: that library brings its own encoders and an index layer,
while this needs one matrix product on a vector we already have.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..errors import SettingsError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import ArrayLike, NDArray

    from ..knowledge.embeddings import Embedder
    from ..records import Section

log = logging.getLogger(__name__)
RouteKind = Literal["article", "social", "out_of_scope"]


@dataclass(frozen=True)
class Route:
    name: str
    kind: RouteKind
    reason: str
    examples: tuple[str, ...]
    should_match: tuple[str, ...] = ()
    should_not_match: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    """Where a question goes: the route's kind and name, its score and its lead over the article's ground."""

    kind: RouteKind
    route: str
    reason: str
    score: float
    margin: float


@dataclass(frozen=True)
class RouteTable:
    routes: tuple[Route, ...]
    thresholds: dict[str, tuple[float, float]]  # kind -> (min, margin)

    @classmethod
    def load(cls, folder: Path) -> RouteTable:
        return _load(str(Path(folder).resolve()))

    @classmethod
    def of_methods(cls, sections: Iterable[Section], thresholds: dict[str, tuple[float, float]]) -> RouteTable:
        """One route per method, its examples the sidecar's lay descriptions of it (and its title)."""
        routes = tuple(Route(s.id, "article", "", (s.title, *s.describes)) for s in sections)
        return cls(routes, thresholds)

    @property
    def digest(self) -> str:
        text = json.dumps([[r.name, list(r.examples)] for r in self.routes])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@cache
def _load(folder: str) -> RouteTable:
    import yaml

    from ..yamlfile import safe_load

    path = Path(folder) / "routes.yaml"
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SettingsError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None
    routes = []
    for name, raw in (data.get("routes") or {}).items():
        kind = raw.get("kind")
        if kind not in ("article", "social", "out_of_scope") or not raw.get("examples"):
            raise SettingsError(f"routes.yaml {name}: needs a kind (article, social, out_of_scope) and examples")
        routes.append(Route(name, kind, raw.get("reason", name if kind != "article" else ""),
                            tuple(map(str, raw["examples"])), tuple(map(str, raw.get("should_match") or ())),
                            tuple(map(str, raw.get("should_not_match") or ()))))
    if not any(r.kind == "article" for r in routes):
        raise SettingsError("routes.yaml: an `article` route is needed to measure the others against")
    thresholds = {k: (float(v["min"]), float(v["margin"])) for k, v in (data.get("decision") or {}).items()}
    return RouteTable(tuple(routes), thresholds)


@cache
def described_thresholds(folder: str) -> tuple[float, float, float]:
    """(least similarity, lead over the next method, score bonus) for a method found by its description."""

    from ..yamlfile import safe_load

    data = safe_load((Path(folder) / "routes.yaml").read_text(encoding="utf-8")) or {}
    raw = data.get("described") or {}
    return float(raw.get("min", 1.1)), float(raw.get("margin", 1.0)), float(raw.get("bonus", 0.0))


class Router:
    """The routes' example vectors in one matrix; `decide` takes a question's unit vector."""

    def __init__(self, table: RouteTable, embeddings: Embedder, cache_dir: Path | None = None) -> None:
        import numpy as np

        self.table = table
        self._embeddings = embeddings
        self._labels: list[int] = []
        texts: list[str] = []
        for i, route in enumerate(table.routes):
            texts += route.examples
            self._labels += [i] * len(route.examples)
        self._matrix = self._vectors(texts, embeddings, cache_dir)
        self._labels_arr = np.asarray(self._labels)

    def _vectors(self, texts: list[str], embeddings: Embedder, cache_dir: Path | None) -> NDArray[np.float32]:
        import numpy as np

        model = getattr(embeddings, "model_name", type(embeddings).__name__)
        key = hashlib.sha256(f"{model}\x1f{self.table.digest}".encode()).hexdigest()[:16]
        path = cache_dir / f"routes-{key}.npy" if cache_dir else None
        if path is not None and path.is_file():
            try:
                matrix = np.load(path, allow_pickle=False)
                if matrix.shape[0] == len(texts) and np.isfinite(matrix).all():
                    return matrix.astype(np.float32)
            except (OSError, ValueError) as exc:
                log.warning("ignoring the route cache %s: %s", path, exc)
        matrix = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_name(path.name + ".partial")
                with open(partial, "wb") as f:
                    np.save(f, matrix)
                os.replace(partial, path)
            except OSError as exc:
                log.warning("could not cache the route vectors at %s: %s", path, exc)
        return matrix

    def scores(self, vector: ArrayLike) -> dict[str, float]:
        """The best cosine similarity of each route's examples to the question."""
        import numpy as np

        sims = self._matrix @ np.asarray(vector, dtype=np.float32)
        best = np.full(len(self.table.routes), -1.0, dtype=np.float32)
        np.maximum.at(best, self._labels_arr, sims)
        return {r.name: float(best[i]) for i, r in enumerate(self.table.routes)}

    def nearest(self, vector: ArrayLike) -> tuple[str, float, float] | None:
        """The route nearest the question, its similarity and its lead over the next route."""
        ranked = sorted(self.scores(vector).items(), key=lambda kv: -kv[1])
        if not ranked:
            return None
        lead = ranked[0][1] - (ranked[1][1] if len(ranked) > 1 else 0.0)
        return ranked[0][0], ranked[0][1], lead

    def decide(self, vector: ArrayLike, names_method: bool = False) -> Decision:
        scores = self.scores(vector)
        routes = {r.name: r for r in self.table.routes}
        article = max(s for n, s in scores.items() if routes[n].kind == "article")
        best_name = max((n for n in scores if routes[n].kind != "article"), key=scores.__getitem__, default=None)
        if best_name is not None:
            best = routes[best_name]
            lowest, margin = self.table.thresholds.get(best.kind, (1.1, 1.0))
            if names_method and best.kind == "out_of_scope":
                lowest, margin = self.table.thresholds.get("named_method", (lowest, margin))
            lead = scores[best_name] - article
            if scores[best_name] >= lowest and lead >= margin:
                return Decision(best.kind, best.name, best.reason, scores[best_name], lead)
        return Decision("article", "article", "", article, 0.0)

    def decide_text(self, text: str, names_method: bool = False) -> Decision:
        """`decide` for a text of its own (the asking sentence of a long story): one more query embedding."""
        return self.decide(self._embeddings.embed_query(text), names_method)

    @property
    def article_sure(self) -> float:
        """A fresh question this near the article's own examples is its ground though no passage is near."""
        return self.table.thresholds.get("article_sure", (2.0, 0.0))[0]

    @property
    def article_floor(self) -> float:
        """The least article score a fresh question needs to stay on the article's ground (0: no floor)."""
        return self.table.thresholds.get("article_floor", (0.0, 0.0))[0]
