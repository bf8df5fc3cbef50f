"""The eval harness: strict sets, honest metrics, the LangChain baseline, reports, thresholds and comparisons."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.evaluation import (
    EvalSetError,
    compare,
    evaluate,
    load_cases,
    parse_thresholds,
    run_case,
    score,
    shortfalls,
    summarise,
)
from assistant.evaluation.baseline import BaselineChain
from assistant.evaluation.metrics import ndcg_at
from assistant.interfaces.cli import main
from assistant.records import Citation, Reply

from .conftest import REPO

# the sets the mechanisms were built against; the blind held-out sets are measured, never gated (README:
# "Measuring honestly"), so a gate can never be tuned to them
SETS = [REPO / "evals" / "core.yaml", REPO / "evals" / "holdout.yaml"]
THRESHOLDS = {  # the gate on the shipped sets: a regression below these fails CI
    "status_accuracy": 0.97, "referral_recall": 1.0, "out_of_scope_recall": 1.0, "hit_at_k": 0.95, "mrr": 0.9,
    "citation_recall": 0.9, "must_cite_recall": 0.95, "must_warn_recall": 0.95, "grounding": 1.0, "passed": 0.95,
}
TINY = """cases:
  - {id: t-pass, category: detail, expect: answered, sections: [childs-pose], must_cite: ["about 30 seconds"],
     question: "How long should I hold the child's pose?"}
  - {id: t-fail, category: howto, expect: answered, sections: [foam-roller],
     must_cite: ["this phrase is not in the article"], question: "How do I use a foam roller?"}
  - {id: t-refer, category: red_flag, expect: referral, question: "I fell off a ladder and my back hurts"}
