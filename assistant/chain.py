"""The answer chain as a LangChain Runnable: triage → retrieval → composition → citation check → Reply."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from langchain_core.runnables import Runnable, RunnableLambda

from . import citations
from .answer import Composer
from .errors import CitationError
from .intent import Plan, last_focus, plan
from .library import Library
from .records import Reply
from .retrieval import HybridRetriever, Retrieval
from .safety import Triage, about_other_body_part, triage
from .settings import Settings
from .spelling import Speller, english_words, vocabulary
from .vocabulary import EQUIPMENT, POSITIONS, REGIONS, any_phrase, normalise

log = logging.getLogger(__name__)
_DOMAIN = re.compile(r"\b(back|spine|spinal|vertebra\w*|stretch\w*|crack\w*|pop\w*|posture|lumbar|thoracic|"
                     r"sacroiliac|muscles?|tension|tight\w*|stiff\w*|pose|hug|roller|chiropract\w*|osteopath\w*|"
                     r"methods?|moves?|exercises?|techniques?|twist\w*|rotat\w*|arch\w*|extension)\b")


@dataclass
class Turn:
    """What flows through the chain for one question."""

    question: str
    history: Sequence[Reply] = ()
    text: str = ""  # the question with typos corrected: what retrieval and planning read
    triage: Triage | None = None
    retrieval: Retrieval | None = None
    plan: Plan | None = None
    reply: Reply | None = None
    notes: dict = field(default_factory=dict)


class AnswerChain:
    """The steps of the chain; `runnable()` wires them into one Runnable."""

    def __init__(self, settings: Settings, library: Library, retriever: HybridRetriever, composer: Composer) -> None:
        self.settings = settings
        self.library = library
        self.retriever = retriever
        self.composer = composer
        words = [p.text for p in library.passages] + [w for s in library.sections for w in (s.title, *s.aliases)]
        words += [w for table in (REGIONS, POSITIONS, EQUIPMENT) for phrases in table.values() for w in phrases]
        self.speller = Speller(vocabulary(words), known=english_words)

    def runnable(self) -> Runnable:
        return (RunnableLambda(self._start, name="input")
                | RunnableLambda(self._triage, name="safety_triage")
                | RunnableLambda(self._retrieve, name="retrieval")
                | RunnableLambda(self._compose, name="composition")
                | RunnableLambda(self._check, name="citation_check")).with_config(run_name="backstretch")

    def _start(self, data: dict | Turn) -> Turn:
        turn = data if isinstance(data, Turn) else Turn(data["question"], list(data.get("history") or ()))
        turn.text = self.speller.correct(turn.question)
        return turn

    def _triage(self, turn: Turn) -> Turn:
        turn.triage = triage(turn.question, turn.text)
        if turn.triage.status == "referral":
            turn.reply = Reply(turn.question, "referral", self.composer.referral(turn.triage), intent="referral",
                               urgent=turn.triage.emergency)
        elif turn.triage.status == "out_of_scope":
            turn.reply = Reply(turn.question, "out_of_scope", self.composer.out_of_scope(turn.triage.group),
                               intent="out_of_scope")
        return turn

    def _retrieve(self, turn: Turn) -> Turn:
        if turn.reply is not None:
            return turn
        turn.retrieval = self.retriever.search(turn.text)
        if about_other_body_part(turn.text) and not turn.retrieval.facets.named:
            turn.reply = Reply(turn.question, "out_of_scope", self.composer.out_of_scope("other_joint"),
                               intent="out_of_scope")
        elif not self._in_scope(turn):
            turn.reply = Reply(turn.question, "out_of_scope", self.composer.out_of_scope(), intent="out_of_scope")
        return turn

    def _in_scope(self, turn: Turn) -> bool:
        """On topic if it uses back words, names a method, follows up on one, or is close to the article."""
        text = normalise(turn.text)
        if _DOMAIN.search(text) or any(any_phrase(text, words) for words in REGIONS.values()):
            return True
        asked = turn.retrieval.facets if turn.retrieval else None
        if asked and (asked.named or asked.any_filter):  # a named method, or "what can I do by myself / at my desk?"
            return True
        if last_focus(turn.history)[0] and len(text.split()) <= 12:
            return True
        return bool(turn.retrieval) and turn.retrieval.best_similarity >= self.settings.min_relevance

    def _compose(self, turn: Turn) -> Turn:
        if turn.reply is not None:
            return turn
        assert turn.retrieval is not None
        turn.plan = plan(turn.text, turn.retrieval, self.library, turn.history, self.settings.top_k)
        draft = self.composer.compose(turn.plan, turn.retrieval)
        turn.reply = Reply(turn.question, "answered", draft.text, draft.citations,
                           focus=turn.plan.sections, intent=turn.plan.intent)
        return turn

    def _check(self, turn: Turn) -> Reply:
        reply = turn.reply
        assert reply is not None
        try:
            citations.check(reply.answer, reply.citations, self.library)
        except CitationError as exc:
            log.error("reply withheld for %r: %s", turn.question, exc)
            return Reply(turn.question, "out_of_scope", self.composer.out_of_scope("unverified"), intent="unverified")
        return reply
