"""The HTTP APIs against real servers on loopback: the real `openai` client and LangChain's ChatOpenAI on
/v1/chat/completions (streaming and not), REST /api/ask, /health, bearer-token auth and 4xx errors."""

from __future__ import annotations

import json
import os
import shutil
import sys
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner

from assistant.interfaces.cli import main
from assistant.process import free_port, running

CHILD = "How do I do the child's pose?"
HOLD = "How long should I hold it?"
EMERGENCY = "I have numbness in my groin and I can't control my bladder"
KEY = "test-key-3f9a"


def _serve(cmd: list[str], data, extra_env: dict | None = None):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "BACKSTRETCH_API_KEY"}
    env.update({"BACKSTRETCH_DATA_DIR": str(data), **(extra_env or {})})
    url = f"http://127.0.0.1:{port}"
    return url, running([sys.executable, "-m", "assistant", *cmd, "--port", str(port)], f"{url}/health", env,
                        log=data / f"{cmd[0]}-{port}.log")


@pytest.fixture(scope="module")
def served(bot, settings, tmp_path_factory):
    """`backstretch serve` (the page with the APIs beside it) on a free loopback port, no key."""
    data = tmp_path_factory.mktemp("api-served")
    shutil.copytree(settings.data_dir, data, dirs_exist_ok=True)
    url, server = _serve(["serve"], data)
    with server:
        yield url


@pytest.fixture(scope="module")
def keyed(bot, settings, tmp_path_factory):
    """`backstretch api` alone, with BACKSTRETCH_API_KEY set."""
    data = tmp_path_factory.mktemp("api-keyed")
    shutil.copytree(settings.data_dir, data, dirs_exist_ok=True)
    url, server = _serve(["api"], data, {"BACKSTRETCH_API_KEY": KEY})
    with server:
        yield url


def client(url: str, key: str = "none"):
    from openai import OpenAI

    return OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0, timeout=60)


