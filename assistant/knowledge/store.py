"""The Chroma collections: one per corpus hash, a pointer collection naming the one in use (the atomic switch)."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import IndexUnavailable
from ..records import Document, Passage
from ..settings import Settings, configure_offline

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection
    from chromadb.api.types import GetResult

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]  # (done, total)
DEFAULT_PAGE = 5000  # records per add or get when the client cannot say (its limit is 5,461 on SQLite)
MAX_PAGE = 20_000  # a page of 384-d vectors stays about 30 MB, whatever a server allows


@dataclass(frozen=True)
class IngestReport:
    """What one ingest did: how many passages there are and how many had to be embedded."""

    passages: int
    embedded: int
    reused: int
    collection: str
    changed: bool
    seconds: float
    snapshot_problem: str = ""  # what was wrong with the start-up snapshot, which ingest wrote anew ("" when fine)


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
        self._copy: tempfile.TemporaryDirectory | None = None  # where a read-only index is opened from

    @property
    def read_only(self) -> bool:
        """Whether the embedded index cannot be written here (a read-only mount or files): it is then read
        through a private copy and never moved aside or changed."""
        path = self.settings.chroma_path
        return not self.settings.server_mode and path.exists() and not _writable(path)

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
                    self._client = chromadb.PersistentClient(path=str(self._local_path()), settings=chroma_settings)
            except BaseException as exc:  # chromadb raises many types for an unreachable or broken store
                if not chroma_failure(exc):
                    raise
                self.close()
                raise IndexUnavailable(f"cannot open the Chroma index at {self.where}: {one_line(exc)}; "
                                       "run `backstretch ingest` to rebuild it") from None
        return self._client

    def _local_path(self) -> Path:
        """The folder the embedded client opens: the index itself, or a private copy of it when it is read-only
        (Chroma writes to its SQLite file even to read it)."""
        path = self.settings.chroma_path
        if not path.exists() or _writable(path):
            path.mkdir(parents=True, exist_ok=True)
            return path
        self._copy = tempfile.TemporaryDirectory(prefix="backstretch-read-only-index-")
        copy = Path(self._copy.name) / "chroma"
        shutil.copytree(path, copy, ignore=shutil.ignore_patterns("snapshots"), copy_function=shutil.copyfile)
        for folder, _dirs, files in os.walk(copy):  # copytree keeps the folders' read-only modes
            os.chmod(folder, 0o700)
            for name in files:
                os.chmod(Path(folder) / name, 0o600)
        log.info("the index at %s is read-only: reading it through a copy at %s", path, copy)
        return copy

    def close(self) -> None:
        """Release the client (its HTTP connections in client/server mode) and any read-only copy."""
        client, self._client, self._active = self._client, None, None
        copy, self._copy = self._copy, None
        if copy is not None:
            from chromadb.api.client import SharedSystemClient

            SharedSystemClient.clear_system_cache()
            copy.cleanup()
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
        except BaseException as exc:
            if not chroma_failure(exc):
                raise
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
        if self._copy is not None:
            raise IndexUnavailable(f"the index at {self.where} is read-only and out of date with the corpus; "
                                   "give `backstretch ingest` write access to it (nothing was changed)")

        wanted = {vector_id(p, model): p for p in passages}
        reuse = self._existing_vectors(current, list(wanted)) if current else {}
        try:  # a staging collection left by an interrupted ingest is never in use: start it afresh
            self.client.delete_collection(target)
        except Exception:
            pass
        staging = self._collection(target, create=True)
        writer = _Writer(staging, wanted, self.page_size(), len(wanted), progress)
        for ids in _chunks(list(reuse), writer.size):
            writer.add(ids, [reuse[i] for i in ids])
        todo = [vid for vid in wanted if vid not in reuse]
        for batch in _chunks(todo, self.settings.batch_size):
            writer.add(batch, embeddings.embed_documents([embed_text(wanted[v]) for v in batch]))
        writer.flush()
        total = len(wanted)
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

    def _existing_vectors(self, name: str, ids: list[str]) -> dict:
        """id -> stored vector (a float32 row) of those of `ids` the collection holds, asked for a page at a time
        (a `get` names each id in one SQL variable: past SQLite's limit, about 32,000, one `get` of all fails)."""
        import numpy as np

        found: dict = {}
        try:
            collection = self._collection(name)
            for chunk in _chunks(ids, self.page_size()):
                got = collection.get(ids=chunk, include=["embeddings"])
                embeddings = got["embeddings"]
                assert embeddings is not None  # asked for with include
                rows = np.asarray(embeddings, dtype=np.float32)
                found.update(zip(got["ids"], rows, strict=True))
        except Exception:  # nothing reused: everything is embedded again
            log.warning("could not read the vectors of %s; embedding every passage again", name)
            return {}
        return found

    def page_size(self) -> int:
        """Records per `add` or `get`: the client's own limit (SQLite's variables per statement, embedded; the
        server's, in client/server mode)."""
        try:
            return max(1, min(int(self.client.get_max_batch_size()), MAX_PAGE))
        except IndexUnavailable:
            raise
        except Exception:
            return DEFAULT_PAGE

    def _pages(self, collection: Collection, include: list, size: int = 0) -> Iterator[GetResult]:
        """The whole collection, `size` (default `page_size`) records at a time, in Chroma's stable storage
        order."""
        size, offset = size or self.page_size(), 0
        while True:
            try:
                got = collection.get(limit=size, offset=offset, include=include)
            except BaseException as exc:
                if not chroma_failure(exc):
                    raise
                raise IndexUnavailable(f"the index at {self.where} is unreadable ({one_line(exc)}); "
                                       "run `backstretch ingest` to rebuild it") from None
            if not got["ids"]:
                return
            yield got
            offset += len(got["ids"])
            if len(got["ids"]) < size:
                return

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
        except BaseException as exc:
            if not chroma_failure(exc):
                raise
            raise IndexUnavailable(f"the index at {self.where} is unreadable ({one_line(exc)}); "
                                   "run `backstretch ingest` to rebuild it") from None
        return self._active

    def vectors(self):
        """(collection name, passage ids, float32 matrix of unit vectors) of the collection in use, read a page at a
        time into one preallocated matrix."""
        import numpy as np

        collection = self.open()
        count = collection.count()
        ids: list[str] = []
        matrix = None
        for got in self._pages(collection, ["embeddings", "metadatas"]):
            page = np.asarray(got["embeddings"], dtype=np.float32)
            if matrix is None:
                matrix = np.empty((count, page.shape[1]), dtype=np.float32)
            if len(ids) + len(page) > count:
                raise IndexUnavailable(f"the index at {self.where} changed while it was read; try again")
            matrix[len(ids):len(ids) + len(page)] = page
            ids.extend(str(m["passage_id"]) for m in got["metadatas"] or ())
        if len(ids) != count:
            raise IndexUnavailable(f"the index at {self.where} holds {count} passages but {len(ids)} were read; "
                                   "run `backstretch ingest` to rebuild it")
        return collection.name, ids, matrix if matrix is not None else np.zeros((0, 0), dtype=np.float32)

    def shape(self) -> tuple[int, int]:
        """(passages, dimensions) of the collection in use."""
        collection = self.open()
        first = next(self._pages(collection, ["embeddings"], size=1), None)
        if first is None or first["embeddings"] is None:
            return 0, 0
        return collection.count(), len(first["embeddings"][0])

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
        """Every stored passage's metadata, read a page at a time."""
        return [dict(m) for got in self._pages(self.open(), ["metadatas"]) for m in got["metadatas"] or ()]

    def reset_local(self) -> str | None:
        """Move an unreadable embedded store aside so a fresh one can be built; returns where it went (None: not
        moved: client/server mode, nothing there, or a read-only index, which is never touched)."""
        if self.settings.server_mode or not self.settings.chroma_path.exists() or self.read_only:
            return None
        from chromadb.api.client import SharedSystemClient

        aside = self.settings.chroma_path.with_name(f"chroma.broken-{int(time.time())}")
        shutil.move(str(self.settings.chroma_path), aside)
        SharedSystemClient.clear_system_cache()  # chroma keeps one client per path alive in the process
        self._client = None
        self._active = None
        return str(aside)


class _Writer:
    """Adds records to the staging collection in pages of `size` (Chroma's limit per `add`; fewer, larger adds
    are also faster: 10,000 records take half the time in pages of 5,461 as in pages of 32)."""

    def __init__(self, collection: Collection, wanted: dict[str, Passage], size: int, total: int,
                 progress: Progress | None) -> None:
        self.collection, self.wanted, self.size, self.total, self.progress = collection, wanted, size, total, progress
        self.ids: list[str] = []
        self.vectors: list = []
        self.done = 0

    def add(self, ids: list[str], vectors) -> None:
        """Take records to write; progress counts them as they are handed over (embedded or reused)."""
        self.ids.extend(ids)
        self.vectors.extend(vectors)
        while len(self.ids) >= self.size:
            self._write(self.size)
        if self.progress:
            self.progress(self.done + len(self.ids), self.total)

    def flush(self) -> None:
        while self.ids:
            self._write(self.size)

    def _write(self, n: int) -> None:
        import numpy as np

        ids, vectors = self.ids[:n], np.asarray(self.vectors[:n], dtype=np.float32)
        del self.ids[:n], self.vectors[:n]
        self.collection.add(ids=ids, embeddings=vectors, documents=[self.wanted[i].text for i in ids],
                            metadatas=[_metadata(self.wanted[i]) for i in ids])
        self.done += len(ids)


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def is_binding_panic(exc: BaseException) -> bool:
    """A Rust panic raised through Chroma's binding: `pyo3_runtime.PanicException`, which derives from
    BaseException (a malformed chroma.sqlite3 gives one). Matched by name: pyo3 makes the class at run time."""
    kind = type(exc)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"


def chroma_failure(exc: BaseException) -> bool:
    """What a broken or unreachable index can raise: any Exception, or the binding's panic; never
    KeyboardInterrupt or SystemExit."""
    return isinstance(exc, Exception) or is_binding_panic(exc)


def _writable(path: Path) -> bool:
    """Whether this process may write the index folder, its files and its sub-folders (os.access sees read-only
    mounts too, even for root)."""
    if not os.access(path, os.W_OK):
        return False
    for folder, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if d != "snapshots"]  # the start-up snapshots are not Chroma's files
        if any(not os.access(Path(folder) / n, os.W_OK) for n in (*dirs, *files)):
            return False
    return True


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
