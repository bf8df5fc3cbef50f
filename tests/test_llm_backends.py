"""Optional LLM backends: the real ChatOpenAI client against a scripted OpenAI-compatible server on loopback,
and langchain-core's fake chat model. Each case checks what the user gets."""

from __future__ import annotations

import json
import re
import socket
import time

import pytest
from click.testing import CliRunner
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.answering import citations
from assistant.answering.chat_models import chat_model, close_model
from assistant.errors import SettingsError
from assistant.interfaces.cli import main
from assistant.records import Reply
from assistant.settings import Settings

from .openai_stub import Delay, OpenAIStub, Passage

HOWTO = "How do I do the child's pose?"
INVENTED = "Then hang upside down from a pull-up bar for five minutes to decompress the spine"


def faithful(passages: list[Passage], skip_kind: str = "", extra: str = "") -> str:
    """What a well-behaved model writes: each passage, shortened a little, with its number."""
    lines = []
    for p in passages:
        if p.kind == skip_kind:
            continue
        said = []
        for sentence in re.split(r"(?<=[.!?])\s+", p.quote):
            words = sentence.rstrip(".!?").split()
            said.append(f"{' '.join(words[:-1] if len(words) > 6 else words)} [{p.n}].")
        lines.append("- " + " ".join(said))
        if extra and len(lines) == 2:
            lines.append(f"- {extra} [{p.n}].")
    return "\n".join(lines)


def standalone(passages, messages) -> str | None:
    """The condensing call carries no passages: answer it with a standalone question."""
    return None if passages else "How long should I hold the child's pose?"


@pytest.fixture
def openai_bot(bot, settings):
    """An Assistant whose answers a real ChatOpenAI words, against a stub server running `script`."""
    stubs, models = [], []

    def make(script, timeout: float = 10.0):
        stub = OpenAIStub(script).__enter__()
        stubs.append(stub)
        s = settings.with_(backend="openai", llm_base_url=stub.base_url, llm_model="stub-model", llm_timeout=timeout)
        models.append(chat_model(s))
        return bot.using(models[-1], s), stub

    yield make
    for model in models:
        close_model(model)
    for stub in stubs:
        stub.__exit__(None, None, None)


def warnings_of(bot, section_id: str) -> list[str]:
    return [p.text for p in bot.library.section(section_id).warnings]


def test_a_grounded_model_answer_is_shown_with_exact_citations_and_every_warning(openai_bot, bot):
    llm, stub = openai_bot(lambda passages, _: faithful(passages))
    reply = llm.ask(HOWTO)
    assert reply.status == "answered" and reply.backend == "openai" and reply.notice == ""
    assert reply.answer != bot.ask(HOWTO).answer  # the model's wording, not the composer's
    citations.check_cited(reply.answer, reply.citations, bot.library)
    cited = [c.quote for c in reply.citations]
    assert all(any(w in q or q in w for q in cited) for w in warnings_of(bot, "childs-pose"))
    assert stub.requests and stub.requests[-1]["model"] == "stub-model"
    assert reply.to_dict()["backend"] == "openai"


def test_an_invented_step_is_removed_and_the_rest_is_kept(openai_bot):
    llm, _ = openai_bot(lambda passages, _: faithful(passages, extra=INVENTED))
    reply = llm.ask(HOWTO)
    assert reply.backend == "openai" and reply.status == "answered"
    assert "upside down" not in reply.answer and "pull-up" not in reply.answer
    assert reply.citations


def test_a_missing_warning_sends_the_reply_back_to_the_extractive_composer(openai_bot, bot):
    llm, _ = openai_bot(lambda passages, _: faithful(passages, skip_kind="warning"))
    reply = llm.ask(HOWTO)
    assert reply.backend == "extractive-fallback"
    assert reply.answer == bot.ask(HOWTO).answer
    assert all(any(w == c.quote or w in c.quote for c in reply.citations) for w in warnings_of(bot, "childs-pose"))
    assert "warning" in reply.notice and "\n" not in reply.notice


