"""`backstretch bench`: speed and memory, each judged as a ratio against a floor measured in the same run."""

from __future__ import annotations

import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..process import free_port, running
from ..settings import Settings


@dataclass
class BenchConfig:
    """How hard to push: the defaults are the real benchmark, `quick()` a tiny run for tests."""

    clients: tuple[int, ...] = (16, 32)
    duration: float = 30.0  # seconds of load per client count
    memory_questions: int = 100
    cold_runs: int = 3
    single_client_questions: int = 40
    eval_wall: bool = True  # two fresh `backstretch eval` runs of the shipped sets

    @classmethod
    def quick(cls) -> BenchConfig:
        return cls(clients=(2, 4), duration=2.0, memory_questions=10, cold_runs=1, single_client_questions=5,
                   eval_wall=False)


@dataclass
class Check:
    name: str
    value: float
    limit: float
    unit: str
    ok: bool
    note: str = ""


@dataclass
class BenchReport:
    numbers: dict = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def check(self, name: str, value: float, limit: float, unit: str, note: str = "") -> None:
        self.checks.append(Check(name, _shown(value, limit), limit, unit, value <= limit, note))

    def to_dict(self) -> dict:
        return {"ok": self.ok, "numbers": self.numbers, "checks": [asdict(c) for c in self.checks]}


def _shown(value: float, limit: float) -> float:
    """The value to three decimals, rounded away from the limit when it misses, so 1.3004 against 1.3 reads 1.301."""
    shown = round(value, 3)
    return math.ceil(value * 1000) / 1000 if value > limit >= shown else shown


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def questions_from_evals(folder: Path) -> list[str]:
    from . import default_sets, load_cases

    return list(dict.fromkeys(c.question for c in load_cases(default_sets(folder))))


def _bare_encode(encoder):
    """One query embedding by the encoder the assistant answers with, without its cache."""
    if hasattr(encoder, "session"):  # the ONNX encoder
        return lambda q: encoder.encode([q])
    model = encoder.model
    return lambda q: model.encode([q], normalize_embeddings=True, show_progress_bar=False)


def warm_latency(bot, questions: list[str]) -> dict:
    """p50/p95 of Assistant.ask against the p50 of a bare query embedding by the same encoder, same process.

    The two are interleaved, question by question (ask it, then embed it bare), so the floor is taken under the
    same load as the asks. Timing every ask first and every embedding after let the machine's load drift between
    the two phases: the ratio swung 1.41-1.85x over runs of the same code, where interleaved it measured 1.17-1.20x.
    The ratio stays one of medians over the same questions."""
    embeddings = bot.index.embeddings
    encode = _bare_encode(embeddings)
    bot.ask(questions[0])
    encode(questions[0])
    embeddings.clear_cache()  # every question is new to the cache: no number here is a cache hit
    hits = embeddings.cache_hits
    ask, bare = [], []
    for q in questions:
        began = time.perf_counter()
        bot.ask(q)
        ask.append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        encode(q)
        bare.append((time.perf_counter() - began) * 1000)
    return {"questions": len(questions), "encoder": type(embeddings).__name__, "ask_p50_ms": statistics.median(ask),
            "ask_p95_ms": _pct(ask, 0.95), "encode_p50_ms": statistics.median(bare), "order": "interleaved",
            "cache_hits": embeddings.cache_hits - hits, "ratio": statistics.median(ask) / statistics.median(bare)}


