"""Shared fixtures: the real MiniLM model and a real embedded Chroma index, built once per session; and a
deterministic stand-in embedder (`fake_embeddings`, `fake_bot`) for tests that do not depend on MiniLM's judgement.

Every test that uses the real model (the `embeddings` or `bot` fixture) is marked `real_model`, so
`pytest -m "not real_model"` runs the rest in seconds without loading it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from assistant import Assistant, Settings  # noqa: E402
from assistant.knowledge.corpus import load_corpus  # noqa: E402
from assistant.knowledge.library import Library  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
ARTICLE = REPO / "corpus" / "000_7984092486e2ea15.txt"


@pytest.fixture(autouse=True)
def _no_user_paths(monkeypatch, tmp_path):
    """Nothing a test runs may write into the repo's data/ or the user's home."""
    monkeypatch.setenv("BACKSTRETCH_DATA_DIR", str(tmp_path / "user-data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


REAL_MODEL_FIXTURES = {"embeddings", "bot"}


def pytest_collection_modifyitems(items):
    for item in items:
        if REAL_MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.real_model)


@pytest.fixture(scope="session")
def embeddings():
    from assistant.knowledge.embeddings import SentenceEmbeddings

    return SentenceEmbeddings()


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def bot(settings, embeddings) -> Assistant:
    return Assistant.load(settings, embeddings=embeddings)


@pytest.fixture(scope="session")
def fake_embeddings():
    """Hashed bags of stemmed words: deterministic, 384-d unit vectors, no model loaded."""
    from assistant.knowledge.embeddings import HashingEmbeddings

    return HashingEmbeddings()


@pytest.fixture(scope="session")
def fake_bot(tmp_path_factory, fake_embeddings) -> Assistant:
    """The whole assistant over a real embedded Chroma index of the stand-in's vectors (its own data dir)."""
    return Assistant.load(Settings(data_dir=tmp_path_factory.mktemp("fake-data")), embeddings=fake_embeddings)


@pytest.fixture(scope="session")
def library() -> Library:
    return Library(load_corpus(REPO / "corpus"))


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A private copy of the corpus folder that a test may add to."""
    target = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus", target)
    return target


def ask_all(bot: Assistant, *turns: str):
    """Ask turns as one conversation; the last reply."""
    return bot.conversation(list(turns))[-1]


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server on a free 127.0.0.1 port for the whole session (skipped only when Debian's
    postgresql package is not installed and cannot be: `make test` installs it)."""
    from .postgres import binaries, postgres_server

    if binaries() is None:
        pytest.skip("PostgreSQL binaries not found (make postgres installs Debian's postgresql package)")
    import tempfile

    # not under pytest's temporary folder: that is private to root, and the cluster belongs to `postgres` there
    folder = Path(tempfile.mkdtemp(prefix="backstretch-pg-"))
    try:
        with postgres_server(folder) as url:
            yield url
    finally:
        shutil.rmtree(folder, ignore_errors=True)
