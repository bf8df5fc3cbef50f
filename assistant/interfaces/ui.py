"""The web page (Gradio): presentation only. Answers, safety and retrieval all come from the Assistant API.

The conversation is one HTML block that this module renders itself (not gr.Chatbot), so that citations can be
links, each reply keeps its own sources, the copy text is plain, and a vote is tied to the reply it was cast on.
Everything a person typed is HTML-escaped and never parsed as Markdown: it shows exactly as typed and runs nothing.
"""


import html
import logging
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BackstretchError, InvalidQuestion
from ..prompts import texts as load_texts
from ..records import Citation, Reply, Section
from . import layout
from .conversation import Replayer
from .feedback import FeedbackStore

log = logging.getLogger(__name__)
_MARKER = re.compile(r"\[(\d+)\]")
_SUGGESTION = re.compile(r"^\s*[-•]\s+(.+\?)\s*$")

CSS_PATH = Path(__file__).with_name("ui.css")
JS_PATH = Path(__file__).with_name("ui.js")


def texts(prompts_dir: str) -> dict:
    return load_texts(prompts_dir, "ui.yaml")


def esc(text: str) -> str:
    """Text shown as itself: HTML-escaped (quotes too, so it is safe in attributes); nothing else changes."""
    return html.escape(text or "", quote=True)


@dataclass
class Turn:
    """One exchange of a page session: the question as typed and, once answered, the reply.

    `id` is unique across the session's conversations, so a vote is keyed to this reply and no other."""

    question: str
    reply: Reply | None = None
    partial: str = ""  # the answer streamed so far, while `reply` is None
    error: str = ""  # a friendly line when answering failed
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    vote: int = 0  # 1, -1, or 0 for none
    comment: str = ""


def options_of(reply: Reply) -> tuple[list[str], list[str]]:
    """The questions to offer as buttons, and the answer's lines without them.

    Uses `reply.options` when the chain fills it; otherwise an out-of-scope answer's "- question?" lines."""
    lines = reply.answer.splitlines()
    if reply.status != "out_of_scope" and not reply.options:
        return [], lines
    found = list(reply.options) or [m.group(1) for m in map(_SUGGESTION.match, lines) if m]
    kept = [line for line in lines if not ((m := _SUGGESTION.match(line)) and m.group(1) in found)]
    if found and kept and kept[-1].rstrip().endswith(":"):
        kept.pop()  # "You could ask, for example:" now introduces the buttons
    return found, kept


def copy_text(reply: Reply, t: dict) -> str:
    """The reply as plain text with its sources listed: what the copy button puts on the clipboard."""
    parts = [reply.notice, reply.answer] if reply.notice else [reply.answer]
    text = "\n\n".join(p.strip() for p in parts if p.strip())
    if reply.options:
        text += "\n" + "\n".join(f"- {q}" for q in reply.options)
    if reply.citations:
        text += "\n\n" + t["sources_title"] + ":\n" + "\n".join(
            t["copy_source_line"].format(n=c.n, title=c.section_title, kind=t["kind_" + c.kind], quote=c.quote)
            for c in reply.citations)
    return text


def _linked(line: str, turn: Turn, t: dict, known: set[int]) -> str:
    """One escaped answer line with each [n] made a link to its source card."""
    out, last = [], 0
    for m in _MARKER.finditer(line):
        n = int(m.group(1))
        if n not in known:
            continue
        out.append(esc(line[last:m.start()]))
        label = esc(t["cite_label"].format(n=n))
        out.append(f'<a class="cite" href="#src-{turn.id}-{n}" data-turn="{turn.id}" data-n="{n}" '
                   f'aria-label="{label}">[{n}]</a>')
        last = m.end()
    out.append(esc(line[last:]))
    return "".join(out)


