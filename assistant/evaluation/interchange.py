"""Question sets in other tools' formats: promptfoo YAML (export and import) and DeepEval LLMTestCase JSON (export).

promptfoo (https://promptfoo.dev/docs/configuration/reference/): one OpenAI provider (`openai:chat:<model>` with
`config.apiBaseUrl`) pointed at our endpoint, the prompt `{{ messages | dump }}` (chat messages, as promptfoo's
"chat threads" page shows), and one test per case: `vars.messages` holds the case's user turns (the earlier ones are
the history our endpoint replays), its asserts come from the case, and `metadata` keeps what no assert expresses
(id, category, expected status, sections, urgency) so an import gives the same case back:

- must_cite -> `icontains-all` (metric must_cite), must_warn -> `icontains-all` (metric must_warn),
  cite_any -> `icontains-any`, must_not_include -> `not-icontains-any`;
- a case that expects only a referral or refusal -> `not-regex` `\\[\\d+\\]` (metric status): our inference rule
  for plain replies, no citation marker; a case that expects only an answer -> `regex` `\\[\\d+\\]`.

promptfoo checks the whole output case-insensitively; we check the cited quotes exactly. With our endpoint the two
agree in practice, because its text lists every quote under "Sources:".

DeepEval (https://deepeval.com/docs/evaluation-test-cases): a JSON list of LLMTestCase fields: `input` (the last
turn), `actual_output` null (the system under test fills it), `expected_output` (the article passages that hold the
phrases a right answer cites, or what a referral/refusal should say), `context` (the full text of the expected
sections, the ground truth), `retrieval_context` null, `name`, `tags` and `additional_metadata` (the whole case).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .cases import CATEGORIES, EvalCase, EvalSetError, case_dict, cases_from

MARKER_REGEX = r"\[\d+\]"
DECLINES = {"referral", "out_of_scope"}


def _say(key: str, **values) -> str:
    from .metrics import _say as say

    return say(key, **values)


def _texts() -> dict:
    from ..prompts import texts
    from ..settings import prompts_dir

    return texts(str(prompts_dir()), "eval.yaml")


def promptfoo_test(case: EvalCase) -> dict:
    asserts: list[dict] = []
    for key, kind in (("must_cite", "icontains-all"), ("must_warn", "icontains-all"), ("cite_any", "icontains-any"),
                      ("must_not_include", "not-icontains-any")):
        if getattr(case, key):
            asserts.append({"type": kind, "value": list(getattr(case, key)), "metric": key})
    if set(case.expect) <= DECLINES:
        asserts.append({"type": "not-regex", "value": MARKER_REGEX, "metric": "status"})
    elif case.expect == ("answered",):
        asserts.append({"type": "regex", "value": MARKER_REGEX, "metric": "status"})
    metadata: dict[str, object] = {"id": case.id, "category": case.category, "expect": list(case.expect)}
    if case.sections:
        metadata["sections"] = list(case.sections)
    if case.urgent:
        metadata["urgent"] = True
    return {"description": case.id, "vars": {"messages": [{"role": "user", "content": t} for t in case.turns]},
            "assert": asserts, "metadata": metadata}


def promptfoo_config(cases: list[EvalCase], base_url: str, model: str) -> dict:
    sets = ", ".join(dict.fromkeys(c.file for c in cases if c.file)) or "-"
    return {
        "description": _say("promptfoo_description", sets=sets, count=len(cases)),
        "prompts": ["{{ messages | dump }}"],
        "providers": [{"id": f"openai:chat:{model}", "label": model,
                       "config": {"apiBaseUrl": base_url, "apiKey": "none", "temperature": 0}}],
        "tests": [promptfoo_test(c) for c in cases],
    }


def to_promptfoo(cases: list[EvalCase], base_url: str, model: str) -> str:
    import yaml

    head = "".join(f"# {line}\n" for line in _say("promptfoo_header").splitlines())
    return head + yaml.safe_dump(promptfoo_config(cases, base_url, model), sort_keys=False, allow_unicode=True,
                                 width=120)


def _passages_with(library, phrases: tuple[str, ...], sections: tuple[str, ...]) -> list[str]:
    """The article passages that contain any of the phrases, those of the expected sections first."""
    ordered = sorted(library.passages, key=lambda p: (p.section_id not in sections, p.order))
    return list(dict.fromkeys(p.text for p in ordered if any(ph in p.text for ph in phrases)))


def deepeval_case(case: EvalCase, library) -> dict:
    texts = _texts()["deepeval_expected"]
    if "answered" in case.expect:
        found = _passages_with(library, case.must_cite + case.cite_any + case.must_warn, case.sections)
        expected = " ".join(found) or None
    else:
        expected = texts.get(case.expect[0])
    context = [p.text for s in case.sections if s in {x.id for x in library.sections + library.general}
               for p in library.section(s).passages]
    return {"name": case.id, "input": case.question, "actual_output": None, "expected_output": expected,
            "context": context or None, "retrieval_context": None, "tags": [case.category],
            "additional_metadata": {**case_dict(case), "file": case.file}}


def to_deepeval(cases: list[EvalCase], library) -> str:
    return json.dumps([deepeval_case(c, library) for c in cases], indent=2, ensure_ascii=False) + "\n"


# ---- import ----

@dataclass
class ImportResult:
    cases: list[EvalCase] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)  # one line per test or assert that did not map

    def yaml(self) -> str:
        import yaml

        return yaml.safe_dump({"cases": [case_dict(c) for c in self.cases]}, sort_keys=False, allow_unicode=True,
                              width=120)


def _turns(variables: dict) -> list[str]:
    messages = variables.get("messages")
    if isinstance(messages, list):
        users = [m.get("content") for m in messages if isinstance(m, dict) and m.get("role") == "user"]
        return [u for u in users if isinstance(u, str) and u.strip()]
    for key in ("question", "query", "input", "prompt"):
        if isinstance(variables.get(key), str) and variables[key].strip():
            return [variables[key]]
    return []


def _values(value) -> list[str] | None:
    if isinstance(value, str) and not value.startswith("file://"):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


def _map_assert(a: dict, raw: dict) -> str | None:
    """Fold one promptfoo assert into a case's raw dict; the reason it does not map, or None."""
    kind = str(a.get("type", ""))
    values = _values(a.get("value"))
    metric = a.get("metric")
    if kind in ("regex", "not-regex") and a.get("value") == MARKER_REGEX:
        raw.setdefault("expect", "answered" if kind == "regex" else ["referral", "out_of_scope"])
        return None
    key = {"icontains-all": "must_cite", "contains-all": "must_cite", "icontains": "must_cite",
           "contains": "must_cite", "icontains-any": "cite_any", "contains-any": "cite_any",
           "not-icontains-any": "must_not_include", "not-contains-any": "must_not_include",
           "not-icontains": "must_not_include", "not-contains": "must_not_include"}.get(kind)
    if key is None:
        return "kind"
    if values is None:
        return "value"
    if key == "must_cite" and metric == "must_warn":
        key = "must_warn"
    raw.setdefault(key, []).extend(v for v in values if v not in raw.get(key, []))
    return None


