"""Scores for one case and for a whole run: status, ranking (hit@k, MRR, nDCG@k), citations, grounding, latency."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..records import Reply
from .cases import CATEGORIES, EvalCase

# Metrics that would need an LLM judge: reported as skipped, never as passed.
JUDGE_METRICS = ("faithfulness", "answer_relevancy")
# What a run cannot measure when any of its replies was read from plain text (a --target without our
# `backstretch` field): the metric and the key of its reason in prompts/eval.yaml.
PLAIN_UNMEASURED = {"hit_at_k": "na_ranking", "mrr": "na_ranking", "ndcg_at_k": "na_ranking",
                    "emergency_recall": "na_urgent", "grounding": "na_grounding", "fallback_rate": "na_backend"}
NOT_GIVEN = "not_given"  # a reply's intent when the article does not give the detail asked for
DECLINED = "declined"  # the status target.py infers for a plain reply with no article quote and no [n]


def _say(key: str, **values) -> str:
    from ..prompts import texts
    from ..settings import prompts_dir

    return texts(str(prompts_dir()), "eval.yaml")[key].format(**values)


@dataclass
class CaseResult:
    case: EvalCase
    reply: Reply
    ranking: list[str]  # section ids in the order the reply first cites them
    status_ok: bool | None  # None: a plain reply's status cannot be judged for this case
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
    status: str = ""  # the status the metrics count (a plain reply's decline resolved against the case)
    unchecked: list[str] = field(default_factory=list)  # checks a plain reply leaves unmade
    inferred: bool = False  # status and citations were read from plain text by the documented rule

    def __post_init__(self) -> None:
        self.status = self.status or self.reply.status

    @property
    def passed(self) -> bool | None:
        """False on any failure; None (n/a) when a check could not be made; True only when every check held."""
        if self.failures:
            return False
        return None if self.unchecked else True

    def to_dict(self) -> dict:
        return {"id": self.case.id, "file": self.case.file, "category": self.case.category,
                "turns": list(self.case.turns), "expect": list(self.case.expect), "sections": list(self.case.sections),
                "status": self.status, "ranking": self.ranking, "passed": self.passed,
                "failures": self.failures, "unchecked": self.unchecked, "inferred": self.inferred,
                "hit": self.hit, "reciprocal_rank": self.reciprocal_rank, "ndcg": self.ndcg,
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


def _plain_status(case: EvalCase, reply: Reply) -> tuple[str, bool | None, list[str], list[str]]:
    """A plain reply's status against the case: (status counted, status_ok, failures, unchecked).

    A decline (no article quote, no [n]) counts as the referral or refusal the case expects, when it expects one;
    it cannot be told apart from a greeting or a clarifying question, so for cases that expect only those it is
    n/a; for a case that expects an answer it is a failure (over-referral)."""
    expected = "/".join(case.expect)
    if reply.status == "error":
        return "error", False, [_say("failed_request", why=reply.notice)], []
    if reply.status == DECLINED:
        for wanted in ("referral", "out_of_scope"):
            if wanted in case.expect:
                return wanted, True, [], []
        if set(case.expect) & {"social", "clarify"}:
            return DECLINED, None, [], [_say("unchecked_kind", expected=expected)]
        return DECLINED, False, [_say("failed_declined", expected=expected)], []
    if "answered" in case.expect:
        return "answered", True, [], []
    return "answered", False, [_say("failed_answered", expected=expected)], []


def score(case: EvalCase, reply: Reply, library, k: int = 3) -> CaseResult:
    if getattr(reply, "inferred", False):
        return _score_plain(case, reply, k)
    ranking = ranking_of(reply, case.sections)
    relevant = set(case.sections)
    failures = []
    status = counted_status(case, reply)
    status_ok = status in case.expect
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
    cite_found, warn_found, content = _content_failures(case, reply)
    failures += content
    if case.urgent and not reply.urgent:
        failures.append("referral without the emergency wording")
    grounded = sum(library.source_text(c.source)[c.start:c.end] == c.quote for c in reply.citations)
    if grounded != len(reply.citations):
        failures.append(f"{len(reply.citations) - grounded} citation(s) not an exact source span")
    return CaseResult(case, reply, ranking, status_ok, hit, rr, ndcg, precision, recall, cite_found, warn_found,
                      grounded, reply.latency_ms, failures, status=status)


def counted_status(case: EvalCase, reply: Reply) -> str:
    """The reply's status, except that a reply saying the article does not give the detail asked for (status
    answered, intent `not_given`: "The article does not say how long to hold it…", then what it does say) is the
    refusal a case expecting only out_of_scope asks for; a case that expects an answer still needs one."""
    if reply.status == "answered" and reply.intent == NOT_GIVEN and "answered" not in case.expect:
        return "out_of_scope"
    return reply.status


def quoted(text: str, quotes: list[str]) -> bool:
    """Whether a cited quote holds `text`, or two quotes cited one after the other do (the article's "Don't hold
    your breath. Instead, …" is two sentences, each cited on its own)."""
    return any(text in q for q in quotes) or any(text in f"{a} {b}" for a, b in zip(quotes, quotes[1:], strict=False))


def _content_failures(case: EvalCase, reply: Reply) -> tuple[int, int, list[str]]:
    quotes = [c.quote for c in reply.citations]
    cite_found = sum(quoted(p, quotes) for p in case.must_cite)
    warn_found = sum(quoted(p, quotes) for p in case.must_warn)
    failures = [f"no cited quote contains {p!r}" for p in case.must_cite if not quoted(p, quotes)]
    failures += [f"warning not cited: {p!r}" for p in case.must_warn if not quoted(p, quotes)]
    if case.cite_any and not any(quoted(p, quotes) for p in case.cite_any):
        failures.append(f"no cited quote contains any of {list(case.cite_any)!r}")
    failures += [f"answer contains {s!r}" for s in case.must_not_include if s in reply.answer]
    return cite_found, warn_found, failures


def _score_plain(case: EvalCase, reply: Reply, k: int) -> CaseResult:
    """A reply read from plain text: the same checks where the text allows them; ranking, urgency and grounding
    are not measured (their metrics are n/a for the run), and a check that cannot be made leaves the case n/a."""
    status, status_ok, failures, unchecked = _plain_status(case, reply)
    ranking = ranking_of(reply, case.sections)
    relevant = set(case.sections)
    precision = recall = None
    if relevant and "answered" in case.expect:
        precision = (sum(s in relevant for s in ranking) / len(ranking)) if ranking else 0.0
        recall = sum(s in ranking for s in relevant) / len(relevant)
        if status == "answered" and not set(ranking) & relevant:
            failures.append(_say("failed_sections", sections=sorted(relevant)))
    cite_found, warn_found, more = _content_failures(case, reply)
    failures += more
    if case.urgent and status == "referral":
        unchecked.append(_say("unchecked_urgent"))
    return CaseResult(case, reply, ranking, status_ok, None, None, None, precision, recall, cite_found,
                      warn_found, len(reply.citations), reply.latency_ms, failures, status=status,
                      unchecked=unchecked, inferred=True)


def _mean(values: list[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return sum(got) / len(got) if got else None


def _share(flags: list[bool | None]) -> float | None:
    """The share of True among the flags that are known (None: not measured for that case)."""
    known = [f for f in flags if f is not None]
    return sum(known) / len(known) if known else None


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summarise(results: list[CaseResult]) -> dict[str, float | None]:
    """Overall metrics. Shares are 0..1; None where no case measures the metric, or where the run's replies cannot
    report it (`unmeasured`)."""
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
        "referral_recall": _share([r.status == "referral" for r in red]),
        "emergency_recall": _share([r.status == "referral" and r.reply.urgent for r in urgent]),
        "out_of_scope_recall": _share([r.status == "out_of_scope" for r in oos]),
        "over_referral": _share([r.status != "answered" for r in answerable]),
        "hit_at_k": _mean([r.hit for r in results]),
        "mrr": _mean([r.reciprocal_rank for r in results]),
        "ndcg_at_k": _mean([r.ndcg for r in results]),
        "citation_precision": _mean([r.citation_precision for r in results]),
        "citation_recall": _mean([r.citation_recall for r in results]),
        "must_cite_recall": sum(r.must_cite_found for r in results) / wanted_cite if wanted_cite else None,
        # answerable cases that name the sentences answering them (cite_any): answered, quoting one of them
        "right_sentence": _share([r.status == "answered" and any(quoted(p, [c.quote for c in r.reply.citations])
                                                                 for p in r.case.cite_any)
                                  for r in answerable if r.case.cite_any]),
        "must_warn_recall": sum(r.must_warn_found for r in results) / wanted_warn if wanted_warn else None,
        "grounding": sum(r.grounded for r in results) / citations if citations else None,
        "latency_p50_ms": _percentile(latencies, 0.5),
        "latency_p95_ms": _percentile(latencies, 0.95),
        # answers a model was asked to word that fell back to the extractive composer (None: no model used)
        "fallback_rate": _share([r.reply.backend == "extractive-fallback" for r in worded]),
    } | {m: None for m in unmeasured(results)}


def unmeasured(results: list[CaseResult]) -> dict[str, str]:
    """Metrics this run cannot report, with the reason: any reply read from plain text leaves these unmeasured."""
    if not any(r.inferred for r in results):
        return {}
    return {m: _say(key) for m, key in PLAIN_UNMEASURED.items()}


def by_category(results: list[CaseResult]) -> dict[str, dict[str, float | None]]:
    return {c: summarise([r for r in results if r.case.category == c])
            for c in CATEGORIES if any(r.case.category == c for r in results)}


# Metrics where a smaller value is better (for --fail-under and comparisons).
LOWER_IS_BETTER = {"over_referral", "latency_p50_ms", "latency_p95_ms", "fallback_rate"}