def _answer_html(lines: list[str], turn: Turn, t: dict, known: set[int], listed: tuple[str, ...] = (),
                 lead: bool = False) -> str:
    """The answer's lines as paragraphs, warnings apart. With `lead`, the opening lines (the article's own answer)
    are marked as such; with `listed` (a list's offered questions), each listed method's name is a button that
    asks for its steps."""
    blocks: list[str] = []
    para: list[str] = []
    opening = layout.opening(lines) if lead else 0

    def flush(in_lead: bool) -> None:
        if para:
            blocks.append(("<p class=\"lead\">" if in_lead else "<p>") + "<br>".join(para) + "</p>")
            para.clear()

    for i, line in enumerate(lines):
        in_lead = i < opening
        if i == opening:
            flush(True)  # the opening is its own paragraph, whatever follows it
        if not line.strip():
            flush(False)
        elif layout.is_warning(line):
            flush(in_lead)
            cls = "warn lead" if in_lead else "warn"
            blocks.append(f'<p class="{cls}">{_linked(line, turn, t, known)}</p>')
        elif listed and (item := layout.listed_item(line, listed)):
            end, title, question = item
            rest = line[end + len(title):]
            para.append(f'{esc(line[:end])}<button type="button" class="option item-open" data-q="{esc(question)}">'
                        f"{esc(title)}</button>{_linked(rest, turn, t, known)}")
        else:
            para.append(_linked(line, turn, t, known))
    flush(opening == len(lines))
    return "".join(blocks)


def card_html(c: Citation, turn_id: str, t: dict, prefix: str) -> str:
    """A source card: the method, a badge for its kind, the exact quote, and a button to see it in the article."""
    icon = "⚠ " if c.kind == "warning" else ""
    return (f'<div class="source {c.kind}" id="{prefix}-{turn_id}-{c.n}" data-turn="{turn_id}" data-n="{c.n}">'
            f'<span class="n">[{c.n}]</span> <span class="title">{esc(c.section_title)}</span>'
            f'<span class="badge {c.kind}">{icon}{esc(t["kind_" + c.kind])}</span>'
            f"<q>{esc(c.quote)}</q>"
            f'<button type="button" class="open-article" data-section="{esc(c.section_id)}" data-start="{c.start}" '
            f'data-end="{c.end}">{esc(t["open_article"])}</button></div>')


def notice_html(reply: Reply, t: dict) -> str:
    """The referral, as a notice: emergency in red with the action to take."""
    title = t["emergency_title"] if reply.urgent else t["referral_title"]
    cls = "notice emergency" if reply.urgent else "notice"
    action = f'<p class="action">{esc(t["emergency_action"])}</p>' if reply.urgent else ""
    return (f'<section class="{cls}" aria-label="{esc(title)}"><h3>⚠ {esc(title)}</h3>'
            f"<p>{esc(reply.answer)}</p>{action}</section>")


def _holding_referral(turns: list[Turn]) -> int | None:
    """The turn whose referral the conversation still holds (its latest reply is a referral or carries `flag`)."""
    replies = [(i, x.reply) for i, x in enumerate(turns) if x.reply is not None]
    if not replies:
        return None
    _, latest = replies[-1]
    if latest.status != "referral" and not latest.flag:
        return None
    for i, r in reversed(replies):
        if r.status == "referral" and r.intent != "referral_held":
            return i
    return -1  # a flag without its referral turn on the page (history from elsewhere): a generic notice


def _reply_html(turn: Turn, t: dict, moved_notice: bool) -> str:
    reply = turn.reply
    assert reply is not None
    known = {c.n for c in reply.citations}
    if reply.status == "referral" and reply.intent == "referral_held":
        body = f'<p class="held-reminder">{esc(reply.answer)}</p>'  # the notice itself is shown once, below
    elif reply.status == "referral":
        body = (f'<p class="see-notice">{esc(t["referral_below"])}</p>' if moved_notice
                else notice_html(reply, t))
    else:
        options, lines = options_of(reply)
        body = ""
        if reply.notice:
            body += f'<p class="model-notice"><em>{esc(reply.notice)}</em></p>'
        if reply.status == "out_of_scope":
            body += f'<p class="status-title">{esc(t["out_of_scope_title"])}</p>'
        body += _answer_html(lines, turn, t, known, listed=reply.options if reply.intent == "which" else (),
                             lead=reply.status == "answered")
        if options:
            buttons = "".join(f'<li><button type="button" class="option" data-q="{esc(q)}">{esc(q)}</button></li>'
                              for q in options)
            body += f'<ul class="options" aria-label="{esc(t["options_label"])}">{buttons}</ul>'
    if reply.citations:
        cards = "".join(card_html(c, turn.id, t, "src") for c in reply.citations)
        body += (f'<details class="reply-sources"><summary>{esc(t["sources_count"].format(n=len(known)))}</summary>'
                 f"{cards}</details>")
    return body + _tools_html(turn, t, copy_text(reply, t))