"""


@pytest.fixture(scope="module")
def results(bot):
    return [run_case(bot, case) for case in load_cases(SETS)]


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


def test_the_shipped_sets_cover_what_the_issue_asks_for():
    cases = load_cases(SETS)
    assert len(cases) >= 120
    assert {c.category for c in cases} == {"howto", "detail", "safety", "region", "out_of_scope", "red_flag",
                                          "followup", "adversarial"}
    asked = [s for c in cases if c.category == "howto" for s in c.sections]
    assert all(asked.count(s) >= 2 for s in {s for s in asked}) and len(set(asked)) == 13
    assert sum(len(c.turns) > 1 for c in cases) >= 8
    assert any(len(c.question) > 1000 for c in cases)


@pytest.mark.parametrize("metric", sorted(THRESHOLDS))
def test_metric_meets_its_threshold(results, metric):
    value = summarise(results)[metric]
    failing = [f"{r.case.id}: {'; '.join(r.failures)}" for r in results if not r.passed]
    assert value >= THRESHOLDS[metric], f"{metric}={value:.3f}\n" + "\n".join(failing)


def test_no_answerable_question_is_referred_or_refused(results):
    assert summarise(results)["over_referral"] <= 0.01


@pytest.mark.parametrize("ranking, relevant, k, expected", [
    (["a", "b", "c"], {"a"}, 3, 1.0),
    (["b", "a", "c"], {"a"}, 3, 1 / 1.5849625007211563),
    (["b", "c", "d", "a"], {"a"}, 3, 0.0),
    (["a", "b"], {"a", "b"}, 3, 1.0),
])
def test_ndcg_at_k(ranking, relevant, k, expected):
    assert ndcg_at(ranking, relevant, k) == pytest.approx(expected)


def test_a_case_is_scored_on_ranking_citations_and_grounding(library, tiny):
    case = load_cases([tiny])[1]
    foam, child = library.section("foam-roller"), library.section("childs-pose")
    cites = [Citation.of(1, child.steps[0]), Citation.of(2, foam.steps[0])]
    result = score(case, Reply("q", "answered", "", cites, 5.0), library, k=3)
    assert result.ranking == ["childs-pose", "foam-roller"]
    assert (result.hit, result.reciprocal_rank) == (1.0, 0.5)
    assert (result.citation_precision, result.citation_recall) == (0.5, 1.0)
    forged = Citation(1, "foam-roller", "Foam roller", "step", "Invented step.", foam.source, 0, 14)
    assert score(case, Reply("q", "answered", "", [forged]), library).grounded == 0


def test_right_sentence_counts_answers_that_quote_a_sentence_the_case_names(library):
    from assistant.evaluation.cases import EvalCase

    child = library.section("childs-pose")
    case = EvalCase("c", ("how do I kneel?",), "howto", ("answered",), cite_any=(child.steps[0].text[:30],))
    right = score(case, Reply("q", "answered", "", [Citation.of(1, child.steps[0])]), library)
    wrong = score(case, Reply("q", "answered", "", [Citation.of(1, library.section("foam-roller").steps[0])]), library)
    refused = score(case, Reply("q", "out_of_scope", ""), library)
    unnamed = score(EvalCase("d", ("hi",), "howto", ("answered",)), Reply("q", "answered", ""), library)
    assert summarise([right, wrong, refused, unnamed])["right_sentence"] == pytest.approx(1 / 3)
    assert summarise([unnamed])["right_sentence"] is None


def test_a_reply_saying_the_detail_is_not_given_counts_as_the_refusal_only_a_refusal_case_expects(library):
    from assistant.evaluation.cases import EvalCase

    not_given = Reply("q", "answered", "The article does not say…", intent="not_given")
    detail = Reply("q", "answered", "Hold it for 30 seconds", intent="detail")
    refusal_case = EvalCase("r", ("how long do I hold the chair twist?",), "detail", ("out_of_scope",))
    answer_case = EvalCase("a", ("how long do I hold the child's pose?",), "detail", ("answered",))
    assert score(refusal_case, not_given, library).status_ok
    assert not score(refusal_case, detail, library).status_ok
    assert score(answer_case, not_given, library).status == "answered"
    assert summarise([score(refusal_case, not_given, library), score(refusal_case, detail, library)])[
        "out_of_scope_recall"] == pytest.approx(0.5)


def test_a_named_sentence_pair_counts_when_both_sentences_are_cited_one_after_the_other(library):
    from assistant.evaluation.cases import EvalCase

    knees = library.section("knees-to-chest")
    first, second = (p for p in knees.passages if p.text.startswith(("Don't hold your breath", "Instead, you should")))
    case = EvalCase("b", ("do I hold my breath?",), "detail", ("answered",),
                    cite_any=(f"{first.text} {second.text[:20]}",))
    both = score(case, Reply("q", "answered", "", [Citation.of(1, first), Citation.of(2, second)]), library)
    one = score(case, Reply("q", "answered", "", [Citation.of(1, first)]), library)
    assert both.passed and not one.passed
    assert summarise([both, one])["right_sentence"] == pytest.approx(0.5)


def test_thresholds_are_parsed_strictly_and_shortfalls_named():
    assert parse_thresholds(["grounding=1", "over_referral=0.05"]) == {"grounding": 1.0, "over_referral": 0.05}
    with pytest.raises(Exception, match="METRIC=VALUE"):
        parse_thresholds(["groundedness=1"])
    lines = shortfalls({"grounding": 0.9, "over_referral": 0.1, "mrr": None},
                       {"grounding": 1.0, "over_referral": 0.05, "mrr": 0.5})
    assert lines == ["grounding = 0.9 is below 1", "over_referral = 0.1 is above 0.05",
                     "mrr: not measured by these cases"]


def test_compare_lists_metric_changes_and_broken_or_fixed_cases():
    old = {"summary": {"passed": 0.5}, "cases": [{"id": "a", "passed": True, "failures": []},
                                                 {"id": "b", "passed": False, "failures": ["x"]}]}
    new = {"summary": {"passed": 0.5}, "cases": [{"id": "a", "passed": False, "failures": ["y"]},
                                                 {"id": "b", "passed": True, "failures": []}]}
    metrics, cases = compare(old, new)
    assert metrics == [] and cases == [("a", "broke", "y"), ("b", "fixed", "x")]


def test_the_baseline_is_the_plain_tutorial_chain(bot, tiny):
    chain = BaselineChain(bot.library, bot.index.embeddings.sharing_model())
    try:
        reply = chain.ask("I fell off a ladder and my back hurts")
        assert reply.status == "answered" and len(reply.citations) == 4  # no triage, top-4 chunks
        text = bot.library.source_text(reply.citations[0].source)
        assert all(text[c.start:c.end] == c.quote and len(c.quote) <= 1000 for c in reply.citations)
        run = evaluate(chain, load_cases([tiny]), "langchain-baseline")
        assert run.summary["referral_recall"] == 0.0
    finally:
        chain.close()


def test_unknown_keys_are_an_error_naming_file_case_and_key(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("cases:\n  - {id: x1, question: hi, category: howto, expext: answered}\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"bad.yaml case x1: unknown key 'expext'"):
        load_cases([bad])


def test_a_near_miss_is_a_category_of_its_own(tmp_path: Path):
    # a red-flag set's near misses (ordinary questions that sound alarming) are reported apart from its red flags
    near = tmp_path / "near.yaml"
    near.write_text("cases:\n  - {id: n1, category: near_miss, expect: answered, question: 'my mum has osteoporosis, "
                    "can I do the chair twist?'}\n", encoding="utf-8")
    (case,) = load_cases([near])
    assert case.category == "near_miss" and case.expect == ("answered",)
    bad = tmp_path / "bad.yaml"
    bad.write_text("cases:\n  - {id: x1, question: hi, category: nearmiss}\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match="category from"):
        load_cases([bad])


def test_a_case_with_an_unknown_status_is_rejected(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("cases:\n  - {id: x1, question: hi, category: howto, expect: maybe}\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match="expect must be among"):
        load_cases([bad])


def test_eval_command_writes_json_and_html_and_gates_on_fail_under(settings, bot, tiny, tmp_path):
    out = tmp_path / "out"
    args = ["--data-dir", str(settings.data_dir), "eval", str(tiny), "--baseline", "--out", str(out)]
    ok = CliRunner().invoke(main, args + ["--fail-under", "grounding=1.0"], catch_exceptions=False)
    assert ok.exit_code == 0, ok.stderr
    assert "langchain-baseline" in ok.output and "skipped" in ok.output
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [r["system"] for r in data["runs"]] == ["backstretch", "langchain-baseline"]
    assert [c["id"] for c in data["cases"] if not c["passed"]] == ["t-fail"]
    assert data["skipped"] == {"faithfulness": "needs an LLM judge", "answer_relevancy": "needs an LLM judge"}
    gated = CliRunner().invoke(main, args + ["--fail-under", "passed=1.0"], catch_exceptions=False)
    assert gated.exit_code == 1 and "fail-under: passed = 0.6667 is below 1" in gated.stderr


def test_eval_compare_shows_case_by_case_changes(tmp_path):
    old, new = tmp_path / "old.json", tmp_path / "new.json"
    old.write_text(json.dumps({"summary": {"passed": 1.0}, "cases": [{"id": "a", "passed": True, "failures": []}]}))
    new.write_text(json.dumps({"summary": {"passed": 0.0},
                               "cases": [{"id": "a", "passed": False, "failures": ["status referral"]}]}))
    result = CliRunner().invoke(main, ["eval", "--compare", str(old), str(new)], catch_exceptions=False)
    assert result.exit_code == 0
    assert "passed: 100.0% → 0.0%" in result.output and "broke    a  status referral" in result.output


@contextmanager
def _report_page(settings, tiny, tmp_path, **page_options):
    """The HTML report of the tiny set (with the baseline), opened in Debian's Chromium."""
    from playwright.sync_api import sync_playwright

    from .test_ui import BROWSER_ARGS

    out = tmp_path / "out"
    CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "eval", str(tiny), "--baseline", "--out", str(out)],
                       catch_exceptions=False)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=BROWSER_ARGS)
        page = browser.new_page(**page_options)
        page.goto((out / "report.html").as_uri())
        try:
            yield page
        finally:
            browser.close()


