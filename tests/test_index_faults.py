"""The index's faults from the probe of issue 15, kept as tests: a write that fails while an article is copied into
the corpus (defect 5), a chroma.sqlite3 that makes Chroma's Rust binding panic (6), a read-only but healthy index
(7) and a start-up snapshot that is valid .npz but wrong (11)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from assistant import Assistant, IndexUnavailable, Settings
from assistant.evaluation.big_corpus import write_article
from assistant.interfaces.cli import main
from assistant.knowledge.corpus import load_corpus
from assistant.knowledge.index import VectorIndex
from assistant.knowledge.store import is_binding_panic

CHILD = "How do I do the child's pose?"


def one_line(text: str) -> bool:
    return text.strip().count("\n") == 0 and "Traceback" not in text


def _clear_chroma_cache() -> None:
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


# ---- defect 5: the copy into the corpus ----

def test_a_write_that_fails_while_an_article_is_copied_leaves_nothing_in_the_corpus(tmp_path, corpus_copy):
    article = write_article(tmp_path / "new", 600)
    blocks = article.stat().st_size // 2 // 512  # every write past half the article fails (EFBIG), as on a full disk
    before = sorted(p.name for p in corpus_copy.iterdir())
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, "-m", "assistant", "--data-dir", str(tmp_path / "data"), "--corpus-dir", str(corpus_copy),
           "ingest", str(article)]
    proc = subprocess.run(["sh", "-c", f'ulimit -f {blocks} && exec "$@"', "sh", *cmd],  # sh counts 512-byte blocks
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 1 and one_line(proc.stderr), proc.stderr[-2000:]
    assert "could not copy" in proc.stderr and "nothing of it was added" in proc.stderr
    assert sorted(p.name for p in corpus_copy.iterdir()) == before  # no truncated copy, no partial file
    assert not (tmp_path / "data" / "chroma").exists()  # and nothing was indexed


def test_an_article_copied_into_the_corpus_is_whole(tmp_path, corpus_copy):
    from assistant.knowledge.ingest import add_documents

    article = write_article(tmp_path / "new", 600)
    assert add_documents(Settings(data_dir=tmp_path / "d", corpus_dir=corpus_copy), [article]) == [article.name]
    assert (corpus_copy / article.name).read_bytes() == article.read_bytes()
    assert not [p for p in corpus_copy.iterdir() if p.name.startswith(".")]


# ---- defect 6: a Rust panic from a malformed chroma.sqlite3 ----

def _panicking_index(settings: Settings, embeddings) -> None:
    """A real index whose collections row Chroma's binding cannot decode: reading it panics (PanicException)."""
    VectorIndex(settings, embeddings).ingest(load_corpus(settings.corpus_dir))
    _clear_chroma_cache()
    with sqlite3.connect(settings.chroma_path / "chroma.sqlite3") as db:
        db.execute("UPDATE collections SET dimension = 'not a number'")
    db.close()


def test_the_malformation_used_here_really_panics_in_chroma(tmp_path, fake_embeddings):
    import chromadb

    settings = Settings(data_dir=tmp_path / "data")
    _panicking_index(settings, fake_embeddings)
    with pytest.raises(BaseException) as raw:  # noqa: PT011 (what Chroma raises is the point)
        chromadb.PersistentClient(path=str(settings.chroma_path)).list_collections()
    assert is_binding_panic(raw.value) and not isinstance(raw.value, Exception)
    _clear_chroma_cache()


