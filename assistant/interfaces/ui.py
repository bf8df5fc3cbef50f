"""The web page (Gradio): presentation only. Answers, safety and retrieval all come from the Assistant API."""


import html
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import BackstretchError, InvalidQuestion
from ..prompts import texts as load_texts
from ..records import Reply, Section
from .feedback import FeedbackStore

log = logging.getLogger(__name__)
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<])")

CSS_PATH = Path(__file__).with_name("ui.css")


def texts(prompts_dir: str) -> dict:
    return load_texts(prompts_dir, "ui.yaml")


def plain(text: str) -> str:
    """Text shown as itself in the chat: HTML escaped and Markdown neutralised, so nothing in it runs or loads."""
    return _MARKDOWN.sub(r"\\\1", html.escape(text, quote=False))


def sources_html(reply: Reply | None, t: dict) -> str:
    if reply is None or not reply.citations:
        return f"<h3>{html.escape(t['sources_title'])}</h3><p>{html.escape(t['sources_empty'])}</p>"
    parts = [f"<h3>{html.escape(t['sources_title'])}</h3>"]
    for c in reply.citations:
        icon = "⚠ " if c.kind == "warning" else ""
        parts.append(
            f'<div class="source {c.kind}" data-kind="{c.kind}" data-n="{c.n}">'
            f'<span class="n">[{c.n}]</span><span class="title">{html.escape(c.section_title)}</span>'
            f'<span class="badge {c.kind}">{icon}{html.escape(t["kind_" + c.kind])}</span>'
            f"<q>{html.escape(c.quote)}</q></div>")
    return "".join(parts)


def notice_html(reply: Reply | None, t: dict) -> str:
    if reply is None or reply.status != "referral":
        return ""
    title = t["emergency_title"] if reply.urgent else t["referral_title"]
    cls = "notice emergency" if reply.urgent else "notice"
    return f'<div class="{cls}" role="alert"><h3>⚠ {html.escape(title)}</h3><p>{html.escape(reply.answer)}</p></div>'


def methods_html(sections: list[Section], t: dict) -> str:
    parts = []
    for i, s in enumerate(sections, start=1):
        parts.append(f'<div class="method" id="method-{html.escape(s.id)}"><h4>{i}. {html.escape(s.title)}</h4>')
        intro = " ".join(html.escape(p.text) for p in s.of_kind("intro"))
        if intro:
            parts.append(f"<p><em>{html.escape(t['methods_about'])}:</em> {intro}</p>")
        if s.steps:
            steps = "".join(f"<li>{html.escape(p.text)}</li>" for p in s.steps)
            parts.append(f"<p><strong>{html.escape(t['methods_steps'])}</strong></p><ol>{steps}</ol>")
        if s.of_kind("tip"):
            tips = "".join(f"<li>{html.escape(p.text)}</li>" for p in s.of_kind("tip"))
            parts.append(f"<p><strong>{html.escape(t['methods_tips'])}</strong></p><ul>{tips}</ul>")
        if s.warnings:
            warns = "".join(f'<li class="warn">⚠ {html.escape(p.text)}</li>' for p in s.warnings)
            parts.append(f"<p><strong>{html.escape(t['methods_warnings'])}</strong></p><ul>{warns}</ul>")
        parts.append("</div>")
    return "".join(parts)


@dataclass
class Step:
    """One update of the page during a turn: the chat so far, the session's turns, and the reply once known."""

    chat: list
    turns: list
    reply: Reply | None = None
    done: bool = False


def converse(bot, t: dict, question: str, chat: list, turns: list) -> Iterator[Step]:
    """A turn as the page shows it: the answer line by line, then the final reply; errors become friendly text.

    `turns` holds one entry per turn (None where no reply was made), so a vote on chat message i is on turn i // 2.
    """
    chat, turns = list(chat or []), list(turns or [])
    user = {"role": "user", "content": plain(question or "")}
    history = [r for r in turns if r is not None]
    answer, reply = "", None
    try:
        for piece in bot.stream(question, history):
            if isinstance(piece, Reply):
                reply = piece
                break
            answer += piece
            yield Step(chat + [user, {"role": "assistant", "content": plain(answer)}], turns)
    except InvalidQuestion as exc:
        yield Step(chat + [user, {"role": "assistant", "content": plain(str(exc))}], turns + [None], done=True)
        return
    except Exception:  # the page must never show a traceback
        log.exception("answering %r failed", question)
        yield Step(chat + [user, {"role": "assistant", "content": plain(t["error_internal"])}], turns + [None],
                   done=True)
        return
    assert reply is not None
    content = plain(reply.answer) if not reply.notice else f"*{plain(reply.notice)}*\n\n{plain(reply.answer)}"
    message: dict = {"role": "assistant", "content": content}
    if reply.status == "referral":
        message["metadata"] = {"title": "⚠ " + (t["emergency_title"] if reply.urgent else t["referral_title"])}
    elif reply.status == "out_of_scope":
        message["metadata"] = {"title": t["out_of_scope_title"]}
    yield Step(chat + [user, message], turns + [reply], reply, done=True)


