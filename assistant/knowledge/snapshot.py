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

    def load(self, name: str):
        """(passage ids, float32 matrix) from the snapshot of collection `name`, or None when there is no usable
        one. A damaged snapshot is only a slower start: it is dropped with a warning and Chroma writes it anew."""
        path = self.path(name)
        if path is None or not path.is_file():
            return None
        try:
            import numpy as np

            with np.load(path, allow_pickle=False) as data:
                ids = [str(i) for i in data["ids"]]
                matrix = np.asarray(data["vectors"], dtype=np.float32)
            if matrix.ndim != 2 or matrix.shape[0] != len(ids):
                raise ValueError(f"{matrix.shape[0]} vectors for {len(ids)} ids")
        except Exception as exc:
            log.warning("ignoring the index snapshot %s: %s", path, _one_line(exc))
            path.unlink(missing_ok=True)
            return None
        return ids, matrix

    def write(self, name: str, ids: list[str], matrix) -> None:
        """Keep the vectors of collection `name` (once: a snapshot is never rewritten under the same name)."""
        path = self.path(name)
        if path is None or path.is_file():
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
            path.unlink(missing_ok=True)


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]