def test_an_index_that_panics_chroma_is_one_line_then_moved_aside_and_rebuilt(tmp_path, fake_embeddings, embeddings):
    settings = Settings(data_dir=tmp_path / "data")
    _panicking_index(settings, fake_embeddings)
    with pytest.raises(IndexUnavailable, match="unreadable .* run `backstretch ingest`"):
        Assistant.load(settings, build=False, embeddings=fake_embeddings)
    _clear_chroma_cache()
    asked = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "ask", CHILD], catch_exceptions=False)
    assert asked.exit_code == 1 and one_line(asked.stderr) and "backstretch ingest" in asked.stderr
    _clear_chroma_cache()
    result = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "ingest"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "unreadable and was moved to" in result.stderr and "88 passages in the index" in result.stdout
    assert list(settings.chroma_path.parent.glob("chroma.broken-*"))
    reply = Assistant.load(settings, build=False, embeddings=embeddings).ask(CHILD)
    assert reply.status == "answered" and reply.citations[0].section_id == "childs-pose"


# ---- defect 7 (the index part): a read-only but healthy index ----

def _can_mount_read_only(tmp_path: Path) -> bool:
    probe = tmp_path / "mount-probe"
    probe.mkdir()
    script = f"mount --bind {probe} {probe} && mount -o remount,ro,bind {probe} {probe} && ! touch {probe}/x"
    return shutil.which("unshare") is not None and subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script], capture_output=True).returncode == 0


def _read_only(folder: Path, *cmd: str) -> subprocess.CompletedProcess:
    """Run `cmd` in a mount namespace of its own where `folder` is a read-only bind mount (even root cannot write
    there); nothing outside that process sees the mount. Its temporary files (the index's private copy) go beside
    the folder, inside the test's own."""
    script = f'mount --bind "{folder}" "{folder}" && mount -o remount,ro,bind "{folder}" "{folder}" && exec "$@"'
    tmp = folder.parent / "tmp"
    tmp.mkdir(exist_ok=True)
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", *cmd],
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "TMPDIR": str(tmp)})


def test_a_read_only_healthy_index_answers_and_ingest_leaves_it_in_place(tmp_path, settings, bot):
    if not _can_mount_read_only(tmp_path):
        pytest.skip("no mount namespace here (unshare and mount need root)")
    data = tmp_path / "data"
    shutil.copytree(settings.data_dir, data, ignore=shutil.ignore_patterns("snapshots"))  # answers go through Chroma
    chroma = data / "chroma"
    files = sorted(str(p.relative_to(chroma)) for p in chroma.rglob("*"))
    cli = [sys.executable, "-m", "assistant", "--data-dir", str(data)]
    asked = _read_only(chroma, *cli, "ask", "--json", CHILD)
    assert asked.returncode == 0, asked.stderr[-2000:]
    assert '"status": "answered"' in asked.stdout and "childs-pose" in asked.stdout
    ingested = _read_only(chroma, *cli, "ingest")
    assert ingested.returncode == 0 and "Traceback" not in ingested.stderr, ingested.stderr[-2000:]
    assert "0 embedded" in ingested.stdout and "moved" not in ingested.stderr
    assert sorted(str(p.relative_to(chroma)) for p in chroma.rglob("*")) == files  # not moved, nothing written
    assert not list(data.glob("chroma.broken-*"))


def test_a_read_only_index_that_is_out_of_date_is_one_line_and_left_alone(tmp_path, settings, bot):
    if not _can_mount_read_only(tmp_path):
        pytest.skip("no mount namespace here (unshare and mount need root)")
    data, corpus = tmp_path / "data", tmp_path / "corpus"
    shutil.copytree(settings.data_dir, data)
    shutil.copytree(settings.corpus_dir, corpus)
    write_article(corpus, 20)
    chroma = data / "chroma"
    files = sorted(str(p.relative_to(chroma)) for p in chroma.rglob("*"))
    result = _read_only(chroma, sys.executable, "-m", "assistant", "--data-dir", str(data), "--corpus-dir",
                        str(corpus), "ingest")
    assert result.returncode == 1 and one_line(result.stderr), result.stderr[-2000:]
    assert "read-only" in result.stderr and "nothing was changed" in result.stderr
    assert sorted(str(p.relative_to(chroma)) for p in chroma.rglob("*")) == files


# ---- defect 11: the start-up snapshot is checked, not trusted ----

