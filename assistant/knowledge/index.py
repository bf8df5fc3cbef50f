"""The vector index the rest of the code talks to: a thin facade over the Chroma store, the start-up snapshot and
the in-memory dense search (one module each), plus the query encoder exported beside the collection at ingest."""

from __future__ import annotations

import logging
from dataclasses import replace

from ..errors import IndexUnavailable
from ..records import Document, Passage
from ..settings import Settings
from .search import DenseHit, DenseSearch
from .snapshot import Snapshots, snapshot_dir
from .store import ChromaStore, IngestReport, Progress, corpus_hash, embed_text, vector_id

__all__ = ["DenseHit", "IngestReport", "Progress", "VectorIndex", "embed_text", "snapshot_dir", "vector_id"]

log = logging.getLogger(__name__)


class VectorIndex:
    """Collections are named `<prefix>-<corpus hash>`; a pointer collection names the one in use.

    `embeddings` embeds questions (and passages, unless `passage_embeddings` is given: then those embed the
    passages at ingest, as sentence-transformers does while questions go through the ONNX encoder)."""

    def __init__(self, settings: Settings, embeddings, passage_embeddings=None) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.passage_embeddings = passage_embeddings if passage_embeddings is not None else embeddings
        self.store = ChromaStore(settings)
        self.snapshots = Snapshots(settings)
        self._search: DenseSearch | None = None
        self.from_snapshot = False  # whether the vectors in memory came from the start-up snapshot

    @property
    def model_name(self) -> str:
        """The model whose vectors the collection holds: part of every vector id and so of the corpus hash."""
        return getattr(self.passage_embeddings, "model_name", None) or self.settings.embedding_model

    # -- the store ------------------------------------------------------------------------------
    @property
    def client(self):
        return self.store.client

    @property
    def where(self) -> str:
        return self.store.where

    def close(self) -> None:
        """Release the client (its HTTP connections in client/server mode) and the vectors in memory."""
        self.store.close()
        self._search = None
        self.from_snapshot = False

    def active_name(self) -> tuple[str | None, str | None]:
        """(collection in use, its corpus hash), or (None, None) when nothing was ever ingested."""
        return self.store.active_name()

    def corpus_hash(self, passages: list[Passage]) -> str:
        return corpus_hash(passages, self.model_name)

    def open(self, expected_hash: str | None = None):
        """The collection in use; IndexUnavailable when missing, stale or unreadable."""
        return self.store.open(expected_hash)

    def stored(self) -> list[dict]:
        """Every stored passage's metadata (for checks and for BM25 over what the index holds)."""
        return self.store.stored()

    def reset_local(self) -> str | None:
        """Move an unreadable embedded index aside so a fresh one can be built; returns where it went."""
        moved = self.store.reset_local()
        if moved is not None:
            self._search = None
            self.from_snapshot = False
        return moved

    # -- ingest ---------------------------------------------------------------------------------
    def ingest(self, docs: list[Document], progress: Progress | None = None) -> IngestReport:
        """Make the index hold exactly these documents' passages, embedding only what is new; then make sure the
        ONNX query encoder for the model is exported beside it (once per model, see `query_encoder`)."""
        from .query_encoder import ensure_exported

        report = self.store.ingest(docs, self.passage_embeddings, progress, on_switch=self.snapshots.drop)
        if report.changed:
            self._search = None
            self.from_snapshot = False
        ensure_exported(self.settings, self.passage_embeddings)
        problem = self.check_snapshot()
        return replace(report, snapshot_problem=problem) if problem else report

    def check_snapshot(self) -> str:
        """Hold the snapshot of the collection in use against the collection (its passages' number, their vectors'
        dimension, finite non-zero vectors); a bad one is written anew from Chroma. What was wrong, or ""."""
        from .snapshot import SnapshotError

        name, _ = self.store.active_name()
        path = self.snapshots.path(name) if name is not None else None
        if name is None or path is None or not path.is_file():  # none to check (client/server mode keeps none)
            return ""
        count, dimension = self.store.shape()
        try:
            self.snapshots.read(name, count=count, dimension=dimension)
        except SnapshotError as exc:
            self.snapshots.drop(name)
            self._search = None
            self.from_snapshot = False
            self.vectors()  # read from Chroma; writes the snapshot again
            return f"{path}: {exc}"
        return ""

    # -- vectors in memory ----------------------------------------------------------------------
    def vectors(self):
        """(passage ids, unit vectors) of the collection in use, read from Chroma once and kept in memory.

        An embedded index also keeps them in a snapshot file beside Chroma's own, named by the collection
        (whose name is the content hash of every passage and the model), so a fresh process can answer
        without importing chromadb at all; see `load_snapshot`."""
        if self._search is None:
            name, ids, matrix = self.store.vectors()
            self._search = DenseSearch(ids, matrix)
            self.snapshots.write(name, ids, matrix)
        return self._search.ids, self._search.matrix

    def load_snapshot(self, digest: str, ids: list[str] | None = None) -> bool:
        """Take the vectors of the collection for `digest` from its snapshot, without opening Chroma; `ids` are the
        corpus's passages, which the snapshot must hold exactly.

        False when there is no usable snapshot (then the caller goes through Chroma, which writes one)."""
        got = self.snapshots.load(f"{self.settings.collection}-{digest}", ids=ids)
        if got is None:
            return False
        self._search = DenseSearch(*got)
        self.from_snapshot = True
        return True

    def query(self, text: str, k: int) -> list[DenseHit]:
        """Nearest passages by cosine similarity, over the in-memory copy of the collection's vectors."""
        return self.query_vector(self.embeddings.embed_query(text), k)

    def query_vector(self, vector, k: int) -> list[DenseHit]:
        """`query` for a question already embedded (the router reads the same vector)."""
        self.vectors()
        assert self._search is not None
        if not len(self._search):
            return []
        if len(vector) != self._search.dimension:
            self._mismatch(len(vector))
        return self._search.nearest(vector, k)

    def _mismatch(self, dimension: int) -> None:
        """A question's vector and the vectors in memory differ in dimension. From the snapshot: the snapshot is
        wrong, so it is dropped and the vectors read from Chroma (which writes it anew). From Chroma: the index
        was built by another model than the one embedding questions, which only ingest can mend."""
        held = self._search.dimension if self._search is not None else 0
        if self.from_snapshot:
            name, _ = self.store.active_name()
            log.warning("ignoring the index snapshot of %s: vectors of %d dimensions, questions have %d",
                        name, held, dimension)
            if name is not None:
                self.snapshots.drop(name)
            self._search = None
            self.from_snapshot = False
            self.vectors()
            assert self._search is not None
            held = self._search.dimension
        if held != dimension:
            raise IndexUnavailable(f"the index at {self.where} holds vectors of {held} dimensions but questions "
                                   f"are embedded in {dimension}; run `backstretch ingest` to rebuild it")

    def query_chroma(self, text: str, k: int) -> list[DenseHit]:
        """The same search through Chroma's own query API (used to check the in-memory search agrees)."""
        self.open()
        return [DenseHit(pid, sim) for pid, sim in self.store.query(self.embeddings.embed_query(text), k)]
