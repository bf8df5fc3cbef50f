"""Adding articles to the corpus and (re)building the index: the write side, kept apart from answering."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..errors import CorpusError, IndexUnavailable
from ..settings import Settings
from .index import IngestReport, Progress


def add_documents(settings: Settings, paths: list[Path]) -> list[str]:
    """Copy articles (and any sidecar beside each) into the corpus; all are parsed first, so a bad one adds nothing."""
    from .corpus import parse_file, sidecar_path

    for path in paths:
        if not path.is_file() or path.suffix != ".txt":
            raise CorpusError(f"not a .txt file: {path}")
        parse_file(path)
    corpus = Path(settings.corpus_dir)
    corpus.mkdir(parents=True, exist_ok=True)
    added = []
    for path in paths:
        if (corpus / path.name).exists() and (corpus / path.name).read_bytes() != path.read_bytes():
            raise CorpusError(f"{corpus / path.name} already exists with other content; rename the new file")
    for path in paths:  # the sidecar first: an article is read (and indexed) as soon as it is in the folder
        if sidecar_path(path).exists():
            copy_atomically(sidecar_path(path), corpus / sidecar_path(path).name)
        copy_atomically(path, corpus / path.name)
        added.append(path.name)
    return added


def copy_atomically(source: Path, target: Path) -> None:
    """Copy to a hidden partial file beside the target, flushed to disk, then rename it over the target: the
    corpus holds the whole file or none of it (a failed write leaves nothing that ingest would index)."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with open(source, "rb") as src, open(partial, "wb") as dst:
            shutil.copyfileobj(src, dst)
            dst.flush()
            os.fsync(dst.fileno())
        os.replace(partial, target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise CorpusError(f"could not copy {source} to {target.parent} ({exc.strerror or exc}); nothing of it "
                          "was added") from None


def build_index(settings: Settings, progress: Progress | None = None) -> tuple[IngestReport, str | None]:
    """Make the index match the corpus; an unreadable embedded index is moved aside and rebuilt."""
    from .corpus import load_corpus
    from .embeddings import SentenceEmbeddings
    from .index import VectorIndex

    docs = load_corpus(settings.corpus_dir)
    index = VectorIndex(settings, SentenceEmbeddings(settings.embedding_model))
    moved = None
    try:
        index.active_name()
    except IndexUnavailable:
        moved = index.reset_local()
        if moved is None:
            raise
    return index.ingest(docs, progress=progress), moved
