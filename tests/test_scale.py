"""A corpus past SQLite's 32,766 variables per statement (defect 1 of issue 15): ingested, read back from Chroma in
pages, answered, and extended without embedding again. The stand-in embedder in 16 dimensions keeps Chroma's HNSW
build short, so the module runs in well under a minute on two cores."""

from __future__ import annotations

import shutil

import pytest

from assistant import Assistant, Settings
from assistant.evaluation.big_corpus import article, sentence, write_article
from assistant.knowledge.corpus import load_corpus, parse_text
from assistant.knowledge.embeddings import HashingEmbeddings
from assistant.knowledge.index import VectorIndex

from .conftest import REPO

BIG = 33_000  # generated passages, beside the article's 88: past SQLite's limit of 32,766 variables
ARTICLE_PASSAGES = 88


@pytest.fixture(scope="module")
def small_vectors():
    return HashingEmbeddings(dimension=16)


@pytest.fixture(scope="module")
def big(tmp_path_factory, small_vectors):
    """The shipped article and a generated one of BIG passages, ingested once; (settings, ingest report, progress
    calls)."""
    folder = tmp_path_factory.mktemp("big")
    shutil.copytree(REPO / "corpus", folder / "corpus")
    write_article(folder / "corpus", BIG)
    settings = Settings(data_dir=folder / "data", corpus_dir=folder / "corpus")
    calls: list[tuple[int, int]] = []
    index = VectorIndex(settings, small_vectors)
    report = index.ingest(load_corpus(settings.corpus_dir), progress=lambda done, total: calls.append((done, total)))
    index.close()
    return settings, report, calls


def test_the_generated_article_has_exactly_the_passages_asked_for():
    doc = parse_text(article(1234), source="corpus/900_generated.txt")
    assert len(doc.passages) == 1234 and doc.passages[0].text == sentence(0)
    assert len({p.text for p in doc.passages}) == 1234


def test_a_corpus_past_sqlites_variable_limit_ingests_with_progress(big):
    _, report, calls = big
    assert report.passages == report.embedded == BIG + ARTICLE_PASSAGES
    assert calls[-1] == (BIG + ARTICLE_PASSAGES, BIG + ARTICLE_PASSAGES) and len(calls) > 100
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_its_vectors_are_read_back_in_pages_and_it_answers(big, small_vectors):
    settings, report, _ = big
    index = VectorIndex(settings, small_vectors)
    ids, matrix = index.vectors()  # from Chroma (no snapshot yet), as a fresh `ask` or `serve` reads them
    assert not index.from_snapshot
    assert len(ids) == len(set(ids)) == matrix.shape[0] == report.passages and matrix.shape[1] == 16
    assert len(index.stored()) == report.passages
    index.close()
    bot = Assistant.load(settings, build=False, embeddings=small_vectors)  # from the snapshot that read wrote
    assert bot.index.from_snapshot and set(bot.index.vectors()[0]) == {p.id for p in bot.library.passages}
    reply = bot.ask("How do I do the child's pose?")
    assert reply.status == "answered" and reply.citations[0].section_id == "childs-pose"
    bot.close()


def test_reingesting_it_embeds_nothing_and_adding_an_article_reuses_every_vector(big, small_vectors, tmp_path):
    settings, report, _ = big
    index = VectorIndex(settings, small_vectors)
    same = index.ingest(load_corpus(settings.corpus_dir))
    index.close()
    assert (same.changed, same.embedded) == (False, 0)
    write_article(settings.corpus_dir, 30, name="901_more.txt")
    index = VectorIndex(settings, small_vectors)
    more = index.ingest(load_corpus(settings.corpus_dir))
    index.close()
    assert more.reused == report.passages and more.embedded == 30
