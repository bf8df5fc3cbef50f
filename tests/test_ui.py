"""The web page: safe rendering, the gradio_client API against a live server, and a real browser session."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys

import pytest
from click.testing import CliRunner

from assistant.interfaces.cli import main
from assistant.interfaces.feedback import FeedbackStore
from assistant.interfaces.ui import converse, methods_html, plain, sources_html, texts
from assistant.process import free_port, running
from assistant.records import Reply

BROWSER_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu",
                "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def ui_text(fake_bot):
    return texts(str(fake_bot.settings.prompts_dir))


@pytest.mark.parametrize("raw", ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>',
                                 '[click](http://evil.example)', '![x](http://evil.example/x.png)'])
def test_question_text_is_neutralised_for_the_chat(raw):
    shown = plain(raw)
    assert "<" not in shown and "](" not in shown


def test_sources_panel_shows_each_quote_escaped_with_its_kind(fake_bot, ui_text):
    reply = fake_bot.ask("Is the hug from the front safe?")
    panel = sources_html(reply, ui_text)
    for c in reply.citations:
        assert f'data-n="{c.n}"' in panel
    assert panel.count('class="source warning"') == sum(c.kind == "warning" for c in reply.citations) >= 2
    assert "⚠" in panel


def test_method_browser_lists_all_13_methods_with_their_warnings(fake_bot, ui_text):
    page = methods_html(fake_bot.library.sections, ui_text)
    assert page.count('class="method"') == 13
    for s in fake_bot.library.sections:
        for w in s.warnings:
            assert w.text.replace("'", "&#x27;") in page


def test_a_turn_streams_line_by_line_then_ends_with_the_reply(fake_bot, ui_text):
    steps = list(converse(fake_bot, ui_text, "How do I use a foam roller?", [], []))
    assert len(steps) > 3 and all(s.reply is None for s in steps[:-1])
    final = steps[-1]
    assert isinstance(final.reply, Reply) and final.turns == [final.reply]
    assert [m["role"] for m in final.chat] == ["user", "assistant"]


@pytest.mark.parametrize("question, shown", [("x" * 2001, "the limit is 2000"), ("   ", "Please type a question.")])
def test_a_bad_question_gets_a_friendly_line_in_the_chat(fake_bot, ui_text, question, shown):
    [step] = list(converse(fake_bot, ui_text, question, [], []))
    assert step.done and step.reply is None and step.turns == [None]
    assert shown in step.chat[-1]["content"].replace("\\", "")


def test_an_error_inside_the_chain_shows_a_friendly_message_not_a_traceback(fake_bot, ui_text, monkeypatch):
    def broken(question, history):
        raise RuntimeError("index exploded")
        yield  # pragma: no cover

    monkeypatch.setattr(fake_bot, "stream", broken)
    [step] = list(converse(fake_bot, ui_text, "How do I use a foam roller?", [], []))
    text = step.chat[-1]["content"]
    assert "went wrong" in text and "Traceback" not in text and "exploded" not in text


def test_a_referral_turn_is_marked_for_the_notice(fake_bot, ui_text):
    final = list(converse(fake_bot, ui_text, "I can't control my bladder and my back hurts", [], []))[-1]
    assert final.reply.status == "referral" and final.reply.urgent
    assert "emergency" in final.chat[-1]["metadata"]["title"].lower()


@pytest.mark.parametrize("args", [["serve", "--host", "0.0.0.0"], ["serve", "--host", "192.168.1.5"]])
def test_binding_beyond_loopback_without_credentials_is_refused(args, tmp_path):
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path)] + args)
    assert result.exit_code == 2 and "--no-auth" in result.stderr and not (tmp_path / "chroma").exists()


@pytest.fixture(scope="module")
def live(bot, settings, tmp_path_factory):
    """A real `backstretch serve` on a free loopback port (the session's index), stopped after the module."""
    data = tmp_path_factory.mktemp("served")
    shutil.copytree(settings.data_dir, data, dirs_exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "BACKSTRETCH_DATA_DIR": str(data)}
    with running([sys.executable, "-m", "assistant", "serve", "--port", str(port)], url, env, log=data / "serve.log"):
        yield url, FeedbackStore(data / "feedback.sqlite3")


def test_api_answers_with_citations_through_gradio_client(live):
    from gradio_client import Client

    url, _ = live
    client = Client(url, verbose=False)
    reply = client.predict("How long should I hold it?", ["How do I do the child's pose?"], api_name="/ask")
    assert reply["status"] == "answered"
    assert reply["citations"][0]["section_id"] == "childs-pose" and "30 seconds" in reply["citations"][0]["quote"]
    bad = client.predict("", [], api_name="/ask")
    assert bad["status"] == "invalid" and "Please type a question." in bad["error"]


def test_a_burst_of_concurrent_users_is_queued_not_dropped(live):
    from concurrent.futures import ThreadPoolExecutor

    from gradio_client import Client

    url, _ = live
    questions = ["How do I stretch my mid back?", "Is the hug from behind safe?", "How do I use a foam roller?",
                 "What can I do while sitting?"] * 6

    def one(q: str) -> str:
        return Client(url, verbose=False).predict(q, [], api_name="/ask")["status"]

    with ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(one, questions))
    assert statuses == ["answered"] * len(questions)


