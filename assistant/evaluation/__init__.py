"""Evaluation: question sets, scoring, the plain LangChain baseline, and reports."""

from .cases import CATEGORIES, EvalCase, EvalSetError, default_sets, load_cases
from .metrics import JUDGE_METRICS, LOWER_IS_BETTER, CaseResult, by_category, score, summarise
from .runner import Run, compare, evaluate, parse_thresholds, run_case, shortfalls

__all__ = ["CATEGORIES", "CaseResult", "EvalCase", "EvalSetError", "JUDGE_METRICS", "LOWER_IS_BETTER", "Run",
           "by_category", "compare", "default_sets", "evaluate", "load_cases", "parse_thresholds", "run_case",
           "score", "shortfalls", "summarise"]