def test_a_model_that_times_out_falls_back_with_a_one_line_notice(openai_bot, bot):
    llm, stub = openai_bot(lambda passages, _: Delay(5.0, faithful(passages)), timeout=0.5)
    began = time.perf_counter()
    reply = llm.ask(HOWTO)
    assert time.perf_counter() - began < 4.0  # the timeout, not the slow answer, decided
    assert reply.backend == "extractive-fallback" and reply.status == "answered"
    assert reply.answer == bot.ask(HOWTO).answer
    assert reply.notice and "\n" not in reply.notice and "in time" in reply.notice
    assert stub.requests  # it was asked


def test_the_ollama_backend_words_answers_through_the_real_chat_ollama_client(bot, settings):
    with OpenAIStub(lambda passages, _: faithful(passages, extra=INVENTED)) as stub:
        s = settings.with_(backend="ollama", llm_base_url=stub.root, llm_model="llama3.2", llm_timeout=10.0)
        model = chat_model(s)
        llm = bot.using(model, s)
        reply = llm.ask(HOWTO)
        pieces = list(llm.stream(HOWTO))
        close_model(model)  # not llm.close(): the index is the session's
    assert reply.backend == "ollama" and reply.status == "answered" and "upside down" not in reply.answer
    citations.check_cited(reply.answer, reply.citations, bot.library)
    assert isinstance(pieces[-1], Reply) and pieces[-1].backend == "ollama" and len(pieces) > 3
    assert stub.requests[0]["model"] == "llama3.2"


def test_an_unreachable_server_falls_back_the_same_way(bot, settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    s = settings.with_(backend="openai", llm_base_url=f"http://127.0.0.1:{port}/v1", llm_timeout=2.0)
    reply = bot.using(chat_model(s), s).ask(HOWTO)
    assert reply.backend == "extractive-fallback" and reply.answer == bot.ask(HOWTO).answer
    assert "in time" in reply.notice


def test_a_quotation_that_is_not_verbatim_is_removed(openai_bot):
    def script(passages, _):
        step = next(p for p in passages if p.kind == "step")
        return faithful(passages) + f'\nThe article insists you "hold it for ten full minutes" [{step.n}].'

    reply = openai_bot(script)[0].ask(HOWTO)
    assert reply.backend == "openai" and "ten full minutes" not in reply.answer


def test_an_answer_with_no_cited_sentence_falls_back(openai_bot, bot):
    reply = openai_bot(lambda passages, _: "You should really just see a chiropractor about that.")[0].ask(HOWTO)
    assert reply.backend == "extractive-fallback" and reply.answer == bot.ask(HOWTO).answer
    assert "no sentence" in reply.notice


@pytest.mark.parametrize("question, status", [
    ("I cracked my back and now my legs are numb and I can't control my bladder", "referral"),
    ("What is the capital of France?", "out_of_scope"),
])
def test_referrals_and_out_of_scope_questions_never_reach_the_model(openai_bot, question, status):
    llm, stub = openai_bot(lambda passages, _: faithful(passages))
    reply = llm.ask(question)
    assert reply.status == status and reply.backend == "extractive"
    assert stub.requests == []


def test_a_follow_up_whose_rewrite_times_out_falls_back_once_without_asking_again(openai_bot, bot):
    llm, stub = openai_bot(lambda passages, _: Delay(5.0, "x") if not passages else faithful(passages), timeout=0.5)
    first = bot.ask(HOWTO)
    reply = llm.ask("how long do I hold it?", [first])
    assert reply.backend == "extractive-fallback" and "in time" in reply.notice
    assert len(stub.requests) == 1  # the rewrite only; the answer call was not made


def test_a_follow_up_is_rewritten_to_stand_alone_before_the_model_answers(openai_bot):
    llm, stub = openai_bot(lambda passages, messages: standalone(passages, messages) or faithful(passages))
    first = llm.ask(HOWTO)
    reply = llm.ask("how long do I hold it?", [first])
    assert reply.status == "answered" and reply.backend == "openai"
    condense, answer = stub.requests[-2:]
    prompt = condense["messages"][0]["content"]
    assert "Child" in prompt and "how long do I hold it?" in prompt
    assert "How long should I hold the child's pose?" in answer["messages"][-1]["content"]
    assert any("30 seconds" in c.quote for c in reply.citations)


def test_streaming_yields_only_verified_sentences_then_the_reply(openai_bot):
    llm, _ = openai_bot(lambda passages, _: faithful(passages, extra=INVENTED))
    pieces = list(llm.stream(HOWTO))
    reply = pieces[-1]
    assert isinstance(reply, Reply) and reply.backend == "openai"
    text = "".join(p for p in pieces[:-1])
    assert len(pieces) > 3 and "upside down" not in text
    assert text.count("[") == reply.answer.count("[")  # what streamed is what the reply holds


def test_the_fake_chat_model_drives_the_same_chain(bot):
    extractive = bot.ask(HOWTO)
    written = " ".join(f"{c.quote} [{c.n}]" for c in extractive.citations)
    fake = GenericFakeChatModel(messages=iter([AIMessage(written)]))
    reply = bot.using(fake).ask(HOWTO)
    assert reply.backend == "llm" and reply.status == "answered"
    assert [c.quote for c in reply.citations] == [c.quote for c in extractive.citations]


def test_fake_chat_model_failure_falls_back(bot):
    fake = GenericFakeChatModel(messages=iter([]))  # raises on the first call
    reply = bot.using(fake).ask(HOWTO)
    assert reply.backend == "extractive-fallback" and reply.answer == bot.ask(HOWTO).answer


def test_an_unknown_backend_is_a_one_line_settings_error():
    with pytest.raises(SettingsError, match="backend must be one of extractive, ollama, openai"):
        Settings(backend="gpt")


def test_a_missing_llm_package_is_a_one_line_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "langchain_ollama", None)
    with pytest.raises(SettingsError, match=r"pip install '\.\[llm\]'"):
        chat_model(Settings(backend="ollama"))


