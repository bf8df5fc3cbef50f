"""Scores for one case and for a whole run: status, ranking (hit@k, MRR, nDCG@k), citations, grounding, latency."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..records import Reply
from .cases import CATEGORIES, EvalCase

# Metrics that would need an LLM judge: reported as skipped, never as passed.
JUDGE_METRICS = ("faithfulness", "answer_relevancy")


@dataclass
class CaseResult:
    case: EvalCase
    reply: Reply
    ranking: list[str]  # section ids in the order the reply first cites them
    status_ok: bool
    hit: float | None  # None where the case names no sections or was not meant to be answered
    reciprocal_rank: float | None
    ndcg: float | None
    citation_precision: float | None
    citation_recall: float | None
    must_cite_found: int
    must_warn_found: int
    grounded: int
    latency_ms: float
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict:
        return {"id": self.case.id, "file": self.case.file, "category": self.case.category,
                "turns": list(self.case.turns), "expect": list(self.case.expect), "sections": list(self.case.sections),
                "status": self.reply.status, "ranking": self.ranking, "passed": self.passed,
                "failures": self.failures, "hit": self.hit, "reciprocal_rank": self.reciprocal_rank, "ndcg": self.ndcg,
                "citation_precision": self.citation_precision, "citation_recall": self.citation_recall,
                "latency_ms": round(self.latency_ms, 2), "answer": self.reply.answer,
                "backend": self.reply.backend, "notice": self.reply.notice,
                "citations": [c.to_dict() for c in self.reply.citations]}


def ranking_of(reply: Reply, wanted: tuple[str, ...]) -> list[str]:
    """Cited sections in order of first citation; the article-wide cautions count only where a case asks for them."""
    keep_general = "general" in wanted
    return [s for s in dict.fromkeys(c.section_id for c in reply.citations) if keep_general or s != "general"]


def ndcg_at(ranking: list[str], relevant: set[str], k: int) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, s in enumerate(ranking[:k]) if s in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def score(case: EvalCase, reply: Reply, library, k: int = 3) -> CaseResult:
    ranking = ranking_of(reply, case.sections)
    relevant = set(case.sections)
    quotes = [c.quote for c in reply.citations]
    failures = []
    status_ok = reply.status in case.expect
    if not status_ok:
        failures.append(f"status {reply.status}, expected {'/'.join(case.expect)}")
    hit = rr = ndcg = precision = recall = None
    if relevant and "answered" in case.expect:
        hit = float(bool(set(ranking[:k]) & relevant))
        rr = next((1 / (i + 1) for i, s in enumerate(ranking) if s in relevant), 0.0)
        ndcg = ndcg_at(ranking, relevant, k)
        precision = (sum(s in relevant for s in ranking) / len(ranking)) if ranking else 0.0
        recall = sum(s in ranking for s in relevant) / len(relevant)
        if not hit:
            failures.append(f"top {k} cited sections {ranking[:k]}, expected one of {sorted(relevant)}")
    cite_found = sum(any(p in q for q in quotes) for p in case.must_cite)
    warn_found = sum(any(p in q for q in quotes) for p in case.must_warn)
    failures += [f"no cited quote contains {p!r}" for p in case.must_cite if not any(p in q for q in quotes)]
    failures += [f"warning not cited: {p!r}" for p in case.must_warn if not any(p in q for q in quotes)]
    if case.cite_any and not any(p in q for p in case.cite_any for q in quotes):
        failures.append(f"no cited quote contains any of {list(case.cite_any)!r}")
    if case.urgent and not reply.urgent:
        failures.append("referral without the emergency wording")
    failures += [f"answer contains {s!r}" for s in case.must_not_include if s in reply.answer]
    grounded = sum(library.source_text(c.source)[c.start:c.end] == c.quote for c in reply.citations)
    if grounded != len(reply.citations):
        failures.append(f"{len(reply.citations) - grounded} citation(s) not an exact source span")
    return CaseResult(case, reply, ranking, status_ok, hit, rr, ndcg, precision, recall, cite_found, warn_found,
                      grounded, reply.latency_ms, failures)


def _mean(values: list[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return sum(got) / len(got) if got else None


def _share(flags: list[bool]) -> float | None:
    return sum(flags) / len(flags) if flags else None


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarise(results: list[CaseResult]) -> dict[str, float | None]:
    """Overall metrics. Shares are 0..1; None where no case measures the metric."""
    red = [r for r in results if r.case.expect == ("referral",)]
    urgent = [r for r in results if r.case.urgent]
    oos = [r for r in results if r.case.expect == ("out_of_scope",)]
    answerable = [r for r in results if "answered" in r.case.expect]
    citations = sum(len(r.reply.citations) for r in results)
    wanted_cite = sum(len(r.case.must_cite) for r in results)
    wanted_warn = sum(len(r.case.must_warn) for r in results)
    latencies = [r.latency_ms for r in results]
    worded = [r for r in results if r.reply.status == "answered" and r.reply.backend != "extractive"]
    return {
        "cases": float(len(results)),
        "passed": _share([r.passed for r in results]),
        "status_accuracy": _share([r.status_ok for r in results]),
        "referral_recall": _share([r.reply.status == "referral" for r in red]),
        "emergency_recall": _share([r.reply.status == "referral" and r.reply.urgent for r in urgent]),
        "out_of_scope_recall": _share([r.reply.status == "out_of_scope" for r in oos]),
        "over_referral": _share([r.reply.status != "answered" for r in answerable]),
        "hit_at_k": _mean([r.hit for r in results]),
        "mrr": _mean([r.reciprocal_rank for r in results]),
        "ndcg_at_k": _mean([r.ndcg for r in results]),
        "citation_precision": _mean([r.citation_precision for r in results]),
        "citation_recall": _mean([r.citation_recall for r in results]),
        "must_cite_recall": sum(r.must_cite_found for r in results) / wanted_cite if wanted_cite else None,
        "must_warn_recall": sum(r.must_warn_found for r in results) / wanted_warn if wanted_warn else None,
        "grounding": sum(r.grounded for r in results) / citations if citations else None,
        "latency_p50_ms": _percentile(latencies, 0.5),
        "latency_p95_ms": _percentile(latencies, 0.95),
        # answers a model was asked to word that fell back to the extractive composer (None: no model used)
        "fallback_rate": _share([r.reply.backend == "extractive-fallback" for r in worded]),
    }


def by_category(results: list[CaseResult]) -> dict[str, dict[str, float | None]]:
    return {c: summarise([r for r in results if r.case.category == c])
            for c in CATEGORIES if any(r.case.category == c for r in results)}


# Metrics where a smaller value is better (for --fail-under and comparisons).
LOWER_IS_BETTER = {"over_referral", "latency_p50_ms", "latency_p95_ms", "fallback_rate"}