def _timed(cmd: list[str], env: dict, runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def cold_start(settings: Settings, question: str, runs: int) -> dict:
    """A fresh `backstretch ask` (index built) against a fresh `import onnxruntime`; `--help` alone."""
    env = {**os.environ, "BACKSTRETCH_DATA_DIR": str(settings.data_dir), "HF_HUB_OFFLINE": "1"}
    floor = _timed([sys.executable, "-c", "import onnxruntime"], env, runs)
    ask = _timed([sys.executable, "-m", "assistant", "ask", question], env, runs)
    help_ = _timed([sys.executable, "-m", "assistant", "--help"], env, runs)
    from ..knowledge.query_encoder import encoder_dir
    from ..knowledge.snapshot import snapshot_dir

    snapshots = snapshot_dir(settings)
    cached = snapshots is not None and any(snapshots.glob("*.npz"))
    return {"runs": runs, "ask_s": ask, "import_onnxruntime_s": floor, "help_s": help_, "ratio": ask / floor,
            "vectors_from_snapshot": cached, "onnx_encoder": any(encoder_dir(settings).glob("*.onnx"))}


def eval_wall(settings: Settings) -> dict:
    """`backstretch eval` of the shipped sets in a fresh process, with the ONNX query encoder and, on a copy of the
    index without it, with sentence-transformers (the question path before the ONNX encoder)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-eval-"))
    try:
        shutil.copytree(settings.chroma_path, folder / "without-onnx" / "chroma")
        out = {}
        for name, data in (("onnx", settings.data_dir), ("sentence_transformers", folder / "without-onnx")):
            env = {**os.environ, "BACKSTRETCH_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
            out[f"{name}_s"] = _timed([sys.executable, "-m", "assistant", "eval", "--out", str(folder / name)], env, 1)
        out["ratio"] = out["onnx_s"] / out["sentence_transformers_s"]
        return out
    finally:
        shutil.rmtree(folder, ignore_errors=True)


EVAL_LINE = "eval wall, ONNX / sentence-transformers encoder"


def eval_line(report: BenchReport, settings: Settings, measure=eval_wall) -> None:
    """The eval line; a fresh eval that runs past its time limit (a loaded machine) is a missed line, and the bench
    goes on to the next one."""
    try:
        ev = measure(settings)
    except subprocess.TimeoutExpired as exc:
        report.numbers["eval"] = {"timed_out_after_s": exc.timeout}
        report.check(EVAL_LINE, float("inf"), 1.0, "x", f"a fresh eval ran past {exc.timeout:.0f} s: not measured")
        return
    report.numbers["eval"] = ev
    report.check(EVAL_LINE, ev["ratio"], 1.0, "x",
                 f"{ev['onnx_s']:.1f} s against {ev['sentence_transformers_s']:.1f} s, fresh processes")


def ingest_from_empty(settings: Settings, embeddings) -> dict:
    from ..knowledge.corpus import load_corpus
    from ..knowledge.index import VectorIndex

    folder = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        local = settings.with_(data_dir=folder, chroma_host=None)
        docs = load_corpus(local.corpus_dir)
        first = VectorIndex(local, embeddings.sharing_model())
        began = time.perf_counter()
        report = first.ingest(docs)
        with_export = time.perf_counter() - began
        first.close()
        second = VectorIndex(local, embeddings.sharing_model())
        again = second.ingest(docs)
        second.close()
        return {"passages": report.passages, "embedded": report.embedded, "seconds": report.seconds,
                "with_onnx_export_s": with_export,
                "reingest_embedded": again.embedded, "reingest_seconds": again.seconds}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _client(url: str):
    from gradio_client import Client

    # The bench talks plain HTTP to loopback, so there is no certificate to check. With verification on,
    # gradio_client builds a fresh httpx client per request and loads the CA bundle each time (about 65 ms of
    # client CPU per answer, measured), which on 2 shared cores would be charged to the server's latency.
    return Client(url, verbose=False, ssl_verify=False)


def served(settings: Settings, questions: list[str], config: BenchConfig) -> dict:
    """Single-client latency, peak memory after N questions, then N concurrent clients for a fixed time."""
    out: dict = {}
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "BACKSTRETCH_DATA_DIR": str(settings.data_dir)}
    with running([sys.executable, "-m", "assistant", "serve", "--port", str(port)], url, env) as server:
        client = _client(url)
        single, chain = [], []
        for q in (questions * 3)[: config.single_client_questions]:
            began = time.perf_counter()
            reply = client.predict(q, [], api_name="/ask")
            single.append((time.perf_counter() - began) * 1000)
            chain.append(reply.get("latency_ms", 0.0))
        out["single_client"] = {"p50_ms": statistics.median(single), "chain_p50_ms": statistics.median(chain)}
        for q in (questions * 10)[: config.memory_questions]:
            client.predict(q, [], api_name="/ask")
        out["memory"] = {"questions": config.memory_questions, "peak_rss_mb": _peak_rss_mb(server.pid)}
        out["concurrent"] = {}
        for n in config.clients:
            out["concurrent"][str(n)] = _load(url, questions, n, config.duration)
        out["memory"]["peak_rss_after_load_mb"] = _peak_rss_mb(server.pid)
    return out


def _load(url: str, questions: list[str], clients: int, duration: float) -> dict:
    latencies: list[float] = []
    chain: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = [0.0]
    started = [0.0]

    def start_clock() -> None:  # runs once, before any thread is released: every worker sees the deadline
        started[0] = time.monotonic()
        stop_at[0] = started[0] + duration

    ready = threading.Barrier(clients + 1, action=start_clock)
    active = [0]

    def worker(offset: int) -> None:
        try:
            c = _client(url)
        except Exception as exc:  # a client that cannot connect is an error of the run, counted below
            with lock:
                errors.append(f"connect: {exc}")
            ready.wait()
            return
        ready.wait()
        with lock:
            active[0] += 1
        i = offset
        while time.monotonic() < stop_at[0]:
            q = questions[i % len(questions)]
            i += 1
            began = time.perf_counter()
            try:
                reply = c.predict(q, [], api_name="/ask")
                took = (time.perf_counter() - began) * 1000
                with lock:
                    latencies.append(took)
                    chain.append(reply.get("latency_ms", 0.0))
            except Exception as exc:  # counted: the budget is zero errors
                with lock:
                    errors.append(type(exc).__name__)

    threads = [threading.Thread(target=worker, args=(k * 7,)) for k in range(clients)]
    for t in threads:
        t.start()
    ready.wait()
    for t in threads:
        t.join()
    took = time.monotonic() - started[0]
    return {"clients": clients, "active_clients": active[0], "seconds": round(took, 2), "answers": len(latencies),
            "errors": len(errors), "error_kinds": dict(Counter(errors)),
            "throughput_per_s": len(latencies) / took if took else 0.0,
            "p50_ms": statistics.median(latencies) if latencies else float("nan"),
            "p95_ms": _pct(latencies, 0.95) if latencies else float("nan"),
            "chain_p50_ms": statistics.median(chain) if chain else float("nan")}


def run(settings: Settings, bot, config: BenchConfig, progress=print) -> BenchReport:
    from ..settings import REPO_ROOT

    report = BenchReport()
    questions = questions_from_evals(REPO_ROOT / "evals")
    progress("warm answer latency")
    warm = warm_latency(bot, questions)
    report.numbers["warm"] = warm
    report.check("warm p50 ask / p50 query embedding", warm["ratio"], 1.3, "x",
                 f"ask p50 {warm['ask_p50_ms']:.1f} ms, one {warm['encoder']} embedding p50 "
                 f"{warm['encode_p50_ms']:.1f} ms, no cache hits")
    progress("cold start")
    cold = cold_start(settings, questions[0], config.cold_runs)
    report.numbers["cold"] = cold
    report.check("cold backstretch ask (index built)", cold["ask_s"], 1.5, "s",
                 f"{cold['ratio']:.1f}x a bare `import onnxruntime` ({cold['import_onnxruntime_s']:.2f} s)"
                 + ("; vectors from the index snapshot" if cold["vectors_from_snapshot"] else "")
                 + ("; questions embedded by the ONNX encoder" if cold["onnx_encoder"] else
                    "; no ONNX encoder: sentence-transformers"))
    report.check("backstretch --help", cold["help_s"], 0.5, "s")
    if config.eval_wall:
        progress("eval of the shipped sets")
        eval_line(report, settings)
    progress("ingest")
    ing = ingest_from_empty(settings, bot.index.passage_embeddings)
    report.numbers["ingest"] = ing
    report.check("re-ingest of an unchanged corpus embeds", ing["reingest_embedded"], 0, "passages",
                 f"from empty: {ing['embedded']} passages in {ing['seconds']:.1f} s, "
                 f"{ing['with_onnx_export_s']:.1f} s with the ONNX export")
    progress("served: single client, memory, concurrent clients")
    srv = served(settings, questions, config)
    report.numbers["served"] = srv
    report.check("peak RSS of serve after answering", srv["memory"]["peak_rss_mb"], 350, "MB",
                 f"{srv['memory']['questions']} questions")
    single = srv["single_client"]["p50_ms"]
    for n, load in srv["concurrent"].items():
        note = (f"{load['answers']} answers, {load['throughput_per_s']:.1f}/s, p50 {load['p50_ms']:.0f} ms, "
                f"chain p50 {load['chain_p50_ms']:.1f} ms (the rest is queue and transport); repeated questions "
                "hit the server's query-embedding cache")
        report.check(f"{n} clients: errors", load["errors"], 0, "errors")
        if n == str(max(config.clients)):
            report.check(f"{n} clients: p95 / single-client p50", load["p95_ms"] / single, 10, "x", note)
    return report


BIG_PASSAGES = 100_000


def big_corpus(report: BenchReport, passages: int = BIG_PASSAGES, questions: int = 40, progress=print) -> None:
    """`bench --big`: the shipped article alone (88 passages) and with a generated article of `passages` more, each
    ingested from empty and answered in fresh processes with the stand-in embedder (the same for both sizes, so the
    ratios measure size, not the model); ingest time per passage, answer p50 and peak RSS as ratios."""
    import json

    from ..settings import REPO_ROOT
    from .big_corpus import corpus_with

    asked = questions_from_evals(REPO_ROOT / "evals")[:questions]
    cases = {}
    with tempfile.TemporaryDirectory(prefix="bench-big-") as tmp:
        (Path(tmp) / "questions.json").write_text(json.dumps(asked), encoding="utf-8")
        for name, extra in (("article", 0), ("big", passages)):
            progress(f"scale: {name} ({extra} generated passages): ingest, then answers in a fresh process")
            folder = Path(tmp) / name
            corpus_with(folder, extra)
            case = {}
            for step in (["ingest", str(folder)], ["answer", str(folder), str(Path(tmp) / "questions.json")]):
                out = subprocess.run([sys.executable, "-m", "assistant.evaluation.big_corpus", *step],
                                     capture_output=True, text=True, check=True, timeout=3600,
                                     env={**os.environ, "HF_HUB_OFFLINE": "1"})
                case.update(json.loads(out.stdout.strip().splitlines()[-1]))
            cases[name] = case
            shutil.rmtree(folder, ignore_errors=True)
    small, big = cases["article"], cases["big"]
    ratios = {"ingest_s_per_passage": (big["ingest_s"] / big["passages"]) / (small["ingest_s"] / small["passages"]),
              "ask_p50": big["ask_p50_ms"] / small["ask_p50_ms"], "peak_rss": big["peak_rss_mb"] / small["peak_rss_mb"]}
    report.numbers["big_corpus"] = {"article": small, "big": big, "ratios": ratios}
    size = f"{big['passages']:,} passages"
    report.check(f"{size}: ingest time per passage / {small['passages']}-passage case", ratios["ingest_s_per_passage"],
                 1.0, "x", f"{big['passages_per_s']:.0f} passages/s ({big['ingest_s']:.0f} s) against "
                 f"{small['passages_per_s']:.0f}/s; read back in pages in {big['read_s']:.1f} s")
    report.check(f"{size}: answer p50 / {small['passages']}-passage case", ratios["ask_p50"], 20.0, "x",
                 f"p50 {big['ask_p50_ms']:.0f} ms against {small['ask_p50_ms']:.0f} ms, {big['answered']} of "
                 f"{big['questions']} answered; loaded in {big['load_s']:.1f} s")
    report.check(f"{size}: peak RSS answering / {small['passages']}-passage case", ratios["peak_rss"], 4.0, "x",
                 f"{big['peak_rss_mb']:.0f} MB against {small['peak_rss_mb']:.0f} MB, vectors from the snapshot")