def test_ollama_backend_builds_chat_ollama_from_settings():
    from langchain_ollama import ChatOllama

    model = chat_model(Settings(backend="ollama", llm_base_url="http://127.0.0.1:11434", llm_model="qwen2.5"))
    assert isinstance(model, ChatOllama) and model.model == "qwen2.5" and model.temperature == 0.0
    assert model.base_url == "http://127.0.0.1:11434"


def test_the_default_backend_loads_no_llm_package(tmp_path):
    import subprocess
    import sys

    code = ("import sys; from assistant import Assistant; from assistant.settings import Settings;"
            f"bot = Assistant.load(Settings(data_dir={str(tmp_path)!r})); bot.ask('How do I stretch my mid back?');"
            "print([m for m in ('langchain_openai', 'langchain_ollama', 'openai', 'ollama') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_eval_against_an_openai_compatible_server_reports_the_fallback_rate(tmp_path, settings):
    cases = tmp_path / "few.yaml"
    cases.write_text(
        "cases:\n"
        "  - id: howto-child\n    category: howto\n    question: \"How do I do the child's pose?\"\n"
        "    expect: [answered]\n    sections: [childs-pose]\n"
        "  - id: howto-foam\n    category: howto\n    question: How do I use a foam roller on my back?\n"
        "    expect: [answered]\n    sections: [foam-roller]\n"
        "  - id: red\n    category: red_flag\n    question: My legs are numb and I lost bladder control\n"
        "    expect: [referral]\n", encoding="utf-8")
    results = {}
    for name, script in (("faithful", lambda passages, _: faithful(passages)),
                         ("no-warnings", lambda passages, _: faithful(passages, skip_kind="warning"))):
        with OpenAIStub(script) as stub:
            out = tmp_path / name
            result = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "eval", str(cases),
                                               "--backend", "openai", "--base-url", stub.base_url, "--out", str(out)])
            assert result.exit_code == 0, result.output
            results[name] = json.loads((out / "results.json").read_text())
    assert results["faithful"]["summary"]["fallback_rate"] == 0.0
    assert results["no-warnings"]["summary"]["fallback_rate"] == 1.0
    for data in results.values():  # either way the user got grounded answers with the warnings
        assert data["summary"]["passed"] == 1.0 and data["summary"]["grounding"] == 1.0
        assert data["system"] == "backstretch (openai)"
        assert {c["backend"] for c in data["cases"]} <= {"openai", "extractive-fallback", "extractive"}


