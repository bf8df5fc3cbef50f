"""Wording an answer with a chat model, from the numbered passages the extractive composer chose.

The model sees exactly the spans the extractive answer would quote (so every warning of the method is among
them), numbered [1..N]. What it writes is streamed back sentence by sentence, and only sentences that pass
`verification.check_sentence` are shown. Each sentence is checked once; the verdict on the whole answer
(`verification.judge`) is made from those same checks, so what streamed is what the reply keeps.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ..knowledge.library import Library
from ..prompts import texts
from ..records import Citation
from ..settings import Settings
from .verification import Sentence, Verdict, check_sentence, judge, renumber_markers, split_sentences, titles_of

log = logging.getLogger(__name__)
# The model's raw tokens never reach a caller's callbacks (astream_events, tracers): only verified sentences leave
# the chain, so the model is called without the callbacks it would otherwise inherit from the running chain.
_UNTRACED: dict = {"callbacks": []}


@dataclass
class Generation:
    """What the model produced for one turn, and what survived verification."""

    question: str  # as put to the model (a follow-up rewritten to stand alone)
    raw: str = ""
    verdict: Verdict | None = None
    error: BaseException | None = None
    sentences: list[Sentence] = field(default_factory=list)  # each checked once, as it completed


class Generator:
    """Prompts a chat model with numbered passages and yields its verified sentences as they arrive."""

    def __init__(self, settings: Settings, library: Library, model) -> None:
        self.settings = settings
        self.library = library
        self.model = model
        self.backend = settings.backend if settings.uses_llm else "llm"  # the name replies carry
        self.t = texts(str(settings.prompts_dir), "llm.yaml")

    def close(self) -> None:
        from .chat_models import close_model

        close_model(self.model)

    def numbered(self, given: Sequence[Citation]) -> str:
        return "\n".join(self.t["passage_line"].format(n=c.n, kind=c.kind, title=c.section_title,
                                                       quote=" ".join(c.quote.split())) for c in given)

    def messages(self, question: str, given: Sequence[Citation]) -> list:
        from langchain_core.messages import HumanMessage, SystemMessage

        return [SystemMessage(self.t["system"].strip()),
                HumanMessage(self.t["answer"].format(passages=self.numbered(given), question=question).strip())]

    def condense(self, question: str, focus_title: str) -> str:
        """A follow-up rewritten as a standalone question about the method in focus (LangChain's
        history-aware rewrite). The rewrite only words the prompt; retrieval and planning already used the
        original question and the conversation's focus."""
        from langchain_core.messages import HumanMessage

        prompt = self.t["condense"].format(title=focus_title, question=question).strip()
        text = str(self.model.invoke([HumanMessage(prompt)], config=_UNTRACED).content).strip()
        return text.splitlines()[0].strip() if text else question

    def run(self, question: str, given: list[Citation], gen: Generation) -> Iterator[str]:
        """Stream the model's answer; yield each sentence that passes its checks, renumbered for display.

        Sets `gen.raw` and `gen.verdict` at the end, or `gen.error` when the model fails."""
        titles = titles_of(given)
        order: dict[int, int] = {}
        done = 0
        last_line = None
        try:
            for chunk in self.model.stream(self.messages(question, given), config=_UNTRACED):
                gen.raw += _text(chunk)
                sentences = split_sentences(gen.raw)
                complete = len(sentences) - 1
                if sentences and sentences[-1].text.startswith("["):  # a marker still arriving
                    complete -= 1
                for s in sentences[done:max(done, complete)]:
                    piece = self._show(s, given, titles, order, last_line, gen)
                    if piece:
                        last_line = s.line
                        yield piece
                done = max(done, complete)
        except Exception as exc:  # any failure of the model: the chain falls back to the extractive answer
            log.warning("the %s model failed: %s", self.settings.backend, exc)
            gen.error = exc
            return
        for s in split_sentences(gen.raw)[done:]:
            piece = self._show(s, given, titles, order, last_line, gen)
            if piece:
                last_line = s.line
                yield piece
        gen.verdict = judge(gen.sentences, given, self.library)

    def _show(self, s: Sentence, given: list[Citation], titles: str, order: dict[int, int], last_line,
              gen: Generation) -> str:
        gen.sentences.append(check_sentence(s, given, titles, self.settings.llm_min_support))
        if s.reason:
            log.info("dropped a model sentence (%s): %r", s.reason, s.text)
            return ""
        for n in s.cited:
            order.setdefault(n, len(order) + 1)
        text = renumber_markers(s.text, order)
        if s.line == last_line:
            return " " + text
        return ("" if last_line is None else "\n") + s.bullet + text


def _text(chunk) -> str:
    content = getattr(chunk, "content", chunk)
    if isinstance(content, list):  # content blocks
        return "".join(b.get("text", "") if isinstance(b, dict) else str(b) for b in content)
    return str(content)
