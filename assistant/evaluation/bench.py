"""`backstretch bench`: speed and memory, each judged as a ratio against a floor measured in the same run."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
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

    @classmethod
    def quick(cls) -> BenchConfig:
        return cls(clients=(2, 4), duration=2.0, memory_questions=10, cold_runs=1, single_client_questions=5)


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
        self.checks.append(Check(name, round(value, 3), limit, unit, value <= limit, note))

    def to_dict(self) -> dict:
        return {"ok": self.ok, "numbers": self.numbers, "checks": [asdict(c) for c in self.checks]}


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def questions_from_evals(folder: Path) -> list[str]:
    from . import default_sets, load_cases

    return list(dict.fromkeys(c.question for c in load_cases(default_sets(folder))))


def warm_latency(bot, questions: list[str]) -> dict:
    """p50/p95 of Assistant.ask against the p50 of a bare encode of the same questions, same process."""
    embeddings = bot.index.embeddings
    model = embeddings.model
    bot.ask(questions[0])
    model.encode([questions[0]], normalize_embeddings=True, show_progress_bar=False)
    embeddings._cache.clear()  # every question is new to the cache: no number here is a cache hit
    hits = embeddings.cache_hits
    ask = []
    for q in questions:
        began = time.perf_counter()
        bot.ask(q)
        ask.append((time.perf_counter() - began) * 1000)
    encode = []
    for q in questions:
        began = time.perf_counter()
        model.encode([q], normalize_embeddings=True, show_progress_bar=False)
        encode.append((time.perf_counter() - began) * 1000)
    return {"questions": len(questions), "ask_p50_ms": statistics.median(ask), "ask_p95_ms": _pct(ask, 0.95),
            "encode_p50_ms": statistics.median(encode), "cache_hits": embeddings.cache_hits - hits,
            "ratio": statistics.median(ask) / statistics.median(encode)}


def _timed(cmd: list[str], env: dict, runs: int) -> float:
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def cold_start(settings: Settings, question: str, runs: int) -> dict:
    """A fresh `backstretch ask` (index built) against a fresh `import sentence_transformers`; `--help` alone."""
    env = {**os.environ, "BACKSTRETCH_DATA_DIR": str(settings.data_dir), "HF_HUB_OFFLINE": "1"}
    floor = _timed([sys.executable, "-c", "import sentence_transformers"], env, runs)
    ask = _timed([sys.executable, "-m", "assistant", "ask", question], env, runs)
    help_ = _timed([sys.executable, "-m", "assistant", "--help"], env, runs)
    from ..knowledge.index import snapshot_dir

    snapshots = snapshot_dir(settings)
    cached = snapshots is not None and any(snapshots.glob("*.npz"))
    return {"runs": runs, "ask_s": ask, "import_sentence_transformers_s": floor, "help_s": help_, "ratio": ask / floor,
            "vectors_from_snapshot": cached}


def ingest_from_empty(settings: Settings, embeddings) -> dict:
    from ..knowledge.corpus import load_corpus
    from ..knowledge.index import VectorIndex

    folder = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        local = settings.with_(data_dir=folder, chroma_host=None)
        docs = load_corpus(local.corpus_dir)
        first = VectorIndex(local, embeddings.sharing_model())
        report = first.ingest(docs)
        first.close()
        second = VectorIndex(local, embeddings.sharing_model())
        again = second.ingest(docs)
        second.close()
        return {"passages": report.passages, "embedded": report.embedded, "seconds": report.seconds,
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
            "errors": len(errors),
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
    report.check("warm p50 ask / p50 encode", warm["ratio"], 1.5, "x",
                 f"ask p50 {warm['ask_p50_ms']:.1f} ms, encode p50 {warm['encode_p50_ms']:.1f} ms, no cache hits")
    progress("cold start")
    cold = cold_start(settings, questions[0], config.cold_runs)
    report.numbers["cold"] = cold
    report.check("cold ask / import sentence_transformers", cold["ratio"], 1.3, "x",
                 f"ask {cold['ask_s']:.2f} s, import {cold['import_sentence_transformers_s']:.2f} s"
                 + ("; the ask read its vectors from the index snapshot (a copy of the Chroma collection)"
                    if cold["vectors_from_snapshot"] else ""))
    report.check("backstretch --help", cold["help_s"], 0.5, "s")
    progress("ingest")
    ing = ingest_from_empty(settings, bot.index.embeddings)
    report.numbers["ingest"] = ing
    report.check("re-ingest of an unchanged corpus embeds", ing["reingest_embedded"], 0, "passages",
                 f"from empty: {ing['embedded']} passages in {ing['seconds']:.1f} s")
    progress("served: single client, memory, concurrent clients")
    srv = served(settings, questions, config)
    report.numbers["served"] = srv
    report.check("peak RSS of serve after answering", srv["memory"]["peak_rss_mb"], 700, "MB",
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
