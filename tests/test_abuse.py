"""The fault-and-abuse probe of issue 15, kept as tests: hostile input on the CLI, the library, the page and the
APIs, and damaged feedback files, each met with one clear line (or the documented error shape), never a
traceback, a 500 or {"error": null}."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from click.testing import CliRunner

from assistant.errors import BackstretchError, InvalidQuestion
from assistant.interfaces.cli import main
from assistant.interfaces.conversation import Replayer
from assistant.interfaces.feedback import FeedbackStore
from assistant.interfaces.ui import (
    LoginGuard,
    Turn,
    ask_api,
    conversation_html,
    converse,
    copy_text,
    record_comment,
    record_vote,
    sources_html,
    texts,
)
from assistant.process import free_port, running
from assistant.records import Reply

CHILD = "How do I do the child's pose?"
HOLD = "How long should I hold it?"
USER, PASSWORD, KEY = "probe", "right-password-7c1", "probe-key-91d2"


def run(*args: str, input=None, env=None):
    return CliRunner(env=env).invoke(main, list(args), input=input, catch_exceptions=False)


def one_line(text: str) -> bool:
    return text.strip().count("\n") == 0 and "Traceback" not in text


@pytest.fixture(scope="module")
def ui_text(bot):
    return texts(str(bot.settings.prompts_dir))


def test_failed_logins_are_limited_per_address_and_a_success_clears_them():
    guard = LoginGuard(limit=3, window=60)
    for i in range(3):
        assert guard.wait("a", now=100 + i) == 0
        guard.failed("a", now=100 + i)
    assert guard.wait("a", now=103) == pytest.approx(57) and guard.wait("b", now=103) == 0
    assert guard.wait("a", now=161) == 0
    guard.failed("c", now=0)
    guard.succeeded("c")
    assert guard.wait("c", now=1) == 0


# ---- the library ----

@pytest.mark.parametrize("question", ["How do I stretch \ud800 my back?", "\udcff\udcfe", 123, ["a list"], None,
                                      "x" * 10_000_000])
def test_the_library_refuses_bad_questions_in_one_line(bot, question):
    for call in (lambda: bot.ask(question), lambda: next(bot.stream(question))):
        with pytest.raises(InvalidQuestion) as err:
            call()
        assert one_line(str(err.value)) and len(str(err.value)) < 200


@pytest.mark.parametrize("history", ["How do I do the child's pose?", {"question": CHILD}, [CHILD], 5])
def test_the_library_refuses_a_history_that_is_not_a_list_of_replies(bot, history):
    with pytest.raises(InvalidQuestion, match="history"):
        bot.ask(HOLD, history)


def test_the_library_answers_with_a_bounded_history(bot, monkeypatch):
    first = bot.ask(CHILD)
    seen = []
    real = bot._chain._replayed

    def spy(history):  # what the chain keeps of the history it was given
        seen.append(len(history))
        return real(history)

    monkeypatch.setattr(bot._chain, "_replayed", spy)
    reply = bot.ask(HOLD, [first] * 10_000)
    assert seen == [bot.settings.max_history] and reply.citations[0].section_id == "childs-pose"


# ---- the CLI ----

def test_ask_with_invalid_utf8_from_the_terminal_is_one_line_exit_2(tmp_path):
    env = {**os.environ, "BACKSTRETCH_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run([sys.executable, "-m", "assistant", "ask", b"How do I \xff\xfe stretch?"],
                          capture_output=True, env=env, timeout=120)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2 and one_line(err) and "not valid text" in err
    assert not (tmp_path / "data").exists()


def test_chat_survives_invalid_utf8_and_answers_the_next_question(settings, bot):
    env = {**os.environ, "BACKSTRETCH_DATA_DIR": str(settings.data_dir)}
    proc = subprocess.run([sys.executable, "-m", "assistant", "chat"], input=b"bad \xff\xfe bytes\n" +
                          CHILD.encode() + b"\n", capture_output=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    assert b"not valid text" in proc.stderr and b"Traceback" not in proc.stderr
    assert b"Kneel on a padded surface" in proc.stdout


def test_a_jsonl_batch_reports_bad_bytes_and_lone_surrogates_per_line(settings, bot):
    lines = b"\n".join([b"How do I \xff stretch?", json.dumps({"question": "x\ud800"}).encode(), CHILD.encode()])
    result = CliRunner().invoke(main, ["--data-dir", str(settings.data_dir), "ask", "--jsonl", "-"],
                                input=lines + b"\n")
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.exit_code == 1 and len(out) == 3
    assert "not valid text" in out[0]["error"] and "unicode" in out[1]["error"]  # pydantic's words for JSON
    assert out[2]["status"] == "answered"


def test_a_missing_prompts_folder_is_one_line_without_needing_the_prompts(tmp_path):
    result = run("--data-dir", str(tmp_path / "d"), "ask", CHILD, env={"BACKSTRETCH_PROMPTS_DIR": str(tmp_path / "no")})
    assert result.exit_code == 2 and one_line(result.stderr)
    assert "prompts folder" in result.stderr and "BACKSTRETCH_PROMPTS_DIR" in result.stderr


def test_ingest_of_a_missing_path_says_so_not_that_it_is_not_a_txt(tmp_path, corpus_copy):
    result = run("--data-dir", str(tmp_path / "d"), "--corpus-dir", str(corpus_copy), "ingest",
                 str(tmp_path / "missing.txt"))
    assert result.exit_code == 1 and one_line(result.stderr)
    assert "no such file" in result.stderr and "not a .txt" not in result.stderr


def test_a_chroma_server_that_is_down_is_named_instead_of_advising_ingest(tmp_path):
    port = free_port()
    result = run("--data-dir", str(tmp_path / "d"), "ask", CHILD,
                 env={"BACKSTRETCH_CHROMA_HOST": "127.0.0.1", "BACKSTRETCH_CHROMA_PORT": str(port)})
    assert result.exit_code == 1 and one_line(result.stderr), result.stderr
    assert f"127.0.0.1:{port} does not answer" in result.stderr and "backstretch ingest" not in result.stderr


def test_a_url_in_a_reply_never_becomes_a_terminal_link(monkeypatch, capsys):
    from assistant.interfaces.cli import _print_reply

    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    text = "see https://evil。example/ and [link=https://evil.example]this[/link]"
    _print_reply(Reply(text, "out_of_scope", text, options=(text,)), as_json=False)
    out = capsys.readouterr().out
    assert "\x1b]8;" not in out and "https://evil。example/" in out and "[link=https://evil.example]" in out


def _damaged(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database at all" * 300)


def test_feedback_export_of_a_damaged_database_is_one_line(tmp_path):
    _damaged(tmp_path / "feedback.sqlite3")
    for fmt in ("csv", "jsonl"):
        result = run("--data-dir", str(tmp_path), "feedback", "export", "--format", fmt)
        assert result.exit_code == 1 and one_line(result.stderr) and "damaged" in result.stderr


def test_feedback_export_skips_a_bad_row_says_so_and_creates_nothing(tmp_path):
    assert run("--data-dir", str(tmp_path), "feedback", "export").exit_code == 0
    assert not (tmp_path / "feedback.sqlite3").exists()
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    store.add("a", {"question": "q1"}, liked=True)
    store.add("b", {"question": "q2"}, liked=False)
    with sqlite3.connect(store.path) as db:
        db.execute("UPDATE feedback SET reply = 'garbage' WHERE session = 'a'")
    result = run("--data-dir", str(tmp_path), "feedback", "export")
    assert result.exit_code == 0 and [json.loads(x)["session"] for x in result.stdout.splitlines()] == ["b"]
    assert "skipped 1" in result.stderr and one_line(result.stderr)


@pytest.mark.parametrize("env", [{}, {"BACKSTRETCH_FEEDBACK_URL": "postgresql+psycopg://nobody@127.0.0.1:{port}/x"}])
def test_serve_with_an_unusable_feedback_database_stops_in_one_line(tmp_path, env):
    if env:
        env = {k: v.format(port=free_port()) for k, v in env.items()}
    else:
        _damaged(tmp_path / "feedback.sqlite3")
    result = run("--data-dir", str(tmp_path), "serve", "--port", str(free_port()), env=env)
    assert result.exit_code == 1 and one_line(result.stderr), result.stderr
    assert ("damaged" if not env else "does not answer") in result.stderr
    assert not (tmp_path / "chroma").exists()  # refused before loading anything


# ---- the page, in process ----

@pytest.mark.parametrize("question", ["x\ud800", "\x1b[31mred", "x" * 5000])
def test_the_page_gives_a_hint_and_keeps_its_stream_for_a_bad_question(bot, ui_text, question):
    steps = list(converse(bot, ui_text, question, []))
    assert len(steps) == 1 and steps[0].hint and steps[0].turns == [] and len(steps[0].hint) < 200


@pytest.mark.parametrize("question, history, words", [
    ("x" * 3_000_000, [], "limit is 2000"),
    ("x\ud800", [], "not valid text"),
    (42, [], "text"),
    (HOLD, "How do I do the child's pose?", "must be a list"),
    (HOLD, [CHILD] * 65, "at most 64"),
    (HOLD, [CHILD, "\ud800"], "history item 1"),
    (HOLD, [CHILD, {"role": "user"}], "history item 1"),
    (HOLD, [CHILD, "x" * 3000], "history item 1"),
])
def test_the_page_api_refuses_bad_input_briefly_and_before_answering_anything(bot, ui_text, monkeypatch,
                                                                             question, history, words):
    asked = []
    real = bot.ask
    monkeypatch.setattr(bot, "ask", lambda q, h=None: asked.append(q) or real(q, h))
    out = ask_api(bot, ui_text, Replayer(), question, history)
    assert out["status"] == "invalid" and words in out["error"]
    assert len(json.dumps(out)) < 400 and "question" not in out  # never echoes the input back
    assert all(q == question for q in asked)  # no earlier turn was answered (at most the question's own check)


def test_the_page_api_answers_history_as_a_list_of_questions(bot, ui_text):
    out = ask_api(bot, ui_text, Replayer(), HOLD, [CHILD])
    assert out["status"] == "answered" and out["citations"][0]["section_id"] == "childs-pose"


@pytest.mark.parametrize("raw", ["https://evil。example/", "see http://evil.example/x and www.evil.example",
                                 "<a href='https://evil.example'>x</a>", "[x](https://evil.example)"])
def test_urls_in_a_question_never_become_links_on_the_page_or_in_the_copy_text(raw, ui_text):
    reply = Reply(raw, "out_of_scope", f"You asked: {raw}", options=(raw,))
    turn = Turn(raw, reply)
    for page in (conversation_html([turn], ui_text), sources_html([turn], ui_text)):
        assert "<a " not in page.replace('<a class="cite"', "") and "href=\"http" not in page
    assert raw in copy_text(reply, ui_text)  # plain text, exactly as typed


def test_votes_target_only_this_sessions_answered_replies_with_a_real_value(bot, tmp_path):
    store = FeedbackStore(tmp_path / "f.sqlite3")
    answered, pending = Turn(CHILD, bot.ask(CHILD)), Turn("my own message")
    turns = [answered, pending]
    for turn_id, value in [(pending.id, 1), ("-1", 1), ("0", 1), ("", 1), (answered.id, True), (answered.id, "1"),
                           (answered.id, None), (answered.id, 1.0), (answered.id, 2)]:
        assert record_vote(store, "s", turns, turn_id, value) is None
    assert store.all() == []
    for _ in range(20):
        record_vote(store, "s", turns, answered.id, 1)
    assert len(store.all()) == 1
    for bad in ({"a": 1}, "nul\x00", "esc\x1b[2J"):
        with pytest.raises(BackstretchError):
            record_comment(store, "s", turns, answered.id, bad)
    assert store.all()[0].comment == ""


def test_a_vote_against_a_damaged_database_says_so(bot, tmp_path):
    path = tmp_path / "f.sqlite3"
    store = FeedbackStore(path)
    for extra in ("-wal", "-shm"):
        (tmp_path / f"f.sqlite3{extra}").unlink(missing_ok=True)
    _damaged(path)
    turn = Turn(CHILD, bot.ask(CHILD))
    with pytest.raises(BackstretchError, match="damaged") as err:
        record_vote(store, "s", [turn], turn.id, 1)
    assert one_line(str(err.value)) and str(path) in str(err.value)


# ---- a live server with a login and an API key ----

@pytest.fixture(scope="module")
def guarded(bot, settings, tmp_path_factory):
    """`backstretch serve` with a login and an API key, on a free 127.0.0.1 port, stopped after the module."""
    data = tmp_path_factory.mktemp("abuse-served")
    shutil.copytree(settings.data_dir, data, dirs_exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "BACKSTRETCH_DATA_DIR": str(data), "BACKSTRETCH_UI_USER": USER,
           "BACKSTRETCH_UI_PASSWORD": PASSWORD, "BACKSTRETCH_API_KEY": KEY}
    with running([sys.executable, "-m", "assistant", "serve", "--port", str(port)], f"{url}/health", env,
                 log=data / "serve.log"):
        yield url


def _login(url: str, password: str):
    import httpx

    return httpx.post(f"{url}/login", data={"username": USER, "password": password}, timeout=30)


def test_cancel_needs_the_login(guarded, tmp_path):
    import httpx

    body = {"session_hash": "x", "fn_index": 0, "event_id": "y"}
    assert httpx.post(f"{guarded}/gradio_api/cancel", json=body, timeout=30).status_code == 401


def _api(url: str, path: str, payload: object, raw: bool = False) -> tuple[int, dict]:
    data = payload.encode() if raw else json.dumps(payload).encode()
    request = urllib.request.Request(f"{url}{path}", data, {"Content-Type": "application/json",
                                                            "Authorization": f"Bearer {KEY}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.parametrize("path, payload", [
    ("/api/ask", {"question": "x\ud800"}),
    ("/api/ask", {"question": CHILD, "history": "How do I do the child's pose?"}),
    ("/api/ask", {"question": CHILD, "history": [CHILD, "\ud800"]}),
    ("/api/ask", {"question": 5}),
    ("/api/ask", {"question": CHILD, "histroy": []}),
    ("/api/ask", [CHILD, []]),
    ("/api/ask", None),
    ("/api/ask", {"question": CHILD, "history": [CHILD] * 65}),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "x\ud800"}]}),
    ("/v1/chat/completions", {"messages": "How do I do the child's pose?"}),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": CHILD}], "stream": "sometimes"}),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": {"text": CHILD}}]}),
    ("/v1/chat/completions", [{"role": "user", "content": CHILD}]),
])
def test_the_rest_and_openai_routes_answer_bad_input_with_a_400_and_a_message(guarded, path, payload):
    code, body = _api(guarded, path, payload)
    assert code == 400, body
    assert isinstance(body["error"], dict) and body["error"]["message"] and one_line(body["error"]["message"])
    assert len(json.dumps(body)) < 1000


@pytest.mark.parametrize("data, words", [
    (["x\ud800", []], "not valid text"),
    ([CHILD, "How do I do the child's pose?"], "must be a list"),
    ([CHILD, [CHILD] * 65], "at most 64"),
    ([7, []], "text"),
])
def test_the_gradio_api_answers_bad_input_with_the_invalid_shape(guarded, data, words):
    import httpx

    with httpx.Client(base_url=guarded, timeout=60) as http:
        assert http.post("/login", data={"username": USER, "password": PASSWORD}).status_code in (200, 429)
        started = http.post("/gradio_api/call/ask", content=json.dumps({"data": data}),  # \ud800 as an escape
                            headers={"Content-Type": "application/json"})
        if started.status_code == 401:  # the login was rate-limited by the test above: log in is per address
            pytest.skip("login rate-limited by an earlier test in this module")
        event = started.json()["event_id"]
        stream = http.get(f"/gradio_api/call/ask/{event}").text
    assert "event: complete" in stream, stream
    payload = json.loads(stream.split("data: ", 1)[1].splitlines()[0])[0]
    assert payload["status"] == "invalid" and words in payload["error"] and "question" not in payload


# last: it blocks this address's logins for a minute
def test_the_page_limits_failed_logins_then_lets_the_right_password_in_later(guarded):
    codes = [_login(guarded, f"wrong-{i}").status_code for i in range(8)]
    assert codes[:5] == [400] * 5 and set(codes[5:]) == {429}
    blocked = _login(guarded, PASSWORD)
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert "Too many failed logins" in blocked.json()["detail"]


def test_a_lexicon_that_will_not_load_is_one_line_and_never_an_abort(settings, bot, tmp_path):
    lexicon = tmp_path / "lexicon"
    shutil.copytree(settings.lexicon_dir, lexicon)
    flags = lexicon / "red_flags.yaml"
    text = flags.read_text(encoding="utf-8")
    assert text.count('brake ~16 worse|weaker"') == 1
    flags.write_text(text.replace('brake ~16 worse|weaker"', 'brake ~24 worse|weaker"'), encoding="utf-8")
    env = {**os.environ, "BACKSTRETCH_DATA_DIR": str(settings.data_dir), "BACKSTRETCH_LEXICON_DIR": str(lexicon)}
    for _ in range(6):  # the abort was a race with the encoder's thread: about one run in two from a shell
        proc = subprocess.run([sys.executable, "-m", "assistant", "ask", CHILD], capture_output=True, env=env,
                              timeout=300)
        err = proc.stderr.decode("utf-8", "replace")
        assert proc.returncode == 2 and one_line(err) and "a gap of 24 words" in err, err
        assert "terminate called" not in err