def _tools_html(turn: Turn, t: dict, copy: str) -> str:
    up, down = ("true" if turn.vote == 1 else "false"), ("true" if turn.vote == -1 else "false")
    show_sources = ""
    if turn.reply is not None and turn.reply.citations:
        show_sources = (f'<button type="button" class="show-sources" data-turn="{turn.id}">'
                        f'{esc(t["show_sources"])}</button>')
    hidden = "" if turn.vote else " hidden"
    return (f'<div class="tools" data-turn="{turn.id}">'
            f'<button type="button" class="copy" data-copy="{esc(copy)}" data-copied-label="{esc(t["copied"])}">'
            f'{esc(t["copy"])}</button>'
            f"{show_sources}"
            f'<span class="votes" role="group" aria-label="{esc(t["vote_group"])}">'
            f'<button type="button" class="vote up" data-value="1" aria-pressed="{up}">{esc(t["vote_up"])}</button>'
            f'<button type="button" class="vote down" data-value="-1" aria-pressed="{down}">{esc(t["vote_down"])}'
            f"</button></span>"
            f'<span class="vote-status" role="status"></span></div>'
            f'<div class="comment-box" data-turn="{turn.id}"{hidden}>'
            f'<label for="comment-{turn.id}">{esc(t["comment_label"])}</label>'
            f'<textarea id="comment-{turn.id}" maxlength="2000" rows="2">{esc(turn.comment)}</textarea>'
            f'<button type="button" class="save-comment">{esc(t["comment_save"])}</button></div>')


def conversation_html(turns: list[Turn], t: dict) -> str:
    """The whole conversation; a held referral is shown once, last, next to where the person types."""
    if not turns:
        return f'<div class="conversation empty"><p class="intro">{esc(t["chat_empty"])}</p></div>'
    holding = _holding_referral(turns)
    parts = ['<div class="conversation">']
    for i, turn in enumerate(turns):
        latest = i == len(turns) - 1
        parts.append(f'<article class="turn{" selected" if latest else ""}" data-turn="{turn.id}" '
                     f'aria-label="{esc(t["turn_label"].format(i=i + 1))}">')
        parts.append(f'<div class="msg user"><span class="who">{esc(t["you"])}</span>'
                     f'<p class="q-text">{esc(turn.question)}</p></div>')
        parts.append('<div class="msg bot">')
        if turn.reply is not None:
            parts.append(_reply_html(turn, t, moved_notice=holding == i and not latest))
        elif turn.error:
            parts.append(f'<p class="error">{esc(turn.error)}</p>')
        else:
            parts.append(_answer_html(turn.partial.splitlines(), turn, t, set()) or
                         f'<p class="pending">{esc(t["thinking"])}</p>')
        parts.append("</div></article>")
    if holding is not None and holding != len(turns) - 1:
        reply = turns[holding].reply if holding >= 0 else None
        held = notice_html(reply, t) if reply is not None else (
            f'<section class="notice" aria-label="{esc(t["referral_title"])}"><h3>⚠ {esc(t["referral_title"])}'
            f'</h3><p>{esc(t["referral_holds"])}</p></section>')
        parts.append(f'<div class="held-notice">{held}</div>')
    parts.append("</div>")
    return "".join(parts)


def sources_html(turns: list[Turn], t: dict) -> str:
    """The sources panel: each answered turn's cards in its own group; the latest one shown, the others hidden."""
    groups = [(x, x.reply) for x in turns if x.reply is not None and x.reply.citations]
    head = f"<h2>{esc(t['sources_title'])}</h2>"
    if not groups:
        return head + f"<p class='sources-empty'>{esc(t['sources_empty'])}</p>"
    parts = [head]
    for i, (turn, reply) in enumerate(groups):
        hidden = "" if i == len(groups) - 1 else " hidden"
        cards = "".join(card_html(c, turn.id, t, "psrc") for c in reply.citations)
        parts.append(f'<section class="turn-sources" data-turn="{turn.id}"{hidden}>'
                     f'<p class="for">{esc(t["sources_for"])} <q>{esc(turn.question)}</q></p>{cards}</section>')
    return "".join(parts)


