"""Question sets (evals/*.yaml): cases loaded with strict keys."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import BackstretchError

CASE_KEYS = {"id", "question", "turns", "category", "expect", "sections", "must_cite", "cite_any", "must_warn",
             "must_not_include", "urgent"}
CATEGORIES = ("howto", "detail", "safety", "region", "compare", "out_of_scope", "red_flag", "near_miss", "followup",
              "social", "adversarial")
STATUSES = {"answered", "out_of_scope", "referral", "clarify", "social"}


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
    cite_any: tuple[str, ...] = ()  # some cited quote contains at least one of these
    urgent: bool = False  # a referral that must carry the emergency wording
    file: str = ""

    @property
    def question(self) -> str:
        return self.turns[-1]


def default_sets(folder: Path) -> list[Path]:
    return sorted(Path(folder).glob("*.yaml"))


def _strings(raw: dict, key: str) -> tuple[str, ...]:
    return tuple(map(str, raw.get(key) or ()))


def load_cases(paths: list[Path]) -> list[EvalCase]:
    """Every case of every file, checked: an unknown key, category or status names the file and case."""
    import yaml

    from ..yamlfile import safe_load

    cases: list[EvalCase] = []
    seen: set[str] = set()
    for path in paths:
        try:
            data = safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise EvalSetError(f"{path}: cannot read question set: {str(exc).splitlines()[0]}") from None
        cases += cases_from(data, Path(path).name, seen)
    return cases


def cases_from(data, name: str, seen: set[str] | None = None) -> list[EvalCase]:
    """The cases of one parsed set (a mapping with a 'cases' list), checked as strictly as a file's."""
    if not isinstance(data, dict):
        raise EvalSetError(f"{name}: a question set is a mapping with a 'cases' list")
    seen = set() if seen is None else seen
    cases: list[EvalCase] = []
    for i, raw in enumerate(data.get("cases") or []):
        where = f"{name} case {raw.get('id', i + 1) if isinstance(raw, dict) else i + 1}"
        if not isinstance(raw, dict):
            raise EvalSetError(f"{where}: a case must be a mapping")
        unknown = set(raw) - CASE_KEYS
        if unknown:
            raise EvalSetError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        turns = raw.get("turns") or ([raw["question"]] if raw.get("question") else [])
        if not raw.get("id") or not turns or raw.get("category") not in CATEGORIES:
            raise EvalSetError(f"{where}: needs id, question or turns, and a category from {list(CATEGORIES)}")
        expect = raw.get("expect", "answered")
        expect = tuple(expect) if isinstance(expect, list) else (expect,)
        if set(expect) - STATUSES:
            raise EvalSetError(f"{where}: expect must be among {sorted(STATUSES)}")
        if raw["id"] in seen:
            raise EvalSetError(f"{where}: duplicate id")
        if not isinstance(raw.get("urgent", False), bool):
            raise EvalSetError(f"{where}: urgent must be true or false")
        seen.add(raw["id"])
        cases.append(EvalCase(str(raw["id"]), tuple(map(str, turns)), raw["category"], expect,
                              sections=_strings(raw, "sections"), must_cite=_strings(raw, "must_cite"),
                              must_warn=_strings(raw, "must_warn"), must_not_include=_strings(raw, "must_not_include"),
                              cite_any=_strings(raw, "cite_any"), urgent=bool(raw.get("urgent", False)), file=name))
    return cases


def case_dict(case: EvalCase) -> dict:
    """A case as a set file writes it (the keys load_cases reads; empty ones left out)."""
    out: dict = {"id": case.id, "category": case.category}
    out.update({"question": case.turns[0]} if len(case.turns) == 1 else {"turns": list(case.turns)})
    out["expect"] = case.expect[0] if len(case.expect) == 1 else list(case.expect)
    for key in ("sections", "must_cite", "cite_any", "must_warn", "must_not_include"):
        if getattr(case, key):
            out[key] = list(getattr(case, key))
    if case.urgent:
        out["urgent"] = True
    return out
