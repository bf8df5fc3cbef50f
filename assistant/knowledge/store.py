"""The Chroma collections: one per corpus hash, a pointer collection naming the one in use (the atomic switch)."""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import IndexUnavailable
from ..records import Document, Passage
from ..settings import Settings, configure_offline

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]  # (done, total)


@dataclass(frozen=True)
class IngestReport:
    """What one ingest did: how many passages there are and how many had to be embedded."""

    passages: int
    embedded: int
    reused: int
    collection: str
    changed: bool
    seconds: float


def embed_text(p: Passage) -> str:
    """What is embedded for a passage: its section title gives the sentence its context."""
    return f"{p.section_title}: {p.text}"


def vector_id(p: Passage, model: str) -> str:
    """Content hash of everything that shapes a stored vector and its metadata."""
    key = "\x1f".join([model, p.id, embed_text(p)])
    return hashlib.sha256(key.encode()).hexdigest()[:40]


def corpus_hash(passages: list[Passage], model: str) -> str:
    """The name of a corpus as embedded by `model`: a hash of every passage's vector id."""
    ids = sorted(vector_id(p, model) for p in passages)
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]


def _metadata(p: Passage) -> dict:
    return {"passage_id": p.id, "source": p.source, "section_id": p.section_id, "section_title": p.section_title,
            "kind": p.kind, "start": p.start, "end": p.end, "order": p.order, "step": p.step or 0}