def methods_html(sections: list[Section], general: list[Section], t: dict) -> str:
    """The method browser: an index, each method with an "ask about this" button, then the article-wide cautions."""
    index = "".join(f'<li><a href="#method-{esc(s.id)}">{esc(s.title)}</a></li>' for s in sections)
    parts = [f'<nav aria-label="{esc(t["methods_index"])}"><ol class="method-index">{index}'
             + (f'<li><a href="#method-general">{esc(t["methods_general"])}</a></li>' if general else "")
             + "</ol></nav>"]
    for i, s in enumerate(sections, start=1):
        ask = t["ask_about_question"].format(title=s.title)
        parts.append(f'<div class="method" id="method-{esc(s.id)}"><h3>{i}. {esc(s.title)}</h3>'
                     f'<button type="button" class="ask" data-q="{esc(ask)}">{esc(t["ask_about"])}</button>')
        intro = " ".join(esc(p.text) for p in s.of_kind("intro"))
        if intro:
            parts.append(f"<p><em>{esc(t['methods_about'])}:</em> {intro}</p>")
        if s.steps:
            steps = "".join(f"<li>{esc(p.text)}</li>" for p in s.steps)
            parts.append(f"<h4>{esc(t['methods_steps'])}</h4><ol>{steps}</ol>")
        if s.of_kind("tip"):
            tips = "".join(f"<li>{esc(p.text)}</li>" for p in s.of_kind("tip"))
            parts.append(f"<h4>{esc(t['methods_tips'])}</h4><ul>{tips}</ul>")
        if s.warnings:
            warns = "".join(f'<li class="warn">⚠ {esc(p.text)}</li>' for p in s.warnings)
            parts.append(f"<h4>{esc(t['methods_warnings'])}</h4><ul>{warns}</ul>")
        parts.append("</div>")
    cautions = [p for g in general for p in g.warnings]
    if cautions:
        warns = "".join(f'<li class="warn">⚠ {esc(p.text)}</li>' for p in cautions)
        parts.append(f'<div class="method general" id="method-general"><h3>{esc(t["methods_general"])}</h3>'
                     f"<ul>{warns}</ul></div>")
    return "".join(parts)


def article_html(sections: list[Section], t: dict) -> str:
    """The article view: each method's full text in article order, every sentence with its character span,
    so a card can open its method with the cited sentence highlighted."""
    parts = [f'<dialog id="article-view" aria-labelledby="article-view-title">'
             f'<div class="article-head"><h2 id="article-view-title">{esc(t["article_title"])}</h2>'
             f'<button type="button" class="close-article">{esc(t["article_close"])}</button></div>']
    for s in sections:
        title = t["methods_general"] if s.id.endswith("general") else s.title
        spans = " ".join(f'<span class="psg {p.kind}" data-start="{p.start}" data-end="{p.end}">{esc(p.text)}</span>'
                         for p in sorted(s.passages, key=lambda p: p.start))
        parts.append(f'<section class="article-section" data-section="{esc(s.id)}" hidden>'
                     f"<h3>{esc(title)}</h3><p>{spans}</p></section>")
    parts.append("</dialog>")
    return "".join(parts)


@dataclass
class Step:
    """One update of the page during a turn: the session's turns, the reply once known, or an inline hint."""

    turns: list
    reply: Reply | None = None
    done: bool = False
    hint: str = ""  # a question that was not sent, and why


def converse(bot, t: dict, question: str, turns: list[Turn]) -> Iterator[Step]:
    """A turn as the page shows it: the answer line by line, then the final reply.

    A question that fails validation is not sent: no turn is added and the hint says why. Any other error
    becomes a friendly line in the conversation, never a traceback."""
    turns = list(turns or [])
    history = [x.reply for x in turns if x.reply is not None]
    turn = Turn(question or "")
    pieces = bot.stream(question, history)
    try:
        first = next(pieces)
    except InvalidQuestion as exc:
        yield Step(turns, hint=str(exc), done=True)
        return
    except StopIteration:  # pragma: no cover - the chain always ends with a Reply
        first = None
    except Exception:  # the page must never show a traceback
        log.exception("answering %r failed", question)
        turn.error = t["error_internal"]
        yield Step(turns + [turn], done=True)
        return
    try:
        piece = first
        while piece is not None:
            if isinstance(piece, Reply):
                turn.reply = piece
                break
            turn.partial += piece
            yield Step(turns + [turn])
            piece = next(pieces, None)
    except Exception:
        log.exception("answering %r failed", question)
        turn.partial, turn.error = "", t["error_internal"]
        yield Step(turns + [turn], done=True)
        return
    if turn.reply is None:  # pragma: no cover
        turn.error = t["error_internal"]
    turn.partial = ""
    yield Step(turns + [turn], turn.reply, done=True)


