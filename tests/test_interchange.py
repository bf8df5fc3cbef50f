"""Question sets in promptfoo's and DeepEval's formats: the export has the documented shape, an import gives our
cases back, and asserts that do not map are reported."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from assistant.evaluation import load_cases
from assistant.evaluation.interchange import from_promptfoo, to_deepeval, to_promptfoo
from assistant.interfaces.cli import main

from .conftest import REPO

SETS = [REPO / "evals" / "core.yaml", REPO / "evals" / "holdout.yaml"]
_STRINGS = {"type": "array", "items": {"type": "string"}, "minItems": 1}
# The parts of a promptfoo config we write, as https://promptfoo.dev/docs/configuration/reference/ documents them:
# providers as ProviderOptions (id `openai:chat:<model>`, config.apiBaseUrl), prompts as strings, tests as
# Test Cases (description, vars, assert [{type, value, metric}], metadata).
PROMPTFOO_SCHEMA = {
    "type": "object",
    "required": ["providers", "prompts", "tests"],
    "properties": {
        "description": {"type": "string"},
        "prompts": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "providers": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["id"],
            "properties": {"id": {"type": "string", "pattern": "^openai:chat:.+"}, "label": {"type": "string"},
                           "config": {"type": "object", "required": ["apiBaseUrl"],
                                      "properties": {"apiBaseUrl": {"type": "string", "pattern": "^https?://.+/v1$"},
                                                     "apiKey": {"type": "string"},
                                                     "temperature": {"type": "number"}}}}}},
        "tests": {"type": "array", "minItems": 1, "items": {
            "type": "object", "additionalProperties": False, "required": ["vars", "assert"],
            "properties": {
                "description": {"type": "string"},
                "vars": {"type": "object", "required": ["messages"], "properties": {"messages": {
                    "type": "array", "minItems": 1, "items": {
                        "type": "object", "additionalProperties": False, "required": ["role", "content"],
                        "properties": {"role": {"enum": ["user", "assistant", "system"]},
                                       "content": {"type": "string"}}}}}},
                "assert": {"type": "array", "items": {"oneOf": [
                    {"type": "object", "additionalProperties": False, "required": ["type", "value"],
                     "properties": {"type": {"enum": ["icontains-any", "not-icontains-any", "icontains-all"]},
                                    "value": _STRINGS, "metric": {"type": "string"}}},
                    {"type": "object", "additionalProperties": False, "required": ["type", "value"],
                     "properties": {"type": {"enum": ["regex", "not-regex"]}, "value": {"type": "string"},
                                    "metric": {"type": "string"}}}]}},
                "metadata": {"type": "object"}}}},
    },
}
# DeepEval's LLMTestCase fields (https://deepeval.com/docs/evaluation-test-cases): input is required, the rest optional.
DEEPEVAL_SCHEMA = {"type": "array", "items": {
    "type": "object", "required": ["input"], "additionalProperties": False,
    "properties": {"input": {"type": "string"}, "actual_output": {"type": ["string", "null"]},
                   "expected_output": {"type": ["string", "null"]},
                   "context": {"type": ["array", "null"], "items": {"type": "string"}},
                   "retrieval_context": {"type": ["array", "null"], "items": {"type": "string"}},
                   "name": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
                   "additional_metadata": {"type": "object"}}}}


def _key(c):
    return (c.id, c.turns, c.category, c.expect, c.sections, c.must_cite, c.cite_any, c.must_warn,
            c.must_not_include, c.urgent)


def test_an_exported_promptfoo_file_has_the_documented_shape_and_points_at_our_endpoint(settings, tmp_path):
    path = tmp_path / "promptfooconfig.yaml"
    result = CliRunner().invoke(main, ["eval", *map(str, SETS), "--export", "promptfoo", str(path)],
                                catch_exceptions=False)
    assert result.exit_code == 0 and "wrote 127 cases as promptfoo" in result.output
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    jsonschema.validate(config, PROMPTFOO_SCHEMA)
    assert config["providers"][0] == {"id": "openai:chat:backstretch", "label": "backstretch",
                                      "config": {"apiBaseUrl": "http://127.0.0.1:7860/v1", "apiKey": "none",
                                                 "temperature": 0}}
    tests = {t["description"]: t for t in config["tests"]}
    knees = tests["howto-knees-1"]["assert"]
    assert {"type": "icontains-all", "value": ["Bring both knees up to your chest"], "metric": "must_cite"} in knees
    follow = next(t for t in config["tests"] if len(t["vars"]["messages"]) > 1)
    assert [m["role"] for m in follow["vars"]["messages"]] == ["user", "user"]  # earlier turns: replayed history


def test_an_exported_promptfoo_file_imports_back_as_the_same_cases(tmp_path):
    cases = load_cases(SETS)
    path = tmp_path / "pf.yaml"
    path.write_text(to_promptfoo(cases, "http://127.0.0.1:7860/v1", "backstretch"), encoding="utf-8")
    back = from_promptfoo(path)
    assert back.unmapped == [] and [_key(c) for c in back.cases] == [_key(c) for c in cases]
    saved = tmp_path / "saved.yaml"
    saved.write_text(back.yaml(), encoding="utf-8")
    assert [_key(c) for c in load_cases([saved])] == [_key(c) for c in cases]


def test_a_foreign_promptfoo_file_maps_what_it_can_and_lists_the_rest(tmp_path):
    path = tmp_path / "theirs.yaml"
    path.write_text(yaml.safe_dump({"prompts": ["{{question}}"], "providers": ["openai:gpt-4o-mini"], "tests": [
        {"description": "Child pose hold", "vars": {"question": "How long do I hold the child's pose?"},
         "assert": [{"type": "icontains", "value": "30 seconds"}, {"type": "llm-rubric", "value": "is kind"},
                    {"type": "not-icontains-any", "value": ["surgery", "pills"]}]},
        {"vars": {"topic": "backs"}, "assert": [{"type": "contains", "value": "x"}]},
        {"description": "any", "vars": {"question": "How do I use a foam roller?"},
         "assert": [{"type": "icontains-any", "value": ["lean to one side", "mid back"]},
                    {"type": "similar", "value": "Roll slowly", "threshold": 0.8}]},
    ]}), encoding="utf-8")
    result = from_promptfoo(path)
    first, second = result.cases
    assert (first.id, first.turns, first.must_cite, first.must_not_include) == (
        "child-pose-hold", ("How long do I hold the child's pose?",), ("30 seconds",), ("surgery", "pills"))
    assert second.cite_any == ("lean to one side", "mid back")
    assert result.unmapped == [
        "test 1 (Child pose hold): assert type 'llm-rubric' has no counterpart in a question set",
        "test 2 (promptfoo-2): no question: vars need `messages` (chat messages), `question`, `query`, `input` or "
        "`prompt`",
        "test 3 (any): assert type 'similar' has no counterpart in a question set"]


def test_eval_import_runs_the_promptfoo_tests_and_reports_what_did_not_map(settings, bot, tmp_path):
    path = tmp_path / "theirs.yaml"
    path.write_text(yaml.safe_dump({"tests": [
        {"description": "hold", "vars": {"question": "How long should I hold the child's pose?"},
         "assert": [{"type": "icontains", "value": "about 30 seconds"}, {"type": "llm-rubric", "value": "kind"}]}]}),
        encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "eval", "--import", "promptfoo",
                                       str(path), "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    assert "not mapped: test 1 (hold): assert type 'llm-rubric'" in result.stderr
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert [(c["id"], c["passed"]) for c in data["cases"]] == [("hold", True)] and data["sets"] == ["theirs.yaml"]
    assert load_cases([out / "imported-theirs.yaml"])[0].must_cite == ("about 30 seconds",)


def test_a_deepeval_export_is_llm_test_case_shaped_with_the_ground_truth(library, tmp_path):
    cases = load_cases(SETS)
    data = json.loads(to_deepeval(cases, library))
    jsonschema.validate(data, DEEPEVAL_SCHEMA)
    knees = next(d for d in data if d["name"] == "howto-knees-1")
    assert "Bring both knees up to your chest" in knees["expected_output"]
    assert knees["actual_output"] is None and knees["retrieval_context"] is None
    assert any("Never aggressively bounce" in p for p in knees["context"])  # the whole section is the context
    assert knees["additional_metadata"]["sections"] == ["knees-to-chest"]
    refer = next(d for d in data if d["additional_metadata"]["expect"] == "referral")
    assert "referral" in refer["expected_output"] and refer["context"] is None


@pytest.mark.parametrize("args, words", [
    (["--export", "csv", "x"], "--export takes promptfoo or deepeval"),
    (["--import", "deepeval", "x"], "--import takes promptfoo"),
])
def test_an_unknown_format_is_a_usage_error(tmp_path, args, words):
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "eval", *args])
    assert result.exit_code == 2 and words in result.stderr
