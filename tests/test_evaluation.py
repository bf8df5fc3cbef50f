"""The shipped question sets run with thresholds, so a regression fails CI; the loader is strict."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.evaluation import EvalSetError, load_cases, run_case, summarise

from .conftest import REPO

SETS = sorted((REPO / "evals").glob("*.yaml"))
THRESHOLDS = {  # metric: least acceptable value (over_referral: most)
    "status_accuracy": 0.95, "referral_recall": 1.0, "out_of_scope_recall": 0.95, "section_hit": 0.93,
    "must_cite_recall": 0.93, "must_warn_recall": 0.95, "grounding": 1.0,
}


@pytest.fixture(scope="module")
def results(bot):
    return [run_case(bot, case) for case in load_cases(SETS)]


def test_the_first_set_covers_what_the_issue_asks_for():
    cases = load_cases(SETS)
    assert len(cases) >= 40
    assert {c.category for c in cases} >= {"howto", "detail", "safety", "region", "out_of_scope", "red_flag",
                                          "followup", "adversarial"}
    sections = {s for c in cases for s in c.sections}
    assert len(sections - {"general"}) == 13
    assert sum(len(c.turns) > 1 for c in cases) >= 5


@pytest.mark.parametrize("metric", sorted(THRESHOLDS))
def test_metric_meets_its_threshold(results, metric):
    value = summarise(results)[metric]
    failing = [f"{r.case.id}: {'; '.join(r.failures)}" for r in results if not r.passed]
    assert value >= THRESHOLDS[metric], f"{metric}={value:.3f}\n" + "\n".join(failing)


def test_no_answerable_question_is_referred_or_refused(results):
    assert summarise(results)["over_referral"] <= 0.02


def test_unknown_keys_are_an_error_naming_file_case_and_key(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("cases:\n  - {id: x1, question: hi, category: howto, expext: answered}\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"bad.yaml case x1: unknown key 'expext'"):
        load_cases([bad])


def test_a_case_with_an_unknown_status_is_rejected(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("cases:\n  - {id: x1, question: hi, category: howto, expect: maybe}\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match="expect must be among"):
        load_cases([bad])