def record_vote(store: FeedbackStore, session: str, turns: list[Turn], turn_id: str, value: object) -> Turn | None:
    """Set (1 or -1) or remove (0) the session's one vote on a reply; the turn voted on, or None if unknown."""
    turn = next((x for x in turns if isinstance(x, Turn) and x.id == turn_id and x.reply is not None), None)
    if turn is None or type(value) is not int or value not in (-1, 0, 1):
        return None  # no such reply of this session (the user's own message, an index, a forged id) or no vote
    if value == 0:
        store.remove(session, turn.id)
        turn.comment = ""
    else:
        assert turn.reply is not None  # picked for having one
        store.vote(session, turn.id, turn.reply.to_dict(), value, turn.comment)
    turn.vote = value
    return turn


def record_comment(store: FeedbackStore, session: str, turns: list[Turn], turn_id: str, text: str) -> Turn | None:
    """Attach a comment to the session's vote on that reply; None when there is no such vote."""
    from .feedback import checked_comment

    turn = next((x for x in turns if isinstance(x, Turn) and x.id == turn_id and x.vote), None)
    if turn is None:
        return None
    store.comment(session, turn.id, text)
    turn.comment = checked_comment(text)
    return turn


def api_history(bot, t: dict, history: object) -> list[str]:
    """The /ask endpoint's history checked whole before any of it is asked: a list (a string is refused, not
    asked character by character) of at most `max_history` questions, each valid by itself."""
    from ..understanding.validation import validate_question

    if history is None:
        return []
    if not isinstance(history, list):
        raise InvalidQuestion(t["api_history_type"].format(kind=type(history).__name__))
    limit = bot.settings.max_history
    if len(history) > limit:
        raise InvalidQuestion(t["api_history_too_long"].format(limit=limit, count=len(history)))
    for i, item in enumerate(history):
        try:
            validate_question(item, bot.settings.max_question_chars, bot.prompts)
        except InvalidQuestion as exc:
            raise InvalidQuestion(t["api_history_item"].format(i=i, message=exc)) from None
    return history


def ask_api(bot, t: dict, replayer: Replayer, question: object, history: object) -> dict:
    """The page's /ask endpoint. Every input is checked before anything is answered: the question and each
    earlier one by the one validator, the history's type and length. A bad input is
    {"status": "invalid", "error": ...}, which never repeats what was sent (it may be megabytes, or not text)."""
    from ..understanding.validation import validate_question

    try:
        validate_question(question, bot.settings.max_question_chars, bot.prompts)  # before any earlier turn
        earlier = replayer.history(bot, [(q, None) for q in api_history(bot, t, history)])
        return bot.ask(question, earlier).to_dict()
    except InvalidQuestion as exc:
        return {"status": "invalid", "error": str(exc)}