def post(url: str, payload: dict | str, key: str | None = None) -> tuple[int, dict]:
    data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    request = urllib.request.Request(url, data, headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_models_lists_the_one_model(served):
    models = client(served).models.list()
    assert [m.id for m in models.data] == ["backstretch"]


def test_the_openai_client_gets_a_grounded_answer_with_markers_sources_and_the_reply(served):
    completion = client(served).chat.completions.create(
        model="backstretch", messages=[{"role": "user", "content": "How long should I hold the child's pose?"}])
    text = completion.choices[0].message.content
    assert completion.choices[0].message.role == "assistant" and completion.choices[0].finish_reason == "stop"
    assert "Hold this stretch for about 30 seconds while continuing to breathe. [1]" in text
    assert "\n\nSources:\n[1] Child's pose (step): \"Hold this stretch for about 30 seconds" in text
    extra = completion.model_extra["backstretch"]
    assert extra["status"] == "answered" and extra["urgent"] is False and extra["flag"] is None
    assert extra["citations"][0]["section_id"] == "childs-pose" and extra["focus"] == ["childs-pose"]


def test_streaming_sends_the_same_text_in_pieces_then_the_reply_then_done(served):
    messages = [{"role": "user", "content": "How long should I hold the child's pose?"}]
    whole = client(served).chat.completions.create(model="backstretch", messages=messages)
    chunks = list(client(served).chat.completions.create(model="backstretch", messages=messages, stream=True))
    assert len(chunks) > 3 and chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["backstretch"]["citations"] == whole.model_extra["backstretch"]["citations"]
    assert all("backstretch" not in (c.model_extra or {}) for c in chunks[:-1])


def test_raw_sse_ends_with_done(served):
    body = json.dumps({"model": "backstretch", "stream": True,
                       "messages": [{"role": "user", "content": CHILD}]}).encode()
    request = urllib.request.Request(f"{served}/v1/chat/completions", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        assert answer.headers["Content-Type"].startswith("text/event-stream")
        events = [line for line in answer.read().decode().split("\n\n") if line]
    assert all(e.startswith("data: ") for e in events) and events[-1] == "data: [DONE]"
    assert json.loads(events[-2][6:])["backstretch"]["status"] == "answered"


def test_a_follow_up_in_messages_is_answered_about_the_method_in_focus(served):
    c = client(served)
    first = c.chat.completions.create(model="backstretch", messages=[{"role": "user", "content": CHILD}])
    plain = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": CHILD},
             {"role": "assistant", "content": first.choices[0].message.content}, {"role": "user", "content": HOLD}]
    replayed = c.chat.completions.create(model="backstretch", messages=plain)
    carried = [{**m, "backstretch": first.model_extra["backstretch"]} if m["role"] == "assistant" else m
               for m in plain]
    kept = c.chat.completions.create(model="backstretch", messages=carried)
    for completion in (replayed, kept):
        extra = completion.model_extra["backstretch"]
        assert extra["question"] == HOLD and extra["citations"][0]["section_id"] == "childs-pose"
        assert "30 seconds" in extra["citations"][0]["quote"]


def test_the_extra_field_sent_back_is_what_carries_the_focus(served):
    """A client's own Reply wins over asking the earlier question again: its focus decides the follow-up."""
    c = client(served)
    foam = c.chat.completions.create(model="backstretch",
                                     messages=[{"role": "user", "content": "How do I use a foam roller on my back?"}])
    messages = [{"role": "user", "content": CHILD},
                {"role": "assistant", "content": "...", "backstretch": foam.model_extra["backstretch"]},
                {"role": "user", "content": "Is it risky?"}]
    extra = c.chat.completions.create(model="backstretch", messages=messages).model_extra["backstretch"]
    assert extra["focus"][0] == "foam-roller"


def test_a_red_flag_is_an_ordinary_assistant_message_with_the_referral_status(served):
    completion = client(served).chat.completions.create(model="backstretch",
                                                         messages=[{"role": "user", "content": EMERGENCY}])
    message = completion.choices[0].message
    extra = completion.model_extra["backstretch"]
    assert message.role == "assistant" and "emergency" in message.content.lower()
    assert extra["status"] == "referral" and extra["urgent"] is True and extra["citations"] == []
    assert "Sources:" not in message.content


def test_an_out_of_scope_question_says_what_it_covers(served):
    completion = client(served).chat.completions.create(
        model="backstretch", messages=[{"role": "user", "content": "What is the capital of France?"}], stream=False)
    assert completion.model_extra["backstretch"]["status"] == "out_of_scope"
    assert "How do I stretch my mid back?" in completion.choices[0].message.content


def test_langchain_chat_openai_invokes_and_streams_against_the_endpoint(served):
    from langchain_core.messages import AIMessage, HumanMessage
    from langchain_openai import ChatOpenAI

    model = ChatOpenAI(model="backstretch", base_url=f"{served}/v1", api_key="none", max_retries=0, timeout=60)
    answer = model.invoke([HumanMessage(CHILD), AIMessage("(earlier answer)"), HumanMessage(HOLD)])
    assert "Hold this stretch for about 30 seconds while continuing to breathe. [1]" in answer.content
    streamed = list(model.stream("How long should I hold the child's pose?"))
    assert len(streamed) > 3 and "".join(str(c.content) for c in streamed) == model.invoke(
        "How long should I hold the child's pose?").content


@pytest.mark.parametrize("payload, status, param, words", [
    ({"model": "backstretch", "messages": []}, 400, "messages", "at least 1"),
    ({"messages": [{"role": "user", "content": ""}]}, 400, "messages.0.content", "Please type a question."),
    ({"messages": [{"role": "user", "content": "x" * 2001}]}, 400, "messages.0.content", "limit is 2000"),
    ({"messages": [{"role": "robot", "content": "hi"}]}, 400, "messages.0.role", "should be"),
    ({"messages": [{"role": "user", "content": CHILD}, {"role": "assistant", "content": "ok"}]}, 400,
     "messages.1.role", "last message"),
    ({"messages": [{"role": "user", "content": "hi"}] * 65}, 400, "messages", "at most 64"),
    ({"model": "gpt-4o", "messages": [{"role": "user", "content": CHILD}]}, 404, "model", "'backstretch'"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}, 400,
     "messages.0.content.0", "only text"),
    ({"messages": [{"role": "user", "content": CHILD}], "n": 2}, 400, "n", "one choice"),
    ("{not json", 400, "body", "not valid JSON"),
])
def test_bad_requests_get_a_4xx_naming_the_field(served, payload, status, param, words):
    code, body = post(f"{served}/v1/chat/completions", payload)
    assert code == status and body["error"]["param"] == param and words in body["error"]["message"]
    assert "Traceback" not in json.dumps(body)