def test_the_page_streams_a_model_answer_sentence_by_sentence(openai_bot, bot):
    from assistant.interfaces.ui import converse
    from assistant.prompts import texts as wording

    llm, _ = openai_bot(lambda passages, _: faithful(passages, extra=INVENTED))
    steps, shown = [], []
    for step in converse(llm, wording(str(bot.settings.prompts_dir), "ui.yaml"), HOWTO, []):
        steps.append(step)  # the turn is updated in place: read what it shows at each step
        shown.append(step.reply.answer if step.reply else step.turns[-1].partial)
    assert len(steps) > 3 and all(s.reply is None for s in steps[:-1]) and steps[-1].reply.backend == "openai"
    assert all(len(a) < len(b) for a, b in zip(shown[:-1], shown[1:-1], strict=False))  # it grows as it streams
    assert not any("upside down" in text for text in shown)


def _by_question(passages, messages):
    """Foam-roller answers leave out the warnings (so they fall back); everything else is faithful."""
    asked = str(messages[-1]["content"]).lower()
    return faithful(passages, skip_kind="warning" if "foam" in asked else "")


@pytest.mark.browser
def test_a_served_page_shows_the_models_answer_and_a_fallback_notice(bot, settings, tmp_path):
    import os
    import shutil
    import sys

    from playwright.sync_api import sync_playwright

    from assistant.process import free_port, running

    from .test_ui import BROWSER_ARGS

    data = tmp_path / "served"
    shutil.copytree(settings.data_dir, data)
    with OpenAIStub(_by_question) as stub:
        port = free_port()
        url = f"http://127.0.0.1:{port}/"
        env = {**os.environ, "BACKSTRETCH_DATA_DIR": str(data), "BACKSTRETCH_BACKEND": "openai",
               "BACKSTRETCH_LLM_BASE_URL": stub.base_url, "BACKSTRETCH_LLM_TIMEOUT": "20"}
        with running([sys.executable, "-m", "assistant", "serve", "--port", str(port)], url, env,
                     log=data / "serve.log"), sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=BROWSER_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            page.goto(url)

            def ask(question: str, wait_for: str) -> str:
                before = page.locator("#chat .tools").count()
                page.fill("#question textarea", question)
                page.click("#send")
                page.wait_for_function("n => document.querySelectorAll('#chat .tools').length > n", arg=before,
                                       timeout=60_000)
                shows = "(t) => document.querySelector('#chat').innerText.includes(t)"
                page.wait_for_function(shows, arg=wait_for, timeout=60_000)
                return page.locator("#chat .turn").last.inner_text()

            child = bot.library.section("childs-pose")
            said = ask(HOWTO, child.steps[-1].text[:40])
            assert "[1]" in said and "padded surface" in said and "quotes the article directly" not in said
            foam = bot.library.section("foam-roller")
            said = ask("How do I use a foam roller on my back?", foam.warnings[0].text[:40])
            assert "quotes the article directly" in said and "warning" in said
            page.screenshot(path=str(tmp_path / "llm-page.png"))
            browser.close()
    assert len(stub.requests) >= 2


def test_the_hosted_openai_backend_without_a_key_is_a_one_line_error(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(SettingsError, match="cannot set up the openai backend") as err:
        chat_model(Settings(backend="openai"))
    assert "\n" not in str(err.value)