def build_app(bot, store: FeedbackStore):
    """The Gradio Blocks app around one loaded Assistant and one feedback store."""
    import gradio as gr

    t = texts(str(bot.settings.prompts_dir))
    script = JS_PATH.read_text(encoding="utf-8")

    def respond(question: str, turns: list):
        """Stream the verified answer into the conversation, then show its sources."""
        for step in converse(bot, t, question, turns):
            if step.hint:  # not sent: the text stays in the box, the hint says why
                yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), f'<p class="hint">{esc(step.hint)}</p>'
            elif not step.done:
                yield conversation_html(step.turns, t), step.turns, gr.skip(), "", ""
            else:
                yield conversation_html(step.turns, t), step.turns, sources_html(step.turns, t), "", ""

    def vote(data: gr.EventData, turns: list, request: gr.Request):
        payload = getattr(data, "_data", None) or {}
        value = payload.get("value")
        try:
            turn = record_vote(store, request.session_hash or "anonymous", turns, str(payload.get("turn")), value)
        except BackstretchError as exc:
            return turns, f'<p class="hint">{esc(t["vote_failed"].format(reason=exc))}</p>'
        if turn is None:
            return turns, gr.skip()
        said = t["vote_removed"] if value == 0 else t["vote_thanks"]
        return turns, f'<p class="quiet" data-turn="{turn.id}" data-vote="{value}">{esc(said)}</p>'

    def comment(data: gr.EventData, turns: list, request: gr.Request):
        payload = getattr(data, "_data", None) or {}
        try:
            turn = record_comment(store, request.session_hash or "anonymous", turns, str(payload.get("turn")),
                                  payload.get("text", ""))
        except BackstretchError as exc:
            return turns, f'<p class="hint">{esc(t["vote_failed"].format(reason=exc))}</p>'
        if turn is None:
            return turns, f'<p class="hint">{esc(t["comment_needs_vote"])}</p>'
        return turns, f'<p class="quiet" data-turn="{turn.id}">{esc(t["comment_thanks"])}</p>'

    def asked(data: gr.EventData) -> str:
        return str((getattr(data, "_data", None) or {}).get("question", ""))

    replayer = Replayer()

    def api_ask(question: str, history: list[str] | None = None) -> dict:
        """Answer `question` after the earlier questions of the same conversation (oldest first)."""
        return ask_api(bot, t, replayer, question, history)

    with gr.Blocks(title=t["title"]) as app:
        gr.HTML(f"<header><h1>{esc(t['title'])}</h1><p>{esc(t['subtitle'])}</p></header>"
                f"<div id='disclaimer' role='note'>{esc(t['disclaimer'])}</div>", js_on_load=None)
        turns = gr.State([])
        with gr.Row(elem_id="layout"):
            with gr.Column(scale=3, elem_id="main-column"):
                chat = gr.HTML(conversation_html([], t), elem_id="chat", js_on_load=script)
                with gr.Row(elem_id="ask-row"):
                    question = gr.Textbox(label=t["question_label"], placeholder=t["question_placeholder"],
                                          elem_id="question", scale=5, max_lines=4, autofocus=True)
                    send = gr.Button(t["send"], variant="primary", elem_id="send", scale=1)
                hint = gr.HTML("", elem_id="hint", js_on_load=None)
                status = gr.HTML("", elem_id="feedback-status", js_on_load=None)
                with gr.Row():
                    gr.HTML(f"<p class='examples-label'>{esc(t['examples_label'])}</p>", js_on_load=None)
                with gr.Row(elem_id="examples"):
                    example_buttons = [gr.Button(q, size="sm") for q in t["examples"]]
                clear = gr.Button(t["clear"], size="sm", elem_id="clear")
            with gr.Column(scale=2, elem_id="side-column"):
                sources = gr.HTML(sources_html([], t), elem_id="sources", js_on_load=None)
        with gr.Accordion(t["methods_title"], open=False, elem_id="methods"):
            browser = gr.HTML(methods_html(bot.library.sections, bot.library.general, t), elem_id="method-browser",
                              js_on_load="element.addEventListener('click', (ev) => { const b = "
                                         "ev.target.closest('button.ask'); if (b) trigger('ask', "
                                         "{question: b.dataset.q}); });")
        gr.HTML(article_html(bot.library.general + bot.library.sections, t), elem_id="article", js_on_load=None)

        outputs = [chat, turns, sources, question, hint]
        question.submit(respond, [question, turns], outputs, api_visibility="private")
        send.click(respond, [question, turns], outputs, api_visibility="private")
        for button, text in zip(example_buttons, t["examples"], strict=True):
            button.click(lambda q=text: q, None, question, api_visibility="private", queue=False).then(
                respond, [question, turns], outputs, api_visibility="private")
        for source in (chat, browser):
            source.ask(asked, None, question, api_visibility="private", queue=False).then(
                respond, [question, turns], outputs, api_visibility="private")
        # one at a time, in order: a quick like-then-unlike must end as "no vote"
        chat.vote(vote, [turns], [turns, status], api_visibility="private", concurrency_limit=1)
        chat.comment(comment, [turns], [turns, status], api_visibility="private", concurrency_limit=1)

        def reset():
            return conversation_html([], t), [], sources_html([], t), "", ""

        clear.click(reset, None, outputs, api_visibility="private", queue=False)
        gr.api(api_ask, api_name="ask")
    return app


