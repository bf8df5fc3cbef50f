"""Dense search in memory: the nearest passages to a query vector over the collection's unit vectors."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DenseHit:
    passage_id: str
    similarity: float


class DenseSearch:
    """Unit vectors, so cosine similarity is a dot product: the same ranking Chroma's HNSW (cosine space) gives
    for a collection this small, without a round trip per question."""

    def __init__(self, ids: list[str], matrix) -> None:
        import numpy as np

        self.ids = list(ids)
        self.matrix = np.asarray(matrix, dtype=np.float32)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def dimension(self) -> int:
        return int(self.matrix.shape[1]) if self.matrix.ndim == 2 else 0

    def nearest(self, vector, k: int) -> list[DenseHit]:
        import numpy as np

        if not self.ids:
            return []
        sims = self.matrix @ np.asarray(vector, dtype=np.float32)
        k = min(k, len(self.ids))
        if k <= 0:
            return []
        if k < len(self.ids):  # the k best first (linear), then only they are sorted: not all 100,000
            best = np.argpartition(-sims, k - 1)[:k]
            top = best[np.argsort(-sims[best], kind="stable")]
        else:
            top = np.argsort(-sims, kind="stable")
        return [DenseHit(self.ids[i], float(sims[i])) for i in top]
