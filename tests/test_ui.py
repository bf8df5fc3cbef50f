"""The web page: safe rendering, the gradio_client API against a live server, and a real browser session."""

from __future__ import annotations

import html
import os
import re
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.interfaces.cli import main
from assistant.interfaces.feedback import FeedbackStore
from assistant.interfaces.ui import (
    Turn,
    article_html,
    conversation_html,
    converse,
    copy_text,
    methods_html,
    options_of,
    record_comment,
    record_vote,
    sources_html,
    texts,
)
from assistant.process import free_port, running
from assistant.records import Reply

BROWSER_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-gpu",
                "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="module")
def ui_text(bot):
    return texts(str(bot.settings.prompts_dir))


def _turn(bot, question: str, history=()) -> Turn:
    return Turn(question, bot.ask(question, list(history)))


@pytest.mark.parametrize("raw", ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>',
                                 '[click](http://evil.example)', 'see http://example.com/a_b*c*', "it's \\ fine"])
def test_a_question_shows_exactly_as_typed_and_nothing_in_it_is_markup(raw, ui_text):
    page = conversation_html([Turn(raw)], ui_text)
    assert f'<p class="q-text">{html.escape(raw)}</p>' in page
    assert "<script" not in page and "<img" not in page and "<a " not in page and "\\." not in page


def test_each_citation_marker_links_to_its_own_card(bot, ui_text):
    turn = _turn(bot, "How do I use a foam roller?")
    page = conversation_html([turn], ui_text)
    for c in turn.reply.citations:
        assert f'href="#src-{turn.id}-{c.n}"' in page and f'id="src-{turn.id}-{c.n}"' in page
        assert f'aria-label="Source {c.n}"' in page
    assert page.count('class="cite"') == turn.reply.answer.count("[") >= 3


def test_sources_panel_keeps_every_replys_sources_and_shows_the_latest(bot, ui_text):
    first = _turn(bot, "Is the hug from the front safe?")
    second = _turn(bot, "How do I use a foam roller?")
    panel = sources_html([first, second], ui_text)
    assert f'<section class="turn-sources" data-turn="{first.id}" hidden>' in panel
    assert f'<section class="turn-sources" data-turn="{second.id}">' in panel
    for turn in (first, second):
        for c in turn.reply.citations:
            assert f'id="psrc-{turn.id}-{c.n}"' in panel
    warnings = sum(c.kind == "warning" for x in (first, second) for c in x.reply.citations)
    assert panel.count('class="source warning"') == warnings >= 2 and "⚠" in panel


def test_copy_text_is_plain_with_its_sources_listed(bot, ui_text):
    reply = bot.ask("How long should I hold the child's pose?")
    text = copy_text(reply, ui_text)
    assert "\\" not in text and "<" not in text and "&#" not in text
    assert text.startswith(reply.answer.strip())
    for c in reply.citations:
        assert f"[{c.n}] {c.section_title} ({c.kind}): “{c.quote}”" in text


def _referral(urgent: bool = False) -> Reply:
    return Reply("My leg is numb and weak", "referral", "Please see a doctor before any stretch.", urgent=urgent,
                 flag="cauda_equina")


@pytest.mark.parametrize("urgent", [False, True])
def test_a_referral_is_shown_once_and_stays_last_while_the_conversation_holds_it(ui_text, urgent):
    referral = Turn("My leg is numb and weak", _referral(urgent))
    later = Turn("How do I do the child's pose?", Reply("How do I do the child's pose?", "referral",
                                                         "Not while that symptom lasts.", flag="cauda_equina"))
    alone = conversation_html([referral], ui_text)
    held = conversation_html([referral, later], ui_text)
    title = ui_text["emergency_title"] if urgent else ui_text["referral_title"]
    for page in (alone, held):
        assert page.count('<section class="notice') == 1 + (page is held)  # `later` is itself a referral reply
    plain_later = Turn("Thanks", Reply("Thanks", "social", "You're welcome.", flag="cauda_equina"))
    page = conversation_html([referral, plain_later], ui_text)
    assert page.count('<section class="notice') == 1 and page.count(html.escape(title)) == 2  # heading + label
    assert page.index('class="held-notice"') > page.index("You&#x27;re welcome.")
    assert ui_text["referral_below"] in page
    assert (ui_text["emergency_action"] in page) is urgent
    cleared = Turn("Thanks", Reply("Thanks", "social", "You're welcome."))
    page = conversation_html([referral, cleared], ui_text)
    assert page.count('<section class="notice') == 1 and 'class="held-notice"' not in page