def from_promptfoo(path: Path, taken: set[str] | None = None) -> ImportResult:
    """promptfoo tests as cases where they map cleanly; every test or assert that does not is listed, not dropped
    silently. Our own exports (with `metadata`) come back as the same cases."""
    import yaml

    from ..yamlfile import safe_load

    try:
        data = safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise EvalSetError(f"{path}: cannot read promptfoo config: {str(exc).splitlines()[0]}") from None
    result = ImportResult()
    if not isinstance(data, dict):
        raise EvalSetError(f"{Path(path).name}: a promptfoo config is a mapping with a 'tests' list")
    tests = data.get("tests") or []
    if isinstance(tests, str):
        result.unmapped.append(_say("unmapped_tests_file", ref=tests))
        return result
    given_default = data.get("defaultTest")
    default: dict = given_default if isinstance(given_default, dict) else {}
    raws, ids = [], set(taken or ())
    for n, test in enumerate(tests, start=1):
        if not isinstance(test, dict):
            result.unmapped.append(_say("unmapped_test", n=n, name="?", why="a test must be a mapping"))
            continue
        given = test.get("metadata")
        meta: dict = given if isinstance(given, dict) else {}
        name = str(meta.get("id") or test.get("description") or f"promptfoo-{n}")
        turns = _turns({**(default.get("vars") or {}), **(test.get("vars") or {})})
        if not turns:
            result.unmapped.append(_say("unmapped_test", n=n, name=name, why=_say("unmapped_question")))
            continue
        ident = str(meta.get("id") or _slug(str(test.get("description") or "")) or f"promptfoo-{n}")
        while ident in ids:
            ident += f"-{n}"
        ids.add(ident)
        raw: dict = {"id": ident, "turns": turns,
                     "category": meta.get("category") if meta.get("category") in CATEGORIES else "howto"}
        for a in list(default.get("assert") or []) + list(test.get("assert") or []):
            if not isinstance(a, dict):
                continue
            why = _map_assert(a, raw)
            if why == "kind":
                result.unmapped.append(_say("unmapped_assert", n=n, name=name, kind=a.get("type")))
            elif why == "value":
                result.unmapped.append(_say("unmapped_value", n=n, name=name, kind=a.get("type"),
                                            value=a.get("value")))
        if meta.get("expect"):
            raw["expect"] = meta["expect"]
        for key in ("sections", "urgent"):
            if key in meta:
                raw[key] = meta[key]
        raws.append(raw)
    result.cases = cases_from({"cases": raws}, Path(path).name)
    return result
