"""A generated article of any number of passages, for the scale bench and the big-corpus tests.

Plain text (each paragraph a section, each sentence a passage), its words drawn deterministically from a small
vocabulary so that every sentence differs from the next and the same size always gives the same article."""

from __future__ import annotations

from pathlib import Path

_VERBS = ("Lift", "Lower", "Turn", "Press", "Roll", "Reach", "Hold", "Ease", "Slide", "Tilt", "Bend", "Rest")
_PARTS = ("knee", "elbow", "shoulder", "hip", "heel", "wrist", "chin", "palm", "ankle", "thumb", "rib", "neck")
_WAYS = ("slowly", "gently", "steadily", "softly", "evenly", "calmly", "lightly", "smoothly")
_PLACES = ("mat", "towel", "chair", "wall", "floor", "cushion", "bench", "step", "rail", "blanket", "rug")
SENTENCES_PER_SECTION = 10


def sentence(i: int) -> str:
    """The i-th generated sentence: no two in a row alike, none containing a sentence boundary."""
    return (f"{_VERBS[i % len(_VERBS)]} the {_PARTS[(i // 3) % len(_PARTS)]} {_WAYS[(i // 7) % len(_WAYS)]} "
            f"towards the {_PLACES[(i // 11) % len(_PLACES)]} for drill {i}.")


def article(passages: int) -> str:
    """An article of exactly `passages` sentences, in paragraphs of SENTENCES_PER_SECTION."""
    paragraphs = []
    for start in range(0, passages, SENTENCES_PER_SECTION):
        paragraphs.append(" ".join(sentence(i) for i in range(start, min(start + SENTENCES_PER_SECTION, passages))))
    return "\n\n".join(paragraphs) + "\n"


def write_article(folder: Path, passages: int, name: str = "900_generated.txt") -> Path:
    """Write the generated article of `passages` sentences into `folder` (a corpus folder); its path."""
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(article(passages), encoding="utf-8")
    return path


# -- the scale bench: each case measured in fresh processes (python -m assistant.evaluation.big_corpus) --------
def corpus_with(folder: Path, passages: int) -> Path:
    """A corpus folder of the shipped articles plus, when `passages` > 0, a generated article of that size."""
    import shutil

    from ..settings import REPO_ROOT

    corpus = Path(folder) / "corpus"
    shutil.copytree(REPO_ROOT / "corpus", corpus)
    if passages:
        write_article(corpus, passages)
    return corpus


def _settings(folder: Path):
    from ..settings import Settings

    return Settings(data_dir=Path(folder) / "data", corpus_dir=Path(folder) / "corpus", chroma_host=None)


def measure_ingest(folder: Path) -> dict:
    """Ingest the folder's corpus from empty with the stand-in embedder, then read its vectors back from Chroma
    (which writes the start-up snapshot)."""
    import time

    from ..knowledge.corpus import load_corpus
    from ..knowledge.embeddings import HashingEmbeddings
    from ..knowledge.index import VectorIndex

    settings = _settings(folder)
    began = time.perf_counter()
    docs = load_corpus(settings.corpus_dir)
    parsed = time.perf_counter() - began
    index = VectorIndex(settings, HashingEmbeddings())
    report = index.ingest(docs)
    began = time.perf_counter()
    ids, _ = index.vectors()
    read = time.perf_counter() - began
    index.close()
    return {"passages": report.passages, "parse_s": parsed, "ingest_s": report.seconds, "read_s": read,
            "read_passages": len(ids), "passages_per_s": report.passages / report.seconds}


def measure_answers(folder: Path, questions: list[str]) -> dict:
    """A fresh process loading the index (from its snapshot) and answering: load time, answer p50 and p95 over the
    questions after one warm-up pass, and the process's peak RSS."""
    import statistics
    import time

    from ..app import Assistant
    from ..knowledge.embeddings import HashingEmbeddings

    began = time.perf_counter()
    bot = Assistant.load(_settings(folder), build=False, embeddings=HashingEmbeddings())
    loaded = time.perf_counter() - began
    for q in questions[:3]:
        bot.ask(q)  # the first answer loads the clinical reader; not a cost of corpus size
    took, statuses = [], []
    for q in questions:
        began = time.perf_counter()
        statuses.append(bot.ask(q).status)
        took.append((time.perf_counter() - began) * 1000)
    ordered = sorted(took)
    return {"load_s": loaded, "from_snapshot": bot.index.from_snapshot, "questions": len(questions),
            "answered": statuses.count("answered"), "ask_p50_ms": statistics.median(took),
            "ask_p95_ms": ordered[int(0.95 * (len(ordered) - 1))], "peak_rss_mb": _peak_rss_mb()}


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main(argv: list[str]) -> None:
    """`ingest FOLDER` or `answer FOLDER QUESTIONS.json`: one JSON object on stdout."""
    import json

    if argv[0] == "ingest":
        out = measure_ingest(Path(argv[1]))
    else:
        out = measure_answers(Path(argv[1]), json.loads(Path(argv[2]).read_text(encoding="utf-8")))
    print(json.dumps(out))


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