def build_app(bot, store: FeedbackStore):
    """The Gradio Blocks app around one loaded Assistant and one feedback store."""
    import gradio as gr

    t = texts(str(bot.settings.prompts_dir))
    general = "".join(f"<li class='warn'>⚠ {html.escape(p.text)}</li>" for g in bot.library.general for p in g.warnings)

    def respond(question: str, chat: list, turns: list):
        """Stream the verified answer into the chat, then show its sources (and a notice for a referral)."""
        for step in converse(bot, t, question, chat, turns):
            if step.reply is None:  # mid-stream, or a friendly error: sources and notice stay as they are
                yield step.chat, step.turns, gr.skip(), gr.skip(), ""
            else:
                notice = gr.update(value=notice_html(step.reply, t), visible=step.reply.status == "referral")
                yield step.chat, step.turns, sources_html(step.reply, t), notice, ""

    def vote(data: gr.LikeData, turns: list, comment: str, request: gr.Request):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = (turns or [])[index // 2] if index // 2 < len(turns or []) else None
        if turn is None:
            return comment
        try:
            store.add(request.session_hash or "anonymous", turn.to_dict(), data.liked is True, comment)
        except BackstretchError as exc:
            gr.Warning(t["vote_failed"].format(reason=exc))
            return comment
        gr.Info(t["vote_thanks"])
        return ""

    def api_ask(question: str, history: list[str] | None = None) -> dict:
        """Answer `question` after the earlier questions of the same conversation (oldest first)."""
        earlier: list[Reply] = []
        try:
            for q in history or []:
                earlier.append(bot.ask(q, earlier))
            return bot.ask(question, earlier).to_dict()
        except InvalidQuestion as exc:
            return {"question": question, "status": "invalid", "error": str(exc)}

    with gr.Blocks(title=t["title"]) as app:
        gr.HTML(f"<h1>{html.escape(t['title'])}</h1><p>{html.escape(t['subtitle'])}</p>")
        gr.HTML(f"<div id='disclaimer' role='note'>{html.escape(t['disclaimer'])}</div>")
        turns = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                notice = gr.HTML(visible=False, elem_id="notice")
                chat = gr.Chatbot(elem_id="chat", height=520, label=t["title"], render_markdown=True,
                                  sanitize_html=True, line_breaks=True, buttons=["copy"])
                with gr.Row():
                    question = gr.Textbox(label=t["question_label"], placeholder=t["question_placeholder"],
                                          elem_id="question", scale=5, max_lines=4, autofocus=True)
                    send = gr.Button(t["send"], variant="primary", elem_id="send", scale=1)
                with gr.Row():
                    gr.Markdown(f"**{html.escape(t['examples_label'])}**")
                with gr.Row(elem_id="examples"):
                    example_buttons = [gr.Button(q, size="sm") for q in t["examples"]]
                comment = gr.Textbox(label=t["comment_label"], elem_id="comment", max_lines=3)
                clear = gr.Button(t["clear"], size="sm", elem_id="clear")
            with gr.Column(scale=2):
                sources = gr.HTML(sources_html(None, t), elem_id="sources")
        with gr.Accordion(t["methods_title"], open=False, elem_id="methods"):
            gr.HTML(methods_html(bot.library.sections, t)
                    + (f"<div class='method'><ul>{general}</ul></div>" if general else ""))

        outputs = [chat, turns, sources, notice, question]
        question.submit(respond, [question, chat, turns], outputs, api_visibility="private")
        send.click(respond, [question, chat, turns], outputs, api_visibility="private")
        for button, text in zip(example_buttons, t["examples"], strict=True):
            button.click(lambda q=text: q, None, question, api_visibility="private", queue=False).then(
                respond, [question, chat, turns], outputs, api_visibility="private")
        chat.like(vote, [turns, comment], comment, api_visibility="private")
        def reset():
            return [], [], sources_html(None, t), gr.update(value="", visible=False), ""

        clear.click(reset, None, outputs, api_visibility="private", queue=False)
        chat.clear(reset, None, outputs, api_visibility="private", queue=False)  # the chat's own bin button
        gr.api(api_ask, api_name="ask")
    return app


def serve(bot, store: FeedbackStore, host: str, port: int, auth: tuple[str, str] | None,
          concurrency: int, queue_size: int, prevent_thread_lock: bool = False, api: bool = True,
          api_key: str | None = None):
    """Queue with a concurrency limit (a burst slows the page rather than crashing it), then serve: with `api`,
    the page is mounted on a FastAPI app beside the OpenAI-compatible and REST routes (interfaces/api.py)."""
    # Gradio rebuilds a pandas summary of its last 10,000 events after every event, for a monitoring page
    # this app does not use; at 32 users that was about 8% of the server's CPU. Every 1,000 events is plenty.
    # Read when the app's queue is made, so set before building it.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    app = build_app(bot, store)
    app.queue(default_concurrency_limit=concurrency, max_size=queue_size)
    if not api:
        app.launch(server_name=host, server_port=port, share=False, auth=auth, css_paths=[CSS_PATH], quiet=True,
                   show_error=False, prevent_thread_lock=prevent_thread_lock, footer_links=["api"])
        return app
    import gradio as gr

    from .api import State, build_api, run_server

    server = build_api(State(bot), bot.settings, api_key)  # its routes first, so the page's "/" mount comes last
    server = gr.mount_gradio_app(server, app, path="/", server_name=host, server_port=port, auth=auth,
                                 css_paths=[CSS_PATH], show_error=False, footer_links=["api"])
    run_server(server, host, port, background=prevent_thread_lock)
    return app