@pytest.fixture
def snapshotted(tmp_path, fake_embeddings):
    """A fresh data dir whose index and snapshot were built by the stand-in embedder; (settings, snapshot path)."""
    settings = Settings(data_dir=tmp_path / "data")
    Assistant.load(settings, embeddings=fake_embeddings).close()
    [path] = (settings.chroma_path / "snapshots").glob("*.npz")
    return settings, path


def _rewrite(path: Path, change) -> None:
    with np.load(path) as data:
        ids, vectors = list(data["ids"]), np.array(data["vectors"])
    ids, vectors = change(ids, vectors)
    with open(path, "wb") as f:
        np.savez(f, ids=np.asarray(ids, dtype=str), vectors=vectors)


def _nan_row(ids, v):
    v[3, 5] = np.nan
    return ids, v


def _zero_row(ids, v):
    v[7] = 0.0
    return ids, v


def _inf_row(ids, v):
    v[0, 0] = np.inf
    return ids, v


def _one_passage_missing(ids, v):
    return ids[1:], v[1:]


def _another_passage(ids, v):
    return ["not-a-passage", *ids[1:]], v


def _wrong_dimension(ids, v):
    return ids, v[:, :10] / np.linalg.norm(v[:, :10], axis=1, keepdims=True).clip(1e-6)


@pytest.mark.parametrize("change", [_nan_row, _zero_row, _inf_row, _one_passage_missing, _another_passage])
def test_a_snapshot_with_bad_vectors_or_other_passages_is_refused_at_start_and_written_anew(snapshotted,
                                                                                            fake_embeddings, change):
    settings, path = snapshotted
    _rewrite(path, change)
    bot = Assistant.load(settings, embeddings=fake_embeddings)
    assert not bot.index.from_snapshot
    assert bot.ask(CHILD).citations[0].section_id == "childs-pose"
    ids, matrix = bot.index.vectors()
    with np.load(path) as data:  # the snapshot was written again from Chroma
        assert list(data["ids"]) == ids and np.isfinite(data["vectors"]).all()
        assert np.allclose(data["vectors"], matrix)


def test_a_snapshot_of_the_wrong_dimension_does_not_break_answers(snapshotted, fake_embeddings):
    settings, path = snapshotted
    _rewrite(path, _wrong_dimension)
    bot = Assistant.load(settings, embeddings=fake_embeddings)
    replies = [bot.ask(CHILD), bot.ask("How do I use a foam roller?")]
    assert all(r.status == "answered" and r.citations for r in replies)
    assert replies[0].citations[0].section_id == "childs-pose"
    with np.load(path) as data:
        assert data["vectors"].shape[1] == 384


def test_ingest_finds_a_bad_snapshot_rewrites_it_and_says_so(snapshotted, fake_embeddings):
    settings, path = snapshotted
    _rewrite(path, _wrong_dimension)
    report = VectorIndex(settings, fake_embeddings).ingest(load_corpus(settings.corpus_dir))
    assert not report.changed and "10 dimensions" in report.snapshot_problem and "384" in report.snapshot_problem
    with np.load(path) as data:
        assert data["vectors"].shape == (88, 384)
    again = VectorIndex(settings, fake_embeddings).ingest(load_corpus(settings.corpus_dir))
    assert again.snapshot_problem == ""


def test_cli_ingest_reports_a_bad_snapshot_in_one_line(tmp_path, settings, bot):
    data = tmp_path / "data"
    shutil.copytree(settings.data_dir, data)
    [path] = (data / "chroma" / "snapshots").glob("*.npz")
    _rewrite(path, _nan_row)
    result = CliRunner().invoke(main, ["--data-dir", str(data), "ingest"], catch_exceptions=False)
    assert result.exit_code == 0 and one_line(result.stderr), result.stderr
    assert "snapshot was bad" in result.stderr and "not finite" in result.stderr
    with np.load(path) as fixed:
        assert np.isfinite(fixed["vectors"]).all()
