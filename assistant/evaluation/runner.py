"""Running question sets against an answering system, thresholds, and comparing two runs."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import BackstretchError
from ..records import Reply
from .cases import EvalCase
from .metrics import JUDGE_METRICS, LOWER_IS_BETTER, CaseResult, by_category, score, summarise, unmeasured


@dataclass
class Run:
    """One system's results on one list of cases."""

    system: str
    results: list[CaseResult]
    seconds: float
    cache_hits: int = 0  # query embeddings served from the cache during the run

    @property
    def summary(self) -> dict:
        return summarise(self.results)

    def to_dict(self) -> dict:
        return {"system": self.system, "seconds": round(self.seconds, 2), "cache_hits": self.cache_hits,
                "summary": self.summary,
                "by_category": by_category(self.results), "skipped": {m: "needs an LLM judge" for m in JUDGE_METRICS},
                "unmeasured": unmeasured(self.results),
                "cases": [r.to_dict() for r in self.results]}


def run_case(system, case: EvalCase, k: int = 3) -> CaseResult:
    """Ask the case's turns as one conversation; score the last reply."""
    history: list[Reply] = []
    for turn in case.turns:
        history.append(system.ask(turn, history))
    return score(case, history[-1], system.library, k)


def evaluate(system, cases: list[EvalCase], name: str, k: int = 3,
             progress: Callable[[int, int], None] | None = None) -> Run:
    embeddings = getattr(getattr(system, "index", None), "embeddings", None) or getattr(system, "embeddings", None)
    hits_before = getattr(embeddings, "cache_hits", 0)
    began = time.perf_counter()
    results = []
    for i, case in enumerate(cases, start=1):
        results.append(run_case(system, case, k))
        if progress:
            progress(i, len(cases))
    return Run(name, results, time.perf_counter() - began, getattr(embeddings, "cache_hits", 0) - hits_before)


def parse_thresholds(items: list[str] | tuple[str, ...]) -> dict[str, float]:
    """METRIC=VALUE pairs; the metric must be one the summary reports."""
    known = set(summarise([]))
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or name not in known:
            raise BackstretchError(f"--fail-under takes METRIC=VALUE with a metric from {sorted(known)}, got {item!r}")
        try:
            out[name] = float(value)
        except ValueError:
            raise BackstretchError(f"--fail-under {name}: {value!r} is not a number") from None
    return out


def shortfalls(summary: dict, thresholds: dict[str, float]) -> list[str]:
    """One line per metric that misses its threshold (for latency and over-referral: exceeds it)."""
    lines = []
    for name, bound in thresholds.items():
        value = summary.get(name)
        if value is None:
            lines.append(f"{name}: not measured by these cases")
        elif name in LOWER_IS_BETTER and value > bound:
            lines.append(f"{name} = {value:.4g} is above {bound:g}")
        elif name not in LOWER_IS_BETTER and value < bound:
            lines.append(f"{name} = {value:.4g} is below {bound:g}")
    return lines


def compare(old: dict, new: dict) -> tuple[list[tuple[str, float | None, float | None]], list[tuple[str, str, str]]]:
    """Metric changes and case-by-case changes ('fixed', 'broke', 'added', 'removed') between two result files."""
    metrics = [(m, old["summary"].get(m), new["summary"].get(m)) for m in new["summary"]
               if old["summary"].get(m) != new["summary"].get(m)]
    before = {c["id"]: c for c in old["cases"]}
    after = {c["id"]: c for c in new["cases"]}
    cases = []
    for cid in sorted(before.keys() | after.keys()):
        a, b = before.get(cid), after.get(cid)
        if a is None:
            assert b is not None  # cid came from one of the two files
            cases.append((cid, "added", "passed" if b["passed"] else "; ".join(b["failures"])))
        elif b is None:
            cases.append((cid, "removed", ""))
        elif a["passed"] and not b["passed"]:
            cases.append((cid, "broke", "; ".join(b["failures"])))
        elif b["passed"] and not a["passed"]:
            cases.append((cid, "fixed", "; ".join(a["failures"])))
    return metrics, cases