def test_the_openai_client_raises_its_own_error_for_a_bad_question(served):
    import openai

    with pytest.raises(openai.BadRequestError, match="Please type a question."):
        client(served).chat.completions.create(model="backstretch", messages=[{"role": "user", "content": " "}],
                                               stream=True)


def test_rest_ask_takes_history_as_messages_reply_dicts_or_questions(served):
    code, first = post(f"{served}/api/ask", {"question": CHILD})
    assert code == 200 and first["status"] == "answered"
    for history in ([{"role": "user", "content": CHILD}, {"role": "assistant", "content": first["answer"]}],
                    [first], [CHILD]):
        code, reply = post(f"{served}/api/ask", {"question": HOLD, "history": history})
        assert code == 200 and reply["question"] == HOLD
        assert reply["citations"][0]["section_id"] == "childs-pose" and "30 seconds" in reply["citations"][0]["quote"]


@pytest.mark.parametrize("payload, param", [
    ({"question": "x", "colour": "red"}, "colour"),
    ({"question": "", "history": []}, "question"),
    ({"question": HOLD, "history": [{"question": CHILD, "status": "shouting"}]}, "history.0.reply.status"),
    ({"history": []}, "question"),
])
def test_rest_ask_names_the_bad_field(served, payload, param):
    code, body = post(f"{served}/api/ask", payload)
    assert code == 400 and body["error"]["param"] == param


def test_the_page_is_still_served_beside_the_api(served):
    with urllib.request.urlopen(f"{served}/", timeout=30) as page:
        assert page.status == 200 and "gradio" in page.read().decode().lower()
    with urllib.request.urlopen(f"{served}/health", timeout=30) as health:
        assert json.loads(health.read())["status"] == "ready"


def test_with_a_key_requests_without_it_are_refused_and_with_it_answered(keyed):
    import openai

    with pytest.raises(openai.AuthenticationError):
        client(keyed, "wrong").models.list()
    code, body = post(f"{keyed}/api/ask", {"question": CHILD})
    assert code == 401 and "Authorization: Bearer" in body["error"]["message"]
    assert client(keyed, KEY).models.list().data[0].id == "backstretch"
    reply = client(keyed, KEY).chat.completions.create(model="backstretch",
                                                       messages=[{"role": "user", "content": CHILD}])
    assert reply.model_extra["backstretch"]["status"] == "answered"
    assert post(f"{keyed}/api/ask", {"question": CHILD}, KEY)[0] == 200
    with urllib.request.urlopen(f"{keyed}/health", timeout=30) as health:  # a health check needs no key
        assert health.status == 200


def test_health_is_503_until_the_index_is_loaded_then_200(bot, settings):
    from assistant.interfaces.api import State, build_api, run_server

    state = State()
    port = free_port()
    server = run_server(build_api(state, settings), "127.0.0.1", port, background=True)
    try:
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10)
        assert err.value.code == 503 and json.loads(err.value.read())["status"] == "loading"
        code, body = post(f"http://127.0.0.1:{port}/api/ask", {"question": CHILD})
        assert code == 503 and "still loading" in body["error"]["message"]
        state.bot = bot
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as health:
            assert json.loads(health.read()) == {"status": "ready", "model": "backstretch", "passages": 88}
    finally:
        server.should_exit = True


@pytest.mark.parametrize("args, env, named", [
    (["serve", "--host", "0.0.0.0"], {"BACKSTRETCH_UI_USER": "u", "BACKSTRETCH_UI_PASSWORD": "p"},
     "BACKSTRETCH_API_KEY"),
    (["api", "--host", "0.0.0.0"], {}, "BACKSTRETCH_API_KEY"),
    (["serve", "--api-only", "--host", "192.168.1.5"], {}, "BACKSTRETCH_API_KEY"),
])
def test_serving_the_api_beyond_loopback_without_a_key_is_refused(tmp_path, monkeypatch, args, env, named):
    monkeypatch.delenv("BACKSTRETCH_API_KEY", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path)] + args)
    assert result.exit_code == 2 and named in result.stderr and "--no-auth" in result.stderr
    assert result.stderr.strip().count("\n") == 0 and not (tmp_path / "chroma").exists()