def test_clarify_options_are_buttons_that_ask_that_question(ui_text):
    reply = Reply("Is it safe?", "clarify", "Which method do you mean?",
                  options=("Is the hug from behind safe?", "Is the child's pose safe?"))
    page = conversation_html([Turn("Is it safe?", reply)], ui_text)
    assert page.count('class="option"') == 2
    assert 'data-q="Is the child&#x27;s pose safe?"' in page


def test_out_of_scope_suggestions_in_the_text_become_buttons(bot, ui_text):
    reply = bot.ask("What is the capital of France?")
    assert reply.status == "out_of_scope"
    options, lines = options_of(reply)
    assert options and all(q.endswith("?") for q in options)
    page = conversation_html([Turn(reply.question, reply)], ui_text)
    assert page.count('class="option"') == len(options)
    shown = re.sub(r'data-copy="[^"]*"', "", page)  # the copy text keeps them as lines, the page as buttons
    assert "- How do I" not in shown and options[0] in shown


@pytest.mark.parametrize("question", ["Is the hug from the front safe?", "How long should I hold the child's pose?",
                                      "How do I stretch my mid back?"])
def test_the_articles_answer_opens_the_reply_in_its_own_paragraph(bot, ui_text, question):
    turn = _turn(bot, question)
    page = conversation_html([turn], ui_text)
    body = page.split('<div class="msg bot">', 1)[1]
    first = re.match(r'<p class="(warn )?lead">(.*?)</p>', body)
    assert first, body[:200]
    assert html.escape(turn.reply.citations[0].quote) in first.group(2)
    assert body.count("lead\">") == 1  # only the opening sentence: the plain line and the detail follow apart


def test_each_listed_method_is_a_button_that_asks_for_its_steps(bot, ui_text):
    turn = _turn(bot, "How do I stretch my mid back?")
    reply = turn.reply
    page = conversation_html([turn], ui_text)
    items = [line for line in reply.answer.splitlines() if re.match(r"^\d+\. ", line)]
    assert len(items) >= 3
    for i, sid in enumerate(reply.focus[:len(items)]):
        title = bot.library.section(sid).title
        button = f'<button type="button" class="option item-open" data-q="{html.escape(reply.options[i])}">'
        assert f"{i + 1}. {button}{html.escape(title)}</button>" in page
    assert page.count('class="option"') == len(reply.options)  # the offered questions stay as buttons too
    steps = [p.text for sid in reply.focus for p in bot.library.section(sid).steps]
    chat = re.sub(r'data-copy="[^"]*"', "", page.split('<details class="reply-sources">')[0])
    assert not [s for s in steps if html.escape(s) in chat]


def test_method_browser_has_an_index_ask_buttons_and_its_own_cautions_heading(bot, ui_text):
    page = methods_html(bot.library.sections, bot.library.general, ui_text)
    assert page.count('<div class="method" id="method-') == 13 and page.count('class="ask"') == 13
    assert page.count('<li><a href="#method-') == 14
    assert f"<h3>{ui_text['methods_general']}</h3>" in page
    for s in bot.library.sections + bot.library.general:
        for w in s.warnings:
            assert html.escape(w.text) in page


def test_the_article_view_holds_every_passage_at_its_span(bot, ui_text):
    page = article_html(bot.library.general + bot.library.sections, ui_text)
    for p in bot.library.passages:
        assert f'data-start="{p.start}" data-end="{p.end}">{html.escape(p.text)}</span>' in page


def test_a_turn_streams_line_by_line_then_ends_with_the_reply(bot, ui_text):
    steps = list(converse(bot, ui_text, "How do I use a foam roller?", []))
    assert len(steps) > 3 and all(s.reply is None for s in steps[:-1])
    final = steps[-1]
    assert isinstance(final.reply, Reply) and [x.reply for x in final.turns] == [final.reply]
    assert final.turns[0].question == "How do I use a foam roller?"


@pytest.mark.parametrize("question, shown", [("x" * 2001, "the limit is 2000"), ("   ", "Please type a question."),
                                             ("", "Please type a question.")])
def test_a_bad_question_is_not_sent_and_gets_an_inline_hint(bot, ui_text, question, shown):
    earlier = [_turn(bot, "How do I do the child's pose?")]
    [step] = list(converse(bot, ui_text, question, earlier))
    assert step.done and step.reply is None and step.turns == earlier and shown in step.hint


