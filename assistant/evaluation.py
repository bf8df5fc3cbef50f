"""Question sets (evals/*.yaml): load with strict keys, run through the Assistant, score each case."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import BackstretchError
from .records import Reply

CASE_KEYS = {"id", "question", "turns", "category", "expect", "sections", "must_cite", "must_warn", "must_not_include"}
CATEGORIES = {"howto", "detail", "safety", "region", "out_of_scope", "red_flag", "followup", "adversarial"}
STATUSES = {"answered", "out_of_scope", "referral"}


class EvalSetError(BackstretchError):
    exit_code = 2


@dataclass(frozen=True)
class EvalCase:
    id: str
    turns: tuple[str, ...]
    category: str
    expect: tuple[str, ...]
    sections: tuple[str, ...] = ()
    must_cite: tuple[str, ...] = ()
    must_warn: tuple[str, ...] = ()
    must_not_include: tuple[str, ...] = ()
    file: str = ""

    @property
    def question(self) -> str:
        return self.turns[-1]


@dataclass
class CaseResult:
    case: EvalCase
    reply: Reply
    status_ok: bool
    section_hit: bool | None  # None where the case names no sections
    cited_sections: list[str]
    must_cite_found: int
    must_warn_found: int
    excluded_ok: bool
    grounded: int  # citations whose quote is the exact source span
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


def load_cases(paths: list[Path]) -> list[EvalCase]:
    import yaml

    cases: list[EvalCase] = []
    seen: set[str] = set()
    for path in paths:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise EvalSetError(f"{path}: cannot read question set: {str(exc).splitlines()[0]}") from None
        for i, raw in enumerate(data.get("cases") or []):
            where = f"{Path(path).name} case {raw.get('id', i + 1) if isinstance(raw, dict) else i + 1}"
            if not isinstance(raw, dict):
                raise EvalSetError(f"{where}: a case must be a mapping")
            unknown = set(raw) - CASE_KEYS
            if unknown:
                raise EvalSetError(f"{where}: unknown key {sorted(unknown)[0]!r}")
            turns = raw.get("turns") or ([raw["question"]] if raw.get("question") else [])
            if not raw.get("id") or not turns or raw.get("category") not in CATEGORIES:
                raise EvalSetError(f"{where}: needs id, question or turns, and a category from {sorted(CATEGORIES)}")
            expect = raw.get("expect", "answered")
            expect = tuple(expect) if isinstance(expect, list) else (expect,)
            if set(expect) - STATUSES:
                raise EvalSetError(f"{where}: expect must be among {sorted(STATUSES)}")
            if raw["id"] in seen:
                raise EvalSetError(f"{where}: duplicate id")
            seen.add(raw["id"])
            cases.append(EvalCase(str(raw["id"]), tuple(map(str, turns)), raw["category"], expect,
                                  *(tuple(map(str, raw.get(k) or ())) for k in
                                    ("sections", "must_cite", "must_warn", "must_not_include")),
                                  file=Path(path).name))
    return cases


def run_case(bot, case: EvalCase) -> CaseResult:
    history: list[Reply] = []
    for turn in case.turns:
        history.append(bot.ask(turn, history))
    reply = history[-1]
    return score(case, reply, bot.library)


def score(case: EvalCase, reply: Reply, library) -> CaseResult:
    cited = list(dict.fromkeys(c.section_id for c in reply.citations))
    quotes = [c.quote for c in reply.citations]
    warnings = [c.quote for c in reply.citations if c.kind == "warning"]
    failures = []
    status_ok = reply.status in case.expect
    if not status_ok:
        failures.append(f"status {reply.status}, expected {'/'.join(case.expect)}")
    hit = None
    if case.sections and reply.status == "answered":
        hit = bool(set(cited) & set(case.sections))
        if not hit:
            failures.append(f"cited {cited}, expected one of {list(case.sections)}")
    cite_found = sum(any(p in q for q in quotes) for p in case.must_cite)
    warn_found = sum(any(p in q for q in warnings) for p in case.must_warn)
    failures += [f"no cited quote contains {p!r}" for p in case.must_cite if not any(p in q for q in quotes)]
    failures += [f"no cited warning contains {p!r}" for p in case.must_warn if not any(p in q for q in warnings)]
    excluded_ok = not any(s in reply.answer for s in case.must_not_include)
    if not excluded_ok:
        failures.append("answer contains a forbidden string")
    grounded = sum(library.source_text(c.source)[c.start:c.end] == c.quote for c in reply.citations)
    if grounded != len(reply.citations):
        failures.append("a citation is not an exact source span")
    return CaseResult(case, reply, status_ok, hit, cited, cite_found, warn_found, excluded_ok, grounded, failures)


def summarise(results: list[CaseResult]) -> dict[str, float]:
    """Overall metrics; each is a share between 0 and 1."""

    def share(xs: list[bool]) -> float:
        return sum(xs) / len(xs) if xs else 1.0

    red = [r for r in results if r.case.expect == ("referral",)]
    oos = [r for r in results if r.case.expect == ("out_of_scope",)]
    answerable = [r for r in results if "answered" in r.case.expect]
    citations = sum(len(r.reply.citations) for r in results)
    return {
        "cases": float(len(results)),
        "status_accuracy": share([r.status_ok for r in results]),
        "referral_recall": share([r.reply.status == "referral" for r in red]),
        "out_of_scope_recall": share([r.reply.status == "out_of_scope" for r in oos]),
        "over_referral": 1.0 - share([r.reply.status == "answered" for r in answerable]),
        "section_hit": share([bool(r.section_hit) for r in results if r.section_hit is not None]),
        "must_cite_recall": _recall(results, "must_cite", "must_cite_found"),
        "must_warn_recall": _recall(results, "must_warn", "must_warn_found"),
        "grounding": (sum(r.grounded for r in results) / citations) if citations else 1.0,
        "passed": share([r.passed for r in results]),
    }


def _recall(results: list[CaseResult], key: str, found: str) -> float:
    wanted = sum(len(getattr(r.case, key)) for r in results)
    return sum(getattr(r, found) for r in results) / wanted if wanted else 1.0
