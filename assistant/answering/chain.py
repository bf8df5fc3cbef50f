"""The answer chain as a LangChain Runnable: triage → retrieval → composition → citation check → Reply."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from langchain_core.runnables import Runnable, RunnableLambda

from ..errors import CitationError
from ..knowledge.library import Library
from ..records import Reply
from ..settings import Settings
from ..understanding.intent import Plan, last_focus, plan
from ..understanding.lexicon import EQUIPMENT, POSITIONS, REGIONS, any_phrase, normalise
from ..understanding.retrieval import HybridRetriever, Retrieval
from ..understanding.spelling import Speller, english_words, vocabulary
from ..understanding.triage import Triage, about_other_body_part, triage
from . import citations
from .chat_models import is_unreachable
from .compose import Composer, Draft
from .generation import Generation, Generator

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
    draft: Draft | None = None  # the extractive answer: the reply, or the passages a model words it from
    reply: Reply | None = None
    notes: dict = field(default_factory=dict)


class AnswerChain:
    """The steps of the chain; `runnable()` wires them into one Runnable."""

    def __init__(self, settings: Settings, library: Library, retriever: HybridRetriever, composer: Composer,
                 generator: Generator | None = None) -> None:
        self.settings = settings
        self.library = library
        self.retriever = retriever
        self.composer = composer
        self.generator = generator  # None: the extractive composer words every answer
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
        self._draft(turn)
        if self.generator is None:
            turn.reply = self._extractive(turn)
        else:
            for _ in self._generate(turn):  # not streaming: run the model to the end
                pass
        return turn

    def _draft(self, turn: Turn) -> None:
        assert turn.retrieval is not None
        turn.plan = plan(turn.text, turn.retrieval, self.library, turn.history, self.settings.top_k)
        turn.draft = self.composer.compose(turn.plan, turn.retrieval)

    def _extractive(self, turn: Turn, backend: str = "extractive", notice: str = "") -> Reply:
        assert turn.draft is not None and turn.plan is not None
        return Reply(turn.question, "answered", turn.draft.text, turn.draft.citations, focus=turn.plan.sections,
                     intent=turn.plan.intent, backend=backend, notice=notice)

    def _generate(self, turn: Turn) -> Iterator[str]:
        """The model words the answer from the draft's passages; yields verified sentences, sets `turn.reply`.

        Anything short of a grounded answer (a failure, a timeout, a dropped warning, nothing kept) falls back
        to the extractive draft, with the reason in the reply's notice."""
        assert self.generator is not None and turn.plan is not None and turn.draft is not None
        t = self.generator.t
        given = turn.draft.citations
        question = turn.question
        gen = Generation(question)
        try:
            if turn.plan.followup and turn.plan.sections:
                question = gen.question = self.generator.condense(turn.question, self._title(turn.plan.sections[0]))
        except Exception as exc:  # a model that cannot rewrite will not answer either: fall back now, not twice
            log.warning("condensing the follow-up failed: %s", exc)
            gen.error = exc
        if gen.error is None:
            yield from self.generator.run(question, given, gen)
        turn.notes["generation"] = gen
        if gen.error is not None:
            unreachable = is_unreachable(gen.error)
            notice = (t["notice_unreachable"].format(reason=type(gen.error).__name__) if unreachable
                      else t["notice_unverified"].format(reason="error"))
            turn.reply = self._extractive(turn, "extractive-fallback", notice)
            return
        verdict = gen.verdict
        assert verdict is not None
        if not verdict.grounded:
            why = t["reason_missing_warning"] if verdict.kept else t["reason_nothing_kept"]
            log.info("model answer not grounded (%s); %d sentences dropped", why, len(verdict.dropped))
            turn.reply = self._extractive(turn, "extractive-fallback", t["notice_unverified"].format(reason=why))
            return
        turn.reply = Reply(turn.question, "answered", verdict.answer, verdict.citations, focus=turn.plan.sections,
                           intent=turn.plan.intent, backend=self.generator.backend)

    def _title(self, section_id: str) -> str:
        section = self.library.section(section_id)
        return section.title if section else section_id

    def stream(self, data: dict) -> Iterator[str | Reply]:
        """Like the runnable, but a model's verified sentences are yielded as they arrive; then the Reply.

        Without a model (or for a referral or out-of-scope reply) the checked answer comes line by line."""
        turn = self._retrieve(self._triage(self._start(data)))
        streamed = False
        if turn.reply is None and self.generator is not None:
            self._draft(turn)
            for piece in self._generate(turn):
                streamed = True
                yield piece
        else:
            self._compose(turn)
        reply = self._check(turn)
        if not streamed or not _worded_by_model(reply):  # a fallback replaces what was streamed
            yield from reply.answer.splitlines(keepends=True)
        yield reply

    def _check(self, turn: Turn) -> Reply:
        reply = turn.reply
        assert reply is not None
        try:
            if _worded_by_model(reply):
                citations.check_cited(reply.answer, reply.citations, self.library)
            else:
                citations.check(reply.answer, reply.citations, self.library)
        except CitationError as exc:
            if _worded_by_model(reply) and turn.draft is not None and self.generator is not None:
                log.error("model reply failed the citation check for %r: %s", turn.question, exc)
                turn.reply = self._extractive(turn, "extractive-fallback",
                                              self.generator.t["notice_unverified"].format(reason=exc))
                return self._check(turn)
            log.error("reply withheld for %r: %s", turn.question, exc)
            return Reply(turn.question, "out_of_scope", self.composer.out_of_scope("unverified"), intent="unverified")
        return reply


def _worded_by_model(reply: Reply) -> bool:
    return reply.backend not in ("extractive", "extractive-fallback")