def test_an_error_inside_the_chain_shows_a_friendly_message_not_a_traceback(bot, ui_text, monkeypatch):
    def broken(question, history):
        raise RuntimeError("index exploded")
        yield  # pragma: no cover

    monkeypatch.setattr(bot, "stream", broken)
    [step] = list(converse(bot, ui_text, "How do I use a foam roller?", []))
    text = conversation_html(step.turns, ui_text)
    assert "went wrong" in text and "Traceback" not in text and "exploded" not in text


def test_a_referral_turn_is_rendered_as_an_emergency_notice(bot, ui_text):
    final = list(converse(bot, ui_text, "I can't control my bladder and my back hurts", []))[-1]
    assert final.reply.status == "referral" and final.reply.urgent
    page = conversation_html(final.turns, ui_text)
    assert page.count('<section class="notice emergency"') == 1 and ui_text["emergency_title"] in page


def test_like_unlike_and_change_of_vote_leave_one_row_per_reply(bot, ui_text, tmp_path):
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    turns = [_turn(bot, "How do I do the child's pose?"), _turn(bot, "How do I use a foam roller?")]
    first, second = (x.id for x in turns)
    record_vote(store, "s1", turns, first, 1)
    record_vote(store, "s1", turns, first, -1)  # changed in place
    assert record_comment(store, "s1", turns, first, "  too long  ") is not None
    record_vote(store, "s1", turns, second, 1)
    record_vote(store, "s1", turns, second, 0)  # taken back
    assert record_comment(store, "s1", turns, second, "no vote, no comment") is None
    [row] = store.all()
    assert (row.reply_key, row.vote, row.comment, row.question) == (first, -1, "too long", turns[0].question)
    assert row.reply["citations"] == turns[0].reply.to_dict()["citations"]
    record_vote(store, "s2", turns, first, 1)  # another session votes on its own
    assert sorted(v.vote for v in store.all()) == [-1, 1]


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


AXE = Path(__file__).parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
DOCS = Path(__file__).resolve().parent.parent / "docs"
DESKTOP = {"viewport": {"width": 1400, "height": 1000}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=BROWSER_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium, live):
    """A fresh browser context (its own session) on the live page; closed after the test."""
    contexts = []

    def make(scheme: str = "light", **options):
        context = chromium.new_context(color_scheme=scheme, **(options or DESKTOP))
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live[0].rstrip("/"))
        contexts.append(context)
        page = context.new_page()
        page.goto(live[0])
        page.wait_for_selector("#chat .conversation")
        return page

    yield make
    for context in contexts:
        context.close()


def ask(page, question: str) -> None:
    """Type and send a question, then wait until its reply is complete (its tools appear)."""
    before = page.locator("#chat .tools").count()
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function("n => document.querySelectorAll('#chat .tools').length > n", arg=before, timeout=90_000)


def last_turn(page):
    return page.locator("#chat .turn").last


@pytest.mark.browser
def test_a_citation_click_highlights_its_card_and_an_earlier_replys_sources_come_back(open_page, bot):
    page = open_page()
    roller = bot.ask("How do I use a foam roller?")
    ask(page, "How do I use a foam roller?")
    page.locator("#chat a.cite", has_text="[2]").first.click()
    card = page.locator("#sources .source.lit")
    assert card.count() == 1 and card.is_visible() and roller.citations[1].quote in card.inner_text()
    assert page.locator("#chat a.cite.lit").inner_text() == "[2]"

    # the card opens its method's full text with the cited sentence highlighted
    card.locator("button.open-article").click()
    mark = page.locator("#article-view mark.cited").first
    mark.wait_for()
    assert roller.citations[1].quote.startswith(mark.inner_text())
    page.click("#article-view button.close-article")

    ask(page, "How do I do the child's pose?")
    ask(page, "How long should I hold it?")
    shown = page.locator("#sources .turn-sources:not([hidden])")
    assert "30 seconds" in shown.inner_text() and "Foam roller" not in shown.inner_text()
    page.locator("#chat .turn").first.locator("button.show-sources").click()
    shown = page.locator("#sources .turn-sources:not([hidden])")
    assert all(c.quote in shown.inner_text() for c in roller.citations)
    assert "selected" in page.locator("#chat .turn").first.get_attribute("class")

    # copy gives plain text with the sources listed
    page.locator("#chat .turn").first.locator("button.copy").click()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert "\\" not in copied and copied.startswith(roller.answer.split("\n")[0])
    assert "Sources:" in copied and roller.citations[-1].quote in copied


