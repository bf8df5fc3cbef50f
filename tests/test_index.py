"""The Chroma index: idempotent by content hash, atomic on failure, clear when broken, and client/server."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from assistant import Assistant, IndexUnavailable, Settings
from assistant.knowledge.corpus import load_corpus
from assistant.knowledge.index import VectorIndex
from assistant.knowledge.ingest import add_documents, build_index
from assistant.process import free_port, running

EXTRA = ("Wall slides ease a stiff upper back. Stand with your back against a wall.\n"
         "Slide your arms up the wall slowly.\nNever force your shoulders past a comfortable range.\n")


class FailingAfter:
    """The real embedding model, made to fail after `batches` calls: an interrupted ingest."""

    def __init__(self, real, batches: int) -> None:
        self.real, self.left = real, batches

    def embed_documents(self, texts):
        if self.left <= 0:
            raise RuntimeError("embedding interrupted")
        self.left -= 1
        return self.real.embed_documents(texts)

    def embed_query(self, text):
        return self.real.embed_query(text)


def _clear_chroma_cache():
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def test_reingesting_an_unchanged_corpus_embeds_nothing(bot, settings, embeddings):
    index = VectorIndex(settings, embeddings)
    report = index.ingest(load_corpus(settings.corpus_dir))
    assert (report.embedded, report.changed) == (0, False)
    assert report.passages == len(bot.library.passages)


def test_each_vector_is_stored_with_its_passage_metadata(bot):
    stored = bot.index.stored()
    assert len(stored) == len(bot.library.passages)
    by_id = {m["passage_id"]: m for m in stored}
    for p in bot.library.passages:
        meta = by_id[p.id]
        assert (meta["section_id"], meta["kind"], meta["start"], meta["end"], meta["source"]) == \
            (p.section_id, p.kind, p.start, p.end, p.source)


def test_adding_a_document_embeds_only_its_passages(tmp_path, corpus_copy, embeddings):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus_copy)
    first = VectorIndex(settings, embeddings).ingest(load_corpus(corpus_copy))
    new = tmp_path / "wall.txt"
    new.write_text(EXTRA, encoding="utf-8")
    add_documents(settings, [new])
    second = VectorIndex(settings, embeddings).ingest(load_corpus(corpus_copy))
    assert first.embedded == first.passages
    assert second.reused == first.passages and second.embedded == second.passages - first.passages == 4
    bot = Assistant.load(settings, embeddings=embeddings)
    reply = bot.ask("How do I do wall slides?")
    assert any(c.source == "corpus/wall.txt" for c in reply.citations)


def test_an_interrupted_ingest_leaves_the_previous_index_in_use(tmp_path, corpus_copy, embeddings):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus_copy, batch_size=2)
    VectorIndex(settings, embeddings).ingest(load_corpus(corpus_copy))
    before = VectorIndex(settings, embeddings).active_name()
    (corpus_copy / "wall.txt").write_text(EXTRA, encoding="utf-8")
    with pytest.raises(RuntimeError, match="interrupted"):
        VectorIndex(settings, FailingAfter(embeddings, batches=1)).ingest(load_corpus(corpus_copy))
    index = VectorIndex(settings, embeddings)
    assert index.active_name() == before
    assert index.open().count() == 88 and index.query("foam roller", 3)
    retry = index.ingest(load_corpus(corpus_copy))
    assert retry.reused == 88 and retry.embedded == 4


def test_a_missing_index_is_a_clear_message_when_not_building(tmp_path, embeddings):
    settings = Settings(data_dir=tmp_path / "empty")
    with pytest.raises(IndexUnavailable, match="no index yet .* run `backstretch ingest`"):
        Assistant.load(settings, build=False, embeddings=embeddings)


def test_a_stale_index_is_named_as_out_of_date(tmp_path, corpus_copy, embeddings):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus_copy)
    VectorIndex(settings, embeddings).ingest(load_corpus(corpus_copy))
    (corpus_copy / "wall.txt").write_text(EXTRA, encoding="utf-8")
    with pytest.raises(IndexUnavailable, match="out of date"):
        Assistant.load(settings, build=False, embeddings=embeddings)


def test_a_corrupt_index_gives_a_clear_message_and_ingest_rebuilds_it(tmp_path, embeddings):
    settings = Settings(data_dir=tmp_path / "data")
    VectorIndex(settings, embeddings).ingest(load_corpus(settings.corpus_dir))
    _clear_chroma_cache()
    (settings.chroma_path / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    with pytest.raises(IndexUnavailable, match="backstretch ingest"):
        Assistant.load(settings, embeddings=embeddings)
    _clear_chroma_cache()
    report, moved = build_index(settings)
    assert moved and Path(moved).exists() and report.embedded == report.passages
    assert Assistant.load(settings, build=False, embeddings=embeddings).ask("How do I use a foam roller?").citations


def test_a_fresh_process_answers_from_the_snapshot_without_opening_chroma(bot, settings):
    import subprocess

    code = ("import sys; from assistant import Assistant, Settings;"
            f"bot = Assistant.load(Settings(data_dir={str(settings.data_dir)!r}));"
            "reply = bot.ask('How do I use a foam roller on my back?');"
            "print(bot.index.from_snapshot, 'chromadb' in sys.modules, len(reply.citations))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    from_snapshot, chroma_loaded, cited = out.stdout.split()
    assert (from_snapshot, chroma_loaded) == ("True", "False") and int(cited) > 0


def test_the_snapshot_holds_exactly_the_vectors_chroma_holds(bot, settings, embeddings):
    import numpy as np

    digest = bot.index.corpus_hash(bot.library.passages)
    snap = VectorIndex(settings, embeddings)
    assert snap.load_snapshot(digest)
    chroma = VectorIndex(settings, embeddings)
    chroma.open(digest)
    ids, matrix = chroma.vectors()
    assert snap.vectors()[0] == ids and np.allclose(snap.vectors()[1], matrix)


def test_a_damaged_snapshot_is_ignored_and_written_again(tmp_path, embeddings):
    settings = Settings(data_dir=tmp_path / "data")
    first = Assistant.load(settings, embeddings=embeddings)
    [path] = (settings.chroma_path / "snapshots").glob("*.npz")
    first.close()
    path.write_bytes(b"not numpy")
    again = Assistant.load(settings, embeddings=embeddings)
    assert not again.index.from_snapshot and again.ask("How do I use a foam roller?").citations
    assert VectorIndex(settings, embeddings).load_snapshot(again.index.corpus_hash(again.library.passages))


def test_switching_collections_drops_the_old_snapshot(tmp_path, corpus_copy, embeddings):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus_copy)
    Assistant.load(settings, embeddings=embeddings).close()
    [old] = (settings.chroma_path / "snapshots").glob("*.npz")
    (corpus_copy / "wall.txt").write_text(EXTRA, encoding="utf-8")
    bot = Assistant.load(settings, embeddings=embeddings)
    [new] = (settings.chroma_path / "snapshots").glob("*.npz")
    assert new != old and not old.exists()
    assert any(c.source == "corpus/wall.txt" for c in bot.ask("How do I do wall slides?").citations)


@pytest.fixture
def chroma_server(tmp_path):
    """A real `chroma run` on a free loopback port, stopped after the test."""
    exe = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert exe, "the chroma CLI ships with chromadb"
    port = free_port()
    cmd = [exe, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)]
    with running(cmd, f"http://127.0.0.1:{port}/api/v2/heartbeat", log=tmp_path / "chroma.log", timeout=60):
        yield port


@pytest.mark.server
def test_client_server_mode_ingests_and_answers_through_a_real_chroma_server(tmp_path, chroma_server, embeddings):
    settings = Settings(data_dir=tmp_path / "local", chroma_host="127.0.0.1", chroma_port=chroma_server)
    with Assistant.load(settings, embeddings=embeddings) as bot:
        assert not settings.chroma_path.exists()  # nothing was written locally
        assert bot.index.where == f"http://127.0.0.1:{chroma_server}"
        reply = bot.ask("How do I do the child's pose?")
        assert reply.status == "answered" and reply.citations[0].section_id == "childs-pose"
    index = VectorIndex(settings, embeddings)
    try:
        assert index.ingest(load_corpus(settings.corpus_dir)).embedded == 0
    finally:
        index.close()


def test_an_unreachable_server_is_a_clear_message(tmp_path, embeddings):
    settings = Settings(data_dir=tmp_path, chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(IndexUnavailable, match="cannot open the Chroma index at http://127.0.0.1"):
        Assistant.load(settings, embeddings=embeddings)