@pytest.mark.browser
def test_a_person_asks_follows_up_is_safe_from_markup_and_votes(live, bot, tmp_path):
    from playwright.sync_api import sync_playwright

    url, store = live
    dialogs, outside = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=BROWSER_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: outside.append(r.url) if "127.0.0.1" not in r.url and
                not r.url.startswith(("data:", "blob:")) else None)
        page.goto(url)

        def ask(question: str, wait_for: str, where: str = "#sources") -> None:
            """Ask, then wait until `where` shows text that only the new reply brings."""
            page.fill("#question textarea", question)
            page.click("#send")
            shows = "([sel, t]) => (document.querySelector(sel) || {innerText: ''}).innerText.includes(t)"
            page.wait_for_function(shows, arg=[where, wait_for], timeout=60_000)

        # 1. a question: the reply cites [1], the sources panel shows the exact quote, warnings are marked
        expected = bot.ask("How do I use a foam roller?")
        ask("How do I use a foam roller?", expected.citations[-1].quote)
        assert "[1]" in page.inner_text("#chat")
        sources = page.inner_text("#sources")
        assert all(c.quote in sources for c in expected.citations)
        warning = page.locator("#sources .source.warning").first
        assert warning.is_visible() and "warning" in warning.inner_text().lower() and "⚠" in warning.inner_text()
        page.screenshot(path=str(tmp_path / "1-answer.png"))

        # 2. a follow-up is answered about the same method
        ask("How do I do the child's pose?", "Kneel on a padded surface")
        ask("How long should I hold it?", "about 30 seconds", where="#sources .source")
        first = page.locator("#sources .source").first.inner_text()
        assert "Child's pose" in first and "30 seconds" in first
        page.screenshot(path=str(tmp_path / "2-follow-up.png"))

        # 3. markup in a question shows as text and runs nothing
        attack = ('<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> '
                  '[link](http://evil.example) mid back?')
        ask(attack, "Standing back extension")
        assert page.evaluate("window.__pwned") is None and dialogs == []
        assert "<script>window.__pwned=1</script>" in page.inner_text("#chat")
        assert not [u for u in outside if "evil.example" in u]
        page.screenshot(path=str(tmp_path / "3-markup.png"))

        # 4. thumbs-down on the last reply lands in SQLite with the reply's citations
        page.fill("#comment textarea", "the answer was too long")
        page.locator("#chat button[aria-label='Dislike']").last.click()
        page.wait_for_function("() => document.querySelector('#comment textarea').value === ''", timeout=30_000)
        browser.close()
    with sqlite3.connect(store.path) as db:
        rows = db.execute("SELECT vote, comment, question, reply FROM feedback WHERE vote = -1").fetchall()
    assert len(rows) == 1
    vote, comment, question, reply_json = rows[0]
    assert (vote, comment, question) == (-1, "the answer was too long", attack)
    assert '"citations"' in reply_json


@pytest.mark.browser
def test_two_browser_sessions_never_share_a_conversation(live):
    from playwright.sync_api import sync_playwright

    url, _ = live
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=BROWSER_ARGS)
        alice, bob = browser.new_context().new_page(), browser.new_context().new_page()
        for page in (alice, bob):
            page.goto(url)
        alice.fill("#question textarea", "How do I do the child's pose?")
        alice.click("#send")
        alice.wait_for_function("() => document.querySelector('#sources').innerText.includes('Kneel')", timeout=60_000)
        bob.fill("#question textarea", "How long should I hold it?")
        bob.click("#send")
        # both messages are in bob's chat once the reply is complete (each gets a copy button)
        bob.wait_for_function("() => document.querySelectorAll(\"#chat button[aria-label='Copy message']\").length >= 2"
                              " && document.querySelector('#question textarea').value === ''", timeout=60_000)
        bob.wait_for_timeout(1000)
        assert "child's pose" not in bob.inner_text("#chat").lower()
        assert "Child's pose" not in bob.inner_text("#sources")
        assert "How long should I hold it?" not in alice.inner_text("#chat")
        browser.close()


@pytest.mark.browser
def test_a_red_flag_is_shown_as_a_notice_not_a_plain_bubble(live):
    from playwright.sync_api import sync_playwright

    url, _ = live
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=BROWSER_ARGS)
        page = browser.new_page()
        page.goto(url)
        page.fill("#question textarea", "My back hurts and my groin has gone numb")
        page.click("#send")
        notice = page.locator("#notice .notice.emergency")
        notice.wait_for(timeout=60_000)
        assert "emergency" in notice.inner_text().lower()
        assert page.locator("#sources .source").count() == 0
        browser.close()
