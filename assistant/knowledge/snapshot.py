"""The start-up snapshot: a collection's vectors in one .npz beside Chroma's files, so a fresh process needs no chroma.

Named by the collection, whose name is the content hash of every passage and the model; written atomically (a
partial file, then `os.replace`), so a reader sees the whole file or none; dropped when ingest switches away."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..settings import Settings

log = logging.getLogger(__name__)


def snapshot_dir(settings: Settings) -> Path | None:
    """Where an embedded index keeps its start-up snapshots; None in client/server mode, where the server is
    the only truth and nothing is kept locally."""
    return None if settings.server_mode else Path(settings.chroma_path) / "snapshots"


class Snapshots:
    """Read, write and drop the snapshot of a named collection."""

    def __init__(self, settings: Settings) -> None:
        self.folder = snapshot_dir(settings)

    def path(self, name: str) -> Path | None:
        return self.folder / f"{name}.npz" if self.folder else None

    def load(self, name: str, ids: list[str] | None = None):
        """(passage ids, float32 matrix) from the snapshot of collection `name`, or None when there is no usable
        one. A bad snapshot is only a slower start: it is dropped with a warning and Chroma writes it anew.

        `ids`, when given, are the passages the collection holds (the corpus's): the snapshot must hold exactly
        those."""
        try:
            return self.read(name, ids=ids)
        except SnapshotError as exc:
            log.warning("ignoring the index snapshot %s: %s", self.path(name), exc)
            self.drop(name)
            return None

    def read(self, name: str, *, ids: list[str] | None = None, count: int | None = None,
             dimension: int | None = None):
        """(passage ids, matrix) of the snapshot, None when there is none; SnapshotError when it is unreadable,
        holds other passages than `ids` or another number than `count`, vectors of another `dimension`, or
        vectors that are not finite or have no length."""
        path = self.path(name)
        if path is None or not path.is_file():
            return None
        import numpy as np

        try:
            with np.load(path, allow_pickle=False) as data:
                found = [str(i) for i in data["ids"]]
                matrix = np.asarray(data["vectors"], dtype=np.float32)
        except Exception as exc:  # numpy raises many types for a damaged file
            raise SnapshotError(f"unreadable ({_one_line(exc)})") from None
        if matrix.ndim != 2 or matrix.shape[0] != len(found):
            raise SnapshotError(f"{matrix.shape[0] if matrix.ndim else 0} vectors for {len(found)} ids")
        if len(set(found)) != len(found):
            raise SnapshotError("the same passage twice")
        if count is not None and len(found) != count:
            raise SnapshotError(f"{len(found)} passages where the index holds {count}")
        if ids is not None and (len(found) != len(ids) or set(found) != set(ids)):
            raise SnapshotError(f"{len(found)} passages that are not the corpus's {len(ids)}")
        if dimension is not None and matrix.shape[1] != dimension:
            raise SnapshotError(f"vectors of {matrix.shape[1]} dimensions where the index's have {dimension}")
        if not np.isfinite(matrix).all():
            raise SnapshotError("vectors that are not finite numbers")
        if len(found) and not (np.linalg.norm(matrix, axis=1) > 1e-6).all():
            raise SnapshotError("vectors of zero length")
        return found, matrix

    def write(self, name: str, ids: list[str], matrix) -> None:
        """Keep the vectors of collection `name` (once: a snapshot is never rewritten under the same name)."""
        path = self.path(name)
        if path is None or path.is_file() or not _may_write(path.parent):
            return
        import numpy as np

        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "wb") as f:
                np.savez(f, ids=np.asarray(ids, dtype=str), vectors=matrix)
                f.flush()
                os.fsync(f.fileno())
            os.replace(partial, path)  # readers see the whole file or none
        except OSError as exc:
            log.warning("could not write the index snapshot %s: %s", path, _one_line(exc))
            partial.unlink(missing_ok=True)

    def drop(self, name: str) -> None:
        path = self.path(name)
        if path is not None:
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:  # a read-only index: the snapshot stays, and is checked at every start
                log.debug("could not drop the index snapshot %s: %s", path, exc)


class SnapshotError(ValueError):
    """Why a snapshot cannot be used (one line)."""


def _may_write(folder: Path) -> bool:
    """Whether the snapshot folder (or the nearest folder that exists above it) can be written: a read-only index
    keeps no snapshot, quietly."""
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return os.access(folder, os.W_OK)


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