class ChromaStore:
    """Collections are named `<prefix>-<corpus hash>`; a pointer collection names the one in use.

    Embedded (`PersistentClient` under the data dir) or client/server (`HttpClient`), chosen by the settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: ClientAPI | None = None
        self._active: Collection | None = None

    # -- client ---------------------------------------------------------------------------------
    @property
    def client(self) -> ClientAPI:
        if self._client is None:
            configure_offline()
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            chroma_settings = ChromaSettings(anonymized_telemetry=False)
            try:
                if self.settings.chroma_host:  # server mode
                    self._client = chromadb.HttpClient(host=self.settings.chroma_host, port=self.settings.chroma_port,
                                                       settings=chroma_settings)
                    self._client.heartbeat()
                else:
                    self.settings.chroma_path.mkdir(parents=True, exist_ok=True)
                    self._client = chromadb.PersistentClient(path=str(self.settings.chroma_path),
                                                             settings=chroma_settings)
            except Exception as exc:  # chromadb raises many types for an unreachable or broken store
                self.close()
                raise IndexUnavailable(f"cannot open the Chroma index at {self.where}: {one_line(exc)}; "
                                       "run `backstretch ingest` to rebuild it") from None
        return self._client

    def close(self) -> None:
        """Release the client (its HTTP connections in client/server mode)."""
        client, self._client, self._active = self._client, None, None
        if client is not None and hasattr(client, "close"):
            try:
                client.close()
                # chromadb 1.5's HTTP backend keeps its httpx sessions (the client's and its admin client's)
                # open after close(); release them too
                for owner in (client, getattr(client, "_admin_client", None)):
                    session = getattr(getattr(owner, "_server", None), "_session", None)
                    if session is not None:
                        session.close()
            except Exception:  # closing must never hide the error that led here
                log.debug("closing the Chroma client failed", exc_info=True)

    @property
    def where(self) -> str:
        if self.settings.server_mode:
            return f"http://{self.settings.chroma_host}:{self.settings.chroma_port}"
        return str(self.settings.chroma_path)

    @property
    def _pointer_name(self) -> str:
        return f"{self.settings.collection}-active"

    def _collection(self, name: str, create: bool = False) -> Collection:
        if create:
            return self.client.create_collection(name, embedding_function=None,
                                                 configuration={"hnsw": {"space": "cosine"}})
        return self.client.get_collection(name, embedding_function=None)

    def active_name(self) -> tuple[str | None, str | None]:
        """(collection in use, its corpus hash), or (None, None) when nothing was ever ingested."""
        try:
            names = {c.name if hasattr(c, "name") else c for c in self.client.list_collections()}
            if self._pointer_name not in names:
                return None, None
            meta = self._collection(self._pointer_name).metadata or {}
        except IndexUnavailable:
            raise
        except Exception as exc:
            raise IndexUnavailable(f"the index at {self.where} is unreadable ({one_line(exc)}); "
                                   "run `backstretch ingest` to rebuild it") from None
        return meta.get("target"), meta.get("corpus_hash")

    # -- ingest ---------------------------------------------------------------------------------
    def ingest(self, docs: list[Document], embeddings, progress: Progress | None = None,
               on_switch: Callable[[str], None] | None = None) -> IngestReport:
        """Make the store hold exactly these documents' passages as embedded by `embeddings`, embedding only what
        is new (vectors are identified by the embedder's `model_name`, so two models' vectors never mix).

        The new collection is filled completely before the pointer is switched to it, so an interrupted ingest
        leaves the previous one in use. `on_switch(old name)` runs after a switch, before the old one is dropped."""
        began = time.perf_counter()
        model = getattr(embeddings, "model_name", None) or self.settings.embedding_model
        passages = [p for d in docs for p in d.passages]
        digest = corpus_hash(passages, model)
        target = f"{self.settings.collection}-{digest}"
        current, current_hash = self.active_name()
        if current == target and current_hash == digest and self._count(target) == len(passages):
            return IngestReport(len(passages), 0, len(passages), target, False, time.perf_counter() - began)

        wanted = {vector_id(p, model): p for p in passages}
        reuse = self._existing_vectors(current, list(wanted)) if current else {}
        try:  # a staging collection left by an interrupted ingest is never in use: start it afresh
            self.client.delete_collection(target)
        except Exception:
            pass
        staging = self._collection(target, create=True)
        todo = [vid for vid in wanted if vid not in reuse]
        done = 0
        total = len(wanted)
        if reuse:
            ids = list(reuse)
            # chromadb's Embeddings is a union of invariant lists that a list[list[float]] does not match
            staging.add(ids=ids, embeddings=[reuse[i] for i in ids], documents=[wanted[i].text for i in ids],  # type: ignore[arg-type]
                        metadatas=[_metadata(wanted[i]) for i in ids])
            done += len(ids)
            if progress:
                progress(done, total)
        size = self.settings.batch_size
        for i in range(0, len(todo), size):
            batch = todo[i:i + size]
            vectors = embeddings.embed_documents([embed_text(wanted[v]) for v in batch])
            staging.add(ids=batch, embeddings=vectors, documents=[wanted[v].text for v in batch],
                        metadatas=[_metadata(wanted[v]) for v in batch])
            done += len(batch)
            if progress:
                progress(done, total)
        if staging.count() != total:
            raise IndexUnavailable(f"ingest wrote {staging.count()} of {total} passages; the old index stays in use")
        self._point_to(target, digest, model)
        if current and current != target:
            if on_switch:
                on_switch(current)
            try:
                self.client.delete_collection(current)
            except Exception:
                log.warning("could not delete the old collection %s", current)
        self._active = None
        return IngestReport(total, len(todo), len(reuse), target, True, time.perf_counter() - began)

    def _point_to(self, target: str, digest: str, model: str) -> None:
        """The switch: one metadata write on the pointer collection."""
        meta = {"target": target, "corpus_hash": digest, "model": model}
        try:
            pointer = self._collection(self._pointer_name)
            pointer.modify(metadata=meta)
        except Exception:
            self.client.create_collection(self._pointer_name, embedding_function=None, metadata=meta)

    def _count(self, name: str) -> int:
        try:
            return self._collection(name).count()
        except Exception:
            return -1

    def _existing_vectors(self, name: str, ids: list[str]) -> dict[str, list[float]]:
        try:
            got = self._collection(name).get(ids=ids, include=["embeddings"])
        except Exception:
            return {}
        embeddings = got["embeddings"]
        assert embeddings is not None  # asked for with include
        return {i: list(map(float, e)) for i, e in zip(got["ids"], embeddings, strict=True)}

    # -- read -----------------------------------------------------------------------------------
    def open(self, expected_hash: str | None = None):
        """The collection in use; IndexUnavailable when missing, stale or unreadable."""
        if self._active is not None:
            return self._active
        name, digest = self.active_name()
        if name is None:
            raise IndexUnavailable(f"no index yet at {self.where}; run `backstretch ingest` to build it")
        if expected_hash is not None and digest != expected_hash:
            raise IndexUnavailable(f"the index at {self.where} is out of date with the corpus; "
                                   "run `backstretch ingest` to update it")
        try:
            self._active = self._collection(name)
            self._active.count()
        except Exception as exc:
            raise IndexUnavailable(f"the index at {self.where} is unreadable ({one_line(exc)}); "
                                   "run `backstretch ingest` to rebuild it") from None
        return self._active

    def vectors(self):
        """(collection name, passage ids, float32 matrix of unit vectors) of the collection in use."""
        import numpy as np

        collection = self.open()
        got = collection.get(include=["embeddings", "metadatas"])
        ids = [m["passage_id"] for m in got["metadatas"]]
        return collection.name, ids, np.asarray(got["embeddings"], dtype=np.float32)

    def query(self, vector: list[float], k: int) -> list[tuple[str, float]]:
        """(passage id, cosine similarity) of the k nearest through Chroma's own query API."""
        collection = self.open()
        k = min(k, collection.count())
        if k <= 0:
            return []
        res = collection.query(query_embeddings=[vector], n_results=k, include=["metadatas", "distances"])
        rows = zip(res["metadatas"][0], res["distances"][0], strict=True)
        return [(m["passage_id"], 1.0 - float(d)) for m, d in rows]

    def stored(self) -> list[dict]:
        """Every stored passage's metadata."""
        got = self.open().get(include=["metadatas"])
        return list(got["metadatas"])

    def reset_local(self) -> str | None:
        """Move an unreadable embedded store aside so a fresh one can be built; returns where it went."""
        if self.settings.server_mode or not self.settings.chroma_path.exists():
            return None
        from chromadb.api.client import SharedSystemClient

        aside = self.settings.chroma_path.with_name(f"chroma.broken-{int(time.time())}")
        shutil.move(str(self.settings.chroma_path), aside)
        SharedSystemClient.clear_system_cache()  # chroma keeps one client per path alive in the process
        self._client = None
        self._active = None
        return str(aside)


def one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