class LoginGuard:
    """Failed logins per client address: after `limit` failures within `window` seconds, the login answers 429
    until the oldest of them is `window` seconds old (a success clears the address's record)."""

    def __init__(self, limit: int = 5, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def wait(self, who: str, now: float | None = None) -> float:
        """Seconds until `who` may try again (0 when it may now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = [t for t in self._failures.get(who, []) if now - t < self.window]
            self._failures[who] = recent
            return self.window - (now - recent[0]) if len(recent) >= self.limit else 0.0

    def failed(self, who: str, now: float | None = None) -> None:
        with self._lock:
            self._failures.setdefault(who, []).append(time.monotonic() if now is None else now)
            if len(self._failures) > 10_000:  # an address flood cannot grow this without bound
                self._failures.pop(next(iter(self._failures)))

    def succeeded(self, who: str) -> None:
        with self._lock:
            self._failures.pop(who, None)


def guard_login(server, t: dict, guard: LoginGuard | None = None) -> LoginGuard:
    """On the app the page is mounted on (with a login): failed logins rate-limited per address, and
    /gradio_api/cancel (which Gradio leaves open) only for a logged-in session."""
    import math

    from fastapi.responses import JSONResponse
    from starlette.routing import Mount

    guard = guard or LoginGuard()

    def page_app():
        return next(r.app for r in server.routes if isinstance(r, Mount) and hasattr(r.app, "tokens"))

    def logged_in(request) -> bool:
        app = page_app()
        cookies = (request.cookies.get(f"access-token-{app.cookie_id}"),
                   request.cookies.get(f"access-token-unsecure-{app.cookie_id}"))
        return any(c and c in app.tokens for c in cookies)

    @server.middleware("http")
    async def login_guard(request, call_next):
        path = request.url.path.rstrip("/")
        if path == "/login" and request.method == "POST":
            who = request.client.host if request.client else "unknown"
            wait = guard.wait(who)
            if wait:
                seconds = math.ceil(wait)
                return JSONResponse({"detail": t["login_rate_limited"].format(seconds=seconds)}, 429,
                                    headers={"Retry-After": str(seconds)})
            response = await call_next(request)
            if response.status_code in (400, 401, 403):
                guard.failed(who)
            elif response.status_code < 300:
                guard.succeeded(who)
            return response
        if path == "/gradio_api/cancel" and not logged_in(request):
            return JSONResponse({"detail": t["login_required"]}, 401)
        return await call_next(request)

    return guard


def serve(bot, store: FeedbackStore, host: str, port: int, auth: tuple[str, str] | None,
          concurrency: int, queue_size: int, prevent_thread_lock: bool = False, api: bool = True,
          api_key: str | None = None):
    """Queue with a concurrency limit (a burst slows the page rather than crashing it), then serve the page
    mounted on a FastAPI app: with `api`, beside the OpenAI-compatible and REST routes (interfaces/api.py);
    with a login, failed logins rate-limited and /gradio_api/cancel behind it."""
    # Gradio rebuilds a pandas summary of its last 10,000 events after every event, for a monitoring page
    # this app does not use; at 32 users that was about 8% of the server's CPU. Every 1,000 events is plenty.
    # Read when the app's queue is made, so set before building it.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    from ..lean_imports import lean

    # Gradio imports pandas at its top for components and a monitoring page this app does not use: imported
    # only if something takes a name from it (about 40 MB of the server's memory otherwise)
    with lean(deferred=("pandas",)):
        import gradio as gr
    from fastapi import FastAPI

    from .api import State, build_api, run_server

    app = build_app(bot, store)
    app.queue(default_concurrency_limit=concurrency, max_size=queue_size)
    if api:  # its routes first, so the page's "/" mount comes last
        server = build_api(State(bot), bot.settings, api_key)
    else:
        server = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    if auth:
        guard_login(server, texts(str(bot.settings.prompts_dir)))
    server = gr.mount_gradio_app(server, app, path="/", server_name=host, server_port=port, auth=auth,
                                 css_paths=[CSS_PATH], show_error=False, footer_links=["api"])
    run_server(server, host, port, background=prevent_thread_lock)
    return app
