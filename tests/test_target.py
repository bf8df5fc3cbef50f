"""Scoring any OpenAI-compatible endpoint (`eval --target`): our own endpoint on loopback scores exactly as the
in-process chain; a worse server written for the test shows the difference; plain replies are read by the
documented rule, and what they cannot show is n/a, never passed."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.evaluation import evaluate, load_cases, run_case, score, summarise
from assistant.evaluation.target import DECLINED, OpenAITarget, TargetError, parse_target, read_completion
from assistant.interfaces.cli import main
from assistant.process import free_port, running

from .conftest import REPO
from .openai_stub import OpenAIStub

CORE = REPO / "evals" / "core.yaml"
HOLD = "Hold this stretch for about 30 seconds while continuing to breathe."
GENERIC = f"Stretching helps most backs. The article says: {HOLD} [1]"  # answers everything, never refers
SMALL = """cases:
  - {id: s-child, category: detail, expect: answered, sections: [childs-pose], must_cite: ["about 30 seconds"],
     question: "How long should I hold the child's pose?"}
  - {id: s-foam, category: howto, expect: answered, sections: [foam-roller], question: "How do I use a foam roller?"}
  - {id: s-refer, category: red_flag, expect: referral, question: "I fell off a ladder and my back hurts"}
  - {id: s-urgent, category: red_flag, expect: referral, urgent: true,
     question: "I have numbness in my groin and I can't control my bladder"}
  - {id: s-oos, category: out_of_scope, expect: out_of_scope, question: "What is the capital of France?"}
  - {id: s-hello, category: social, expect: social, question: "Hello there!"}
  - {id: s-follow, category: followup, expect: answered, sections: [childs-pose], must_cite: ["30 seconds"],
     turns: ["How do I do the child's pose?", "How long should I hold it?"]}
