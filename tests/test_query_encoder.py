"""The ONNX query encoder: equal to sentence-transformers on every shipped question, no torch on the question path,
and a damaged export falls back with a one-line notice until ingest rebuilds it."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant import Assistant, Settings
from assistant.evaluation import default_sets, load_cases
from assistant.knowledge.corpus import load_corpus
from assistant.knowledge.embeddings import SentenceEmbeddings
from assistant.knowledge.index import VectorIndex
from assistant.knowledge.query_encoder import OnnxQueryEncoder, export_path, query_encoder, weights_path
from assistant.understanding.retrieval import expand

from .conftest import REPO


@pytest.fixture(scope="module")
def onnx(bot, settings, embeddings) -> OnnxQueryEncoder:
    """The encoder the session index's ingest exported (the `bot` fixture built it)."""
    encoder = query_encoder(settings, fallback=embeddings)
    assert isinstance(encoder, OnnxQueryEncoder)
    return encoder


@pytest.fixture(scope="module")
def shipped_texts() -> list[str]:
    """Every question and every turn of every shipped question set."""
    cases = load_cases(default_sets(REPO / "evals"))
    return list(dict.fromkeys(turn for case in cases for turn in case.turns))


@pytest.fixture(scope="module")
def both(onnx, embeddings, shipped_texts):
    """For each shipped text and for what retrieval embeds of it: ONNX vectors (one text at a time, as questions
    are asked) and sentence-transformers' (in batches, as the reference)."""
    def encode(texts):
        return np.asarray([onnx.encode([t])[0] for t in texts]), np.asarray(embeddings.embed_documents(texts))

    return {"asked": encode(shipped_texts), "retrieved": encode([expand(t) for t in shipped_texts])}


def test_onnx_and_sentence_transformers_vectors_agree_on_every_shipped_question(both, shipped_texts):
    assert len(shipped_texts) > 300
    for ours, theirs in both.values():
        cosine = (ours * theirs).sum(axis=1)
        worst = int(cosine.argmin())
        assert cosine[worst] >= 0.9999, shipped_texts[worst]
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_dense_rankings_are_identical_with_either_encoder_but_for_ties_within_their_difference(
        bot, settings, both, shipped_texts):
    """Identical rankings, except that two passages whose similarities differ by less than the two encoders'
    vectors can move a score (twice their distance) may trade places: a near tie no float pipeline fixes."""
    digest = bot.index.corpus_hash(bot.library.passages)
    index = VectorIndex(settings, None)
    assert index.load_snapshot(digest)
    search = index._search
    ours, theirs = both["retrieved"]
    k = settings.candidates
    traded = 0
    for text, a, b in zip(shipped_texts, ours, theirs, strict=True):
        mine, other = [h.passage_id for h in search.nearest(a, k)], [h.passage_id for h in search.nearest(b, k)]
        if mine == other:
            continue
        traded += 1
        sims = dict(zip(search.ids, (search.matrix @ np.asarray(a, dtype=np.float32)).tolist(), strict=True))
        tie = 2 * float(np.linalg.norm(np.asarray(a) - np.asarray(b)))
        for x, y in zip(mine, other, strict=True):
            assert x == y or abs(sims[x] - sims[y]) <= tie, (text, x, y, sims[x] - sims[y], tie)
    assert traded <= len(shipped_texts) // 200, f"{traded} of {len(shipped_texts)} rankings differ"


def test_answering_in_a_fresh_process_imports_neither_torch_nor_sentence_transformers(bot, settings):
    code = ("import sys; from assistant import Assistant, Settings;"
            f"bot = Assistant.load(Settings(data_dir={str(settings.data_dir)!r}), build=False);"
            "reply = bot.ask('How do I use a foam roller on my back?');"
            "print(type(bot.index.embeddings).__name__, reply.status, len(reply.citations),"
            " *sorted(m for m in ('torch', 'sentence_transformers', 'transformers') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.split() == ["OnnxQueryEncoder", "answered", str(len(bot.ask(
        "How do I use a foam roller on my back?").citations))]
    assert "WARNING" not in out.stderr and "ONNX" not in out.stderr


def test_the_export_is_named_by_the_model_content_hash_and_ingest_keeps_an_intact_one(bot, settings, embeddings):
    path = export_path(settings, Path(embeddings.path))
    # the graph, its weights beside it (external data the graph names, mapped into memory when read) and the sidecar
    assert path.is_file() and path.with_suffix(".json").is_file() and weights_path(path).is_file()
    assert path.stat().st_size < 1_000_000 < weights_path(path).stat().st_size
    before = path.stat().st_mtime_ns, weights_path(path).stat().st_mtime_ns
    VectorIndex(settings, embeddings).ingest(load_corpus(settings.corpus_dir))
    assert (path.stat().st_mtime_ns, weights_path(path).stat().st_mtime_ns) == before
    assert not list(path.parent.glob("*.partial"))


def _zero_some_weights(path):
    """A megabyte of a transformer layer's weights turned to zeros: the files still load, the vectors change.
    (At the weights file's middle it would hit word-embedding rows of tokens no text here uses, and change nothing.)"""
    weights = weights_path(path)
    data = bytearray(weights.read_bytes())
    at = len(data) * 3 // 4
    data[at:at + 1_000_000] = bytes(1_000_000)
    weights.write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [
    pytest.param(lambda p: p.unlink(), id="missing"),
    pytest.param(lambda p: weights_path(p).unlink(), id="weights-missing"),
    pytest.param(lambda p: p.write_bytes(b"not an onnx model" * 100), id="garbage"),
    pytest.param(_zero_some_weights, id="weights-zeroed"),
])
def test_a_damaged_export_falls_back_with_a_one_line_notice_and_ingest_rebuilds_it(tmp_path, embeddings, caplog,
                                                                                    damage):
    settings = Settings(data_dir=tmp_path / "data")
    VectorIndex(settings, embeddings).ingest(load_corpus(settings.corpus_dir))
    path = export_path(settings, Path(embeddings.path))
    damage(path)
    with caplog.at_level(logging.WARNING, logger="assistant.knowledge.query_encoder"):
        bot = Assistant.load(settings, build=False)
    [notice] = [r.getMessage() for r in caplog.records if r.name == "assistant.knowledge.query_encoder"]
    assert "sentence-transformers" in notice and "backstretch ingest" in notice and "\n" not in notice
    assert isinstance(bot.index.embeddings, SentenceEmbeddings)
    assert bot.ask("How do I do the child's pose?").citations[0].section_id == "childs-pose"
    caplog.clear()
    VectorIndex(settings, embeddings).ingest(load_corpus(settings.corpus_dir))  # nothing to embed, export redone
    again = Assistant.load(settings, build=False)
    assert isinstance(again.index.embeddings, OnnxQueryEncoder)
    assert not [r for r in caplog.records if r.name == "assistant.knowledge.query_encoder"]
    assert again.ask("How do I do the child's pose?").answer == bot.ask("How do I do the child's pose?").answer
