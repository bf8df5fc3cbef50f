"""`backstretch bench` runs on a tiny configuration and writes well-formed output (timings are not asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

EXPECTED_CHECKS = {
    "warm p50 ask / p50 query embedding", "cold backstretch ask (index built)", "backstretch --help",
    "re-ingest of an unchanged corpus embeds", "peak RSS of serve after answering", "2 clients: errors",
    "4 clients: errors", "4 clients: p95 / single-client p50",
}


@pytest.fixture(scope="module")
def quick_run(settings, bot, tmp_path_factory):
    env = {**os.environ, "BACKSTRETCH_DATA_DIR": str(settings.data_dir)}
    return subprocess.run([sys.executable, "-m", "assistant", "bench", "--quick", "--json"], env=env,
                          capture_output=True, text=True, timeout=900)


def test_bench_writes_every_check_as_json(quick_run):
    assert quick_run.returncode in (0, 1), quick_run.stderr[-2000:]  # 1 = a budget missed on this tiny run
    data = json.loads(quick_run.stdout)
    assert {c["name"] for c in data["checks"]} == EXPECTED_CHECKS
    for c in data["checks"]:
        assert isinstance(c["value"], (int, float)) and c["ok"] == (c["value"] <= c["limit"])
    assert data["ok"] == all(c["ok"] for c in data["checks"])
    assert "Traceback" not in quick_run.stderr


def test_bench_numbers_are_measured_in_one_run(quick_run):
    data = json.loads(quick_run.stdout)["numbers"]
    warm = data["warm"]
    assert warm["questions"] >= 100 and warm["cache_hits"] == 0
    assert warm["ratio"] == pytest.approx(warm["ask_p50_ms"] / warm["encode_p50_ms"])
    assert warm["encoder"] == "OnnxQueryEncoder"  # the bench measures the encoder the assistant answers with
    cold = data["cold"]
    assert cold["ratio"] == pytest.approx(cold["ask_s"] / cold["import_onnxruntime_s"]) and cold["onnx_encoder"]
    assert data["ingest"]["embedded"] == data["ingest"]["passages"] and data["ingest"]["reingest_embedded"] == 0
    assert data["served"]["memory"]["peak_rss_mb"] > 100
    for load in data["served"]["concurrent"].values():
        assert load["active_clients"] == load["clients"]  # every client ran for the whole window
        assert load["answers"] >= load["clients"] and load["errors"] == 0


def test_a_missed_budget_exits_non_zero_with_the_failing_line(quick_run):
    data = json.loads(quick_run.stdout)
    missed = [c for c in data["checks"] if not c["ok"]]
    if not missed:
        assert quick_run.returncode == 0
    else:
        assert quick_run.returncode == 1
        assert f"budget missed: {missed[0]['name']}" in quick_run.stderr


def test_the_scale_lines_compare_a_generated_corpus_with_the_article_alone():
    from assistant.evaluation.bench import BenchReport, big_corpus

    report = BenchReport()
    big_corpus(report, passages=600, questions=5, progress=lambda _step: None)
    numbers = report.numbers["big_corpus"]
    small, big = numbers["article"], numbers["big"]
    assert (small["passages"], big["passages"]) == (88, 688)
    assert small["read_passages"] == 88 and big["read_passages"] == 688
    assert small["from_snapshot"] and big["from_snapshot"] and big["questions"] == 5
    assert numbers["ratios"]["ask_p50"] == pytest.approx(big["ask_p50_ms"] / small["ask_p50_ms"])
    assert [c.name for c in report.checks] == [
        "688 passages: ingest time per passage / 88-passage case", "688 passages: answer p50 / 88-passage case",
        "688 passages: peak RSS answering / 88-passage case"]


def test_the_warm_floor_is_taken_interleaved_with_the_asks():
    """Each question is asked, then embedded bare, before the next: the floor shares the asks' load (timing every
    ask first and every embedding after let load drift between the phases skew the ratio)."""
    from assistant.evaluation.bench import warm_latency

    calls: list[tuple[str, str]] = []

    class Encoder:
        session = object()  # the ONNX encoder's bare path: encode([q])
        cache_hits = 0

        def encode(self, texts):
            calls.append(("embed", texts[0]))

        def clear_cache(self):
            calls.append(("clear", ""))

    class Bot:
        class index:  # noqa: N801 - stands for the assistant's index attribute
            embeddings = Encoder()

        def ask(self, question):
            calls.append(("ask", question))

    questions = ["one", "two", "three"]
    warm = warm_latency(Bot(), questions)
    assert calls == [("ask", "one"), ("embed", "one"), ("clear", ""),
                     *[(kind, q) for q in questions for kind in ("ask", "embed")]]
    assert warm["questions"] == 3 and warm["order"] == "interleaved" and warm["cache_hits"] == 0
    assert warm["ratio"] == pytest.approx(warm["ask_p50_ms"] / warm["encode_p50_ms"])


def test_an_eval_line_that_runs_past_its_limit_is_a_missed_line_not_a_crash(settings):
    from assistant.evaluation.bench import EVAL_LINE, BenchReport, eval_line

    def too_slow(_settings):
        raise subprocess.TimeoutExpired(["backstretch", "eval"], 900)

    report = BenchReport()
    eval_line(report, settings, measure=too_slow)
    [line] = report.checks
    assert line.name == EVAL_LINE and not line.ok and "900 s" in line.note and not report.ok
    assert report.numbers["eval"] == {"timed_out_after_s": 900}
    json.dumps(report.to_dict())  # still writes as JSON


@pytest.mark.parametrize("value, limit, shown, ok", [
    (1.3004, 1.3, 1.301, False), (1.2996, 1.3, 1.3, True), (1.3, 1.3, 1.3, True), (2.71828, 10, 2.718, True),
])
def test_a_check_never_shows_a_missed_value_within_its_limit(value, limit, shown, ok):
    from assistant.evaluation.bench import BenchReport

    report = BenchReport()
    report.check("ratio", value, limit, "x")
    (check,) = report.checks
    assert (check.value, check.ok) == (shown, ok) and check.ok == (check.value <= check.limit)