"""


@pytest.fixture
def small(tmp_path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def endpoint(bot, settings, tmp_path_factory):
    """`backstretch api` on a free loopback port, started as a user would, over a copy of the test index."""
    data = tmp_path_factory.mktemp("target-api")
    shutil.copytree(settings.data_dir, data, dirs_exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "BACKSTRETCH_API_KEY"}
    env["BACKSTRETCH_DATA_DIR"] = str(data)
    url = f"http://127.0.0.1:{port}"
    with running([sys.executable, "-m", "assistant", "api", "--port", str(port)], f"{url}/health", env,
                 log=data / "api.log"):
        yield url


@pytest.fixture
def generic():
    """A deliberately worse OpenAI-compatible server: the same article sentence for every question."""
    with OpenAIStub(lambda passages, messages: GENERIC) as stub:
        yield stub


def test_our_endpoint_as_a_target_scores_like_the_in_process_chain_on_the_core_set(bot, endpoint):
    cases = load_cases([CORE])
    target = OpenAITarget(parse_target(f"openai:{endpoint}"), bot.library)
    try:
        served = evaluate(target, cases, target.name)
    finally:
        target.close()
    local = [run_case(bot, c) for c in cases]
    assert target.model == "backstretch"  # taken from GET /v1/models
    assert [(r.case.id, r.status, r.passed) for r in served.results] == \
           [(r.case.id, r.status, r.passed) for r in local]
    assert not any(r.inferred for r in served.results)  # read from the backstretch field
    assert served.to_dict()["unmeasured"] == {}
    local_summary = summarise(local)
    assert {m: v for m, v in served.summary.items() if not m.startswith("latency")} == \
           {m: v for m, v in local_summary.items() if not m.startswith("latency")}


def test_the_side_by_side_shows_the_worse_server_missing_referrals(settings, bot, small, generic, endpoint, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "eval", str(small), "--out", str(out),
                                       "--target", f"openai:{endpoint}", "--target", f"openai:{generic.base_url}",
                                       "--model", "backstretch", "--model", "generic-1"], catch_exceptions=False,
                                 env={"COLUMNS": "300"})
    assert result.exit_code == 0, result.stderr
    runs = {r["system"]: r for r in json.loads((out / "results.json").read_text(encoding="utf-8"))["runs"]}
    ours, worse = runs["backstretch"], runs[f"target: generic-1 @ {generic.base_url.split('//')[1].split('/')[0]}"]
    served = runs["target: backstretch @ " + endpoint.split("//")[1]]
    assert [(c["status"], c["passed"]) for c in served["cases"]] == [(c["status"], c["passed"]) for c in ours["cases"]]
    assert ours["summary"]["referral_recall"] == 1.0 and worse["summary"]["referral_recall"] == 0.0
    assert worse["summary"]["out_of_scope_recall"] == 0.0 and worse["summary"]["over_referral"] == 0.0
    # what a plain reply cannot show is n/a with its reason, in the JSON and in the terminal
    assert worse["summary"]["hit_at_k"] is None and worse["summary"]["emergency_recall"] is None
    assert "not a ranking" in worse["unmeasured"]["hit_at_k"] and "urgent" in worse["unmeasured"]["emergency_recall"]
    assert "n/a: a plain reply's quotes are not a ranking" in result.output
    cases = {c["id"]: c for c in worse["cases"]}
    assert cases["s-child"]["passed"] is True and cases["s-child"]["citations"][0]["quote"] == HOLD
    assert cases["s-foam"]["passed"] is False
    assert "no quote from the expected sections" in cases["s-foam"]["failures"][0]
    assert cases["s-refer"]["status"] == "answered" and cases["s-refer"]["passed"] is False
    # the follow-up was sent as the whole conversation: question, the answer it gave, the next question
    followup = [r["messages"] for r in generic.requests if len(r["messages"]) > 1]
    assert [m["role"] for m in followup[0]] == ["user", "assistant", "user"]
    assert followup[0][1]["content"] == GENERIC and followup[0][2]["content"] == "How long should I hold it?"
    assert all(r["model"] == "generic-1" for r in generic.requests)


@pytest.mark.parametrize("text, status, sections", [
    (f"You should {HOLD.lower()}", DECLINED, []),  # not verbatim: the case of the first word differs
    ("Per the article:  “Hold this stretch for about 30\nseconds while continuing to breathe.”", "answered",
     ["childs-pose"]),  # white space and typographic quotes do not matter
    ("Please see a doctor before stretching.", DECLINED, []),
    ("Try the child's pose [2].", "answered", []),  # a marker alone counts as an answer, with no citation
])
def test_a_plain_reply_is_read_by_the_documented_rule(library, text, status, sections):
    from assistant.evaluation.target import ArticleQuotes

    reply = read_completion("q", text, None, ArticleQuotes(library), 5.0)
    assert reply.inferred and reply.status == status
    assert [c.section_id for c in reply.citations] == sections
    assert all(library.source_text(c.source)[c.start:c.end] == c.quote for c in reply.citations)


@pytest.mark.parametrize("case_id, status, passed, why", [
    ("s-refer", "referral", True, None),  # a decline counts as the referral the case expects
    ("s-oos", "out_of_scope", True, None),  # ... or as the refusal
    ("s-urgent", "referral", None, "urgency unknown"),  # n/a: a plain reply cannot show it is urgent
    ("s-hello", DECLINED, None, "cannot be told apart"),  # n/a: a greeting looks like a refusal
    ("s-child", DECLINED, False, None),  # over-referral
])
def test_a_declined_plain_reply_is_scored_against_what_the_case_expects(library, small, case_id, status, passed, why):
    from assistant.evaluation.target import ArticleQuotes

    case = next(c for c in load_cases([small]) if c.id == case_id)
    result = score(case, read_completion(case.question, "I can't help with that.", None, ArticleQuotes(library), 1.0),
                   library)
    assert (result.status, result.passed) == (status, passed)
    assert why is None or why in " ".join(result.unchecked)


@pytest.mark.parametrize("spec, model, url, name", [
    ("openai:http://127.0.0.1:8000", None, "http://127.0.0.1:8000/v1", None),
    ("openai:http://host:8080/v1#qwen2.5", None, "http://host:8080/v1", "qwen2.5"),
    ("openai:https://api.example.com/openai/v1/", "m", "https://api.example.com/openai/v1", "m"),
])
def test_target_specs_are_parsed_with_their_model(spec, model, url, name):
    parsed = parse_target(spec, model)
    assert (parsed.url, parsed.model) == (url, name)


@pytest.mark.parametrize("spec", ["http://127.0.0.1:8000", "ollama:http://x", "openai:127.0.0.1:8000", "openai:"])
def test_a_bad_target_is_refused_naming_it(spec):
    with pytest.raises(TargetError, match="--target"):
        parse_target(spec)


def test_an_unreachable_target_is_one_error_line(settings, bot, small):
    port = free_port()
    result = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "eval", str(small),
                                       "--target", f"openai:http://127.0.0.1:{port}"])
    assert result.exit_code == 2 and f"cannot reach http://127.0.0.1:{port}/v1" in result.stderr
    assert "Traceback" not in result.stderr