@pytest.mark.browser
def test_hovering_a_citation_highlights_its_card(open_page, bot):
    page = open_page()
    reply = bot.ask("Is the hug from the front safe?")
    ask(page, "Is the hug from the front safe?")
    for c in reply.citations[:3]:
        page.locator(f"#chat a.cite[data-n='{c.n}']").first.hover()
        lit = page.locator("#sources .source.lit")
        assert lit.count() == 1 and lit.get_attribute("data-n") == str(c.n) and c.quote in lit.inner_text()
        assert page.locator("#chat a.cite.lit").inner_text() == f"[{c.n}]"


@pytest.mark.browser
def test_the_page_shows_a_compact_list_whose_methods_open_their_steps(open_page, bot):
    page = open_page()
    listing = bot.ask("How do I stretch my mid back?")
    ask(page, "How do I stretch my mid back?")
    turn = last_turn(page)
    opener = turn.locator("button.item-open")
    assert opener.count() == min(len(listing.focus), 5)
    shown = turn.locator(".msg.bot").inner_text()  # on a wide screen the folded sources are not shown here
    steps = [p.text for sid in listing.focus for p in bot.library.section(sid).steps]
    assert "1. " in shown and not [s for s in steps if s in shown]
    opener.first.click()
    page.wait_for_function("() => document.querySelectorAll('#chat .tools').length > 1", timeout=90_000)
    shown = last_turn(page).inner_text()
    section = bot.library.section(listing.focus[0])
    assert all(p.text in shown for p in section.steps) and all(w.text in shown for w in section.warnings)


@pytest.mark.browser
def test_markup_and_a_url_in_a_question_show_as_typed_and_nothing_runs(open_page, live):
    page = open_page()
    dialogs, outside = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: outside.append(r.url) if "127.0.0.1" not in r.url and
            not r.url.startswith(("data:", "blob:")) else None)
    attack = ('<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> '
              '[link](http://evil.example) does http://example.com/a_b say how to stretch my mid back?')
    ask(page, attack)
    shown = last_turn(page).locator(".q-text")
    assert shown.inner_text() == attack and shown.locator("a, img, script").count() == 0
    assert page.evaluate("window.__pwned") is None and dialogs == []
    assert not [u for u in outside if "example" in u]
    label = page.locator("#chat a.cite").first.get_attribute("aria-label")
    assert label == "Source 1" and "\\" not in page.inner_text("#chat")


@pytest.mark.browser
def test_an_empty_question_is_not_sent_and_a_too_long_one_keeps_its_text(open_page):
    page = open_page()
    page.click("#send")
    page.wait_for_selector("#hint .hint")
    assert "Please type a question." in page.inner_text("#hint") and page.locator("#chat .turn").count() == 0
    page.fill("#question textarea", "x" * 2001)
    page.click("#send")
    page.wait_for_function("() => document.querySelector('#hint').innerText.includes('2000')")
    assert page.input_value("#question textarea") == "x" * 2001 and page.locator("#chat .turn").count() == 0


def _feedback_rows(store):
    with sqlite3.connect(store.path) as db:
        return db.execute("SELECT reply_key, vote, comment, question FROM feedback ORDER BY id").fetchall()


@pytest.mark.browser
def test_like_unlike_and_a_change_of_vote_leave_exactly_one_correct_row(open_page, live):
    _, store = live
    page = open_page()
    before = _feedback_rows(store)
    ask(page, "How do I do the child's pose?")
    ask(page, "How do I use a foam roller?")
    first, second = (page.locator("#chat .turn").nth(i) for i in (0, 1))
    first_id, second_id = first.get_attribute("data-turn"), second.get_attribute("data-turn")

    def click(turn, which: str, value: int) -> None:
        turn_id = turn.get_attribute("data-turn")
        turn.locator(f"button.vote.{which}").click()
        page.wait_for_selector(f'#feedback-status [data-turn="{turn_id}"][data-vote="{value}"]', state="attached")

    click(first, "up", 1)
    click(first, "up", 0)  # un-like
    assert first.locator(".comment-box").is_hidden()
    click(second, "up", 1)
    click(second, "down", -1)  # changed in place
    assert second.locator("button.vote.down").get_attribute("aria-pressed") == "true"
    assert second.locator("button.vote.up").get_attribute("aria-pressed") == "false"
    box = second.locator(".comment-box")
    box.locator("textarea").fill("the answer was too long")
    box.locator("button.save-comment").click()
    page.wait_for_function("() => document.querySelector('#feedback-status').innerText.includes('Comment saved')")
    assert "Comment saved" in second.locator(".vote-status").inner_text()
    assert first.locator(".vote-status").inner_text() == ""  # one confirmation, beside the reply it is about
    rows = [r for r in _feedback_rows(store) if r not in before]
    assert rows == [(second_id, -1, "the answer was too long", "How do I use a foam roller?")]
    assert first_id not in [r[0] for r in _feedback_rows(store)]