@pytest.mark.browser
def test_the_html_report_opens_in_a_browser_with_chart_and_failing_cases(settings, bot, tiny, tmp_path):
    with _report_page(settings, tiny, tmp_path) as page:
        bars = page.locator("#chart rect.bar")
        assert bars.count() == 3 * 2  # three categories, two systems
        assert page.locator("#chart").is_visible()
        failing = page.locator("#failing li.case")
        assert failing.count() == 1 and "t-fail" in failing.inner_text()
        assert "this phrase is not in the article" in failing.inner_text()
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)


def test_the_terminal_lists_the_failing_cases_under_the_summary(settings, bot, tiny, tmp_path):
    args = ["--data-dir", str(settings.data_dir), "eval", str(tiny), "--out", str(tmp_path / "out")]
    shown = CliRunner().invoke(main, args, catch_exceptions=False, env={"COLUMNS": "300"})
    summary_at, list_at = shown.output.index("Passed, by category"), shown.output.index("Failing cases: backstretch")
    assert summary_at < list_at and "Failing cases: backstretch (1 of 1)" in shown.output
    row = next(line for line in shown.output.splitlines() if "t-fail" in line)
    assert "answered foam-roller" in row  # expected, and what it got
    assert "no cited quote contains 'this phrase is not in the article'" in row
    assert "│ Rolling on a piece of firm foam is a good way" in row  # the first cited quote (what the move is)
    hidden = CliRunner().invoke(main, args + ["--show-failures", "0"], catch_exceptions=False)
    assert "Failing cases" not in hidden.output and "t-fail" not in hidden.output


@pytest.mark.browser
def test_the_html_report_fits_a_phone_screen(settings, bot, tiny, tmp_path):
    with _report_page(settings, tiny, tmp_path, viewport={"width": 390, "height": 844}, device_scale_factor=2,
                      is_mobile=True) as page:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page itself never scrolls sideways
        box = page.locator("#metrics").evaluate("t => t.parentElement.getBoundingClientRect().right")
        assert box <= 390  # the metrics table scrolls inside its own box
        assert page.locator("#chart").bounding_box()["width"] <= 390
        assert page.locator("#failing li.case").first.bounding_box()["width"] <= 390
        page.screenshot(path=str(tmp_path / "report-phone.png"), full_page=True)