REFERRAL = "My back hurts and my groin has gone numb"


@pytest.mark.browser
def test_a_red_flag_is_shown_once_in_the_conversation_as_an_emergency_notice(open_page):
    page = open_page()
    ask(page, REFERRAL)
    notice = page.locator("#chat .notice.emergency")
    assert notice.count() == 1 and notice.is_visible()
    assert "emergency" in notice.inner_text().lower() and "Call your local emergency number" in notice.inner_text()
    assert page.locator("#sources .source").count() == 0 and page.locator("#notice").count() == 0


@pytest.mark.browser
def test_the_referral_stays_on_the_next_turn(open_page, bot):
    later = bot.conversation([REFERRAL, "How do I do the child's pose?"])[-1]
    assert later.status == "referral" and later.flag == "cauda_equina" and not later.citations
    page = open_page()
    ask(page, REFERRAL)
    ask(page, "How do I do the child's pose?")
    notices = page.locator("#chat section.notice.emergency")
    assert notices.count() == 1 and notices.is_visible()


@pytest.mark.browser
@pytest.mark.parametrize("scheme, size", [("light", "desktop"), ("dark", "desktop"), ("light", "phone"),
                                          ("dark", "phone")])
def test_both_schemes_and_sizes_are_readable_and_axe_finds_nothing_serious(open_page, scheme, size):
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run `make axe` (part of `make test`)")
    page = open_page(scheme, **(PHONE if size == "phone" else DESKTOP))
    ask(page, "What is the capital of France?")  # first: as a follow-up it is (for now) taken as about the method
    ask(page, "Is the hug from the front safe?")
    ask(page, REFERRAL)
    assert page.locator("#chat button.option").count() >= 3  # out-of-scope suggestions, clickable
    if size == "phone":
        # the chat comes first, sources fold under each reply, and only the page scrolls
        assert page.locator("#sources").is_hidden()
        first = page.locator("#chat .turn").nth(1)
        first.locator("details.reply-sources summary").click()
        assert first.locator(".source.warning").first.is_visible()
        chat_box, question_box = page.locator("#chat").bounding_box(), page.locator("#question").bounding_box()
        assert chat_box["y"] < question_box["y"]
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
        scrolling = page.evaluate("""() => [...document.querySelectorAll('#chat, #chat *')].filter(e => {
            const s = getComputedStyle(e).overflowY;
            return (s === 'auto' || s === 'scroll') && e.scrollHeight > e.clientHeight + 1; }).length""")
        assert scrolling == 0
    else:
        assert page.locator("#sources .source.warning").first.is_visible()
    page.locator("#methods button").first.click()  # open the method browser: its warnings are checked too
    page.wait_for_selector("#method-browser .method .warn")
    if size == "desktop" or scheme == "light":  # the README's screenshots: the warnings reply and the referral
        name = f"screenshot-{scheme}" if size == "desktop" else "screenshot-phone"
        shown = "#sources" if size == "desktop" else "#chat .turn:nth-child(2)"
        page.locator(shown).evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
        page.screenshot(path=str(DOCS / f"{name}.png"))
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    serious = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5]) for v in result["violations"]
               if v["impact"] in ("serious", "critical")]
    assert serious == []


@pytest.mark.browser
def test_two_browser_sessions_never_share_a_conversation(open_page):
    alice, bob = open_page(), open_page()
    ask(alice, "How do I do the child's pose?")
    ask(bob, "How long should I hold it?")
    assert bob.locator("#chat .turn").count() == 1 and "How do I do the child's pose?" not in bob.inner_text("#chat")
    assert "Child's pose" not in bob.inner_text("#sources")
    assert "How long should I hold it?" not in alice.inner_text("#chat")
