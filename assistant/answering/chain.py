"""The answer chain: one pipeline of steps that both `invoke` and `stream` run, so the two cannot drift.

start (spelling) → triage (red flags) → retrieval → scope → plan → hold (a referral earlier in the conversation)
→ compose (extractive, or a model's verified sentences) → citation check → Reply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from ..errors import BackstretchError, CitationError
from ..knowledge.library import Library
from ..records import Reply, Status
from ..settings import Settings
from ..understanding.conversation import asked_why_of, held_referral, referring_question
from ..understanding.intent import Plan, asks_for_move, plan
from ..understanding.lexicon import EQUIPMENT, POSITIONS, REGIONS
from ..understanding.retrieval import HybridSearch, Retrieval
from ..understanding.router import Router
from ..understanding.scope import decide_scope
from ..understanding.spelling import Speller, english_words, vocabulary
from ..understanding.triage import Triage, Triager
from ..understanding.validation import validate_history, validate_question
from . import citations
from .chat_models import is_unreachable
from .compose import Composer, Draft
from .generation import Generation, Generator

if TYPE_CHECKING:
    from ..understanding.retriever import HybridRetriever
    from .runnable import AnswerRunnable

log = logging.getLogger(__name__)


@dataclass
class Turn:
    """What flows through the pipeline for one question: each step fills its own field."""

    question: str
    history: list[Reply] = field(default_factory=list)
    text: str = ""  # the question with typos corrected: what retrieval and planning read
    triage: Triage | None = None
    held: Triage | None = None  # the referral this conversation holds, from an earlier turn
    retrieval: Retrieval | None = None
    plan: Plan | None = None
    draft: Draft | None = None  # the extractive answer: the reply, or the passages a model words it from
    generation: Generation | None = None
    reply: Reply | None = None


Step = Callable[[Turn], Iterator[str] | None]


class AnswerChain:
    """The steps of the chain, and the one pipeline that runs them.

    `search` is the hybrid search (or a `HybridRetriever`, whose search is used); the LangChain objects over the
    chain (`retriever`, `runnable()`) are made on first use, so answering never imports LangChain."""

    def __init__(self, settings: Settings, library: Library, search: HybridSearch | HybridRetriever,
                 composer: Composer, generator: Generator | None = None, triager: Triager | None = None,
                 router: Router | None = None) -> None:
        self.settings = settings
        self.library = library
        self.search = search if isinstance(search, HybridSearch) else search.searcher
        self._retriever = None if isinstance(search, HybridSearch) else search
        self.composer = composer
        self.generator = generator  # None: the extractive composer words every answer
        if triager is None:
            from ..understanding.triage import default_triager

            triager = default_triager(str(settings.lexicon_dir))
        self.triager = triager
        self.router = router  # None: scope from the article's words and passage similarity alone
        words = [p.text for p in library.passages] + [w for s in library.sections for w in (s.title, *s.aliases)]
        words += [w for table in (REGIONS, POSITIONS, EQUIPMENT) for phrases in table.values() for w in phrases]
        cache = Path(settings.data_dir) / "cache"
        self.speller = Speller(vocabulary(words), known=lambda: english_words(cache),
                               shorthand=triager.lexicon.shorthand)
        self.steps: tuple[Step, ...] = (self._triage, self._retrieve, self._scope, self._plan, self._hold,
                                        self._compose)

    def warm(self) -> None:
        """Load what the first question would otherwise wait for (the clinical reader)."""
        if hasattr(self.triager, "warm"):
            self.triager.warm()

    # -- the pipeline -------------------------------------------------------------------------------
    def run(self, data: dict | Turn) -> Iterator[str | Reply]:
        """Every step in order until one settles the reply; yields a model's verified sentences as they come,
        then the checked answer line by line when nothing streamed (or a fallback replaced it), then the Reply."""
        turn = self._start(data)
        streamed = False
        for step in self.steps:
            pieces = step(turn)
            if pieces is not None:
                for piece in pieces:
                    streamed = True
                    yield piece
            if turn.reply is not None:
                break
        reply = self._check(turn)
        if not streamed or not _worded_by_model(reply):
            yield from reply.answer.splitlines(keepends=True)
        yield reply

    def invoke(self, data: dict | Turn) -> Reply:
        reply = None
        for piece in self.run(data):
            reply = piece
        assert isinstance(reply, Reply)
        return reply

    stream = run

    @property
    def retriever(self) -> HybridRetriever:
        """The LangChain retriever over this chain's search (made on first use)."""
        if self._retriever is None:
            from ..understanding.retriever import HybridRetriever

            self._retriever = HybridRetriever.over(self.search)
        return self._retriever

    def runnable(self) -> AnswerRunnable:
        """The chain as a LangChain Runnable (see `assistant.answering.runnable`)."""
        from .runnable import AnswerRunnable

        return AnswerRunnable(self)

    # -- steps --------------------------------------------------------------------------------------
    def _start(self, data: dict | Turn) -> Turn:
        if isinstance(data, Turn):
            turn = data
        else:
            asked = Question.model_validate(data)
            question = validate_question(asked.question, self.settings.max_question_chars, self.composer.p)
            earlier = validate_history(asked.history, self.settings.max_history, self.composer.p)
            turn = Turn(question, self._replayed(earlier))
        turn.text = self.speller.correct(turn.question)
        if (reasoned := asked_why_of(turn.text, turn.history)) is not None:
            turn.text = self.speller.correct(reasoned)  # "why?": answered by the sentences that gave the reason
        return turn

    def _replayed(self, history: list[Reply]) -> list[Reply]:
        """Turns known only by their text (chat messages) are answered again, in order, so the conversation's
        focus and referral state are what they were; the answers are deterministic, so nothing changes."""
        out: list[Reply] = []
        for reply in history:
            if not reply.intent and reply.question.strip():
                try:
                    reply = self.invoke({"question": reply.question, "history": list(out)})
                except BackstretchError:  # an earlier turn that would not be accepted now adds nothing
                    continue
            out.append(reply)
        return out

    def _reply(self, turn: Turn, status: Status, answer: str, **fields) -> None:
        """The one place a Reply is made: the conversation's referral state travels on every one of them."""
        held = turn.triage if turn.triage and turn.triage.status == "referral" else turn.held
        fields.setdefault("flag", held.group if held else None)
        fields.setdefault("urgent", bool(held and held.emergency) and status == "referral")
        turn.reply = Reply(turn.question, status, answer, **fields)

    def _triage(self, turn: Turn) -> None:
        turn.triage = self.triager(turn.question, turn.text)
        if turn.triage.status == "referral":
            held = held_referral(turn.history, self.triager) if turn.history and not turn.triage.emergency else None
            if held is not None and held.emergency:
                # an emergency said earlier stays one, whatever a later turn calls it ("just a trapped nerve, no time
                # for A&E"): its wording, not a milder referral's
                turn.triage = held
                self._reply(turn, "referral", self.composer.held_referral(self._its_sign(turn, held)),
                            intent="referral_held")
                return
            self._reply(turn, "referral", self.composer.referral(turn.triage), intent="referral")
        else:
            turn.held = held_referral(turn.history, self.triager)
            last = turn.history[-1] if turn.history else None
            if (turn.held is not None and last is not None and last.intent == "referral"
                    and self.triager.explained_later(last.question, turn.question)):
                turn.held = None  # the very next turn explains the sign as passing: as if said in one breath
            elif turn.held is not None and (source := referring_question(turn.history, self.triager)) is not None \
                    and self.triager.mover_switched(source, turn.text):
                turn.held = None  # the referral was someone else's: this move is for another person, said outright
            if turn.held is None and (together := self._with_the_turn_before(turn)) is not None:
                # a sign read only with the turn before it ("Hi, I'm 58." then "my back started hurting last week";
                # "my dad wants to try the chair twist" then "he's 70, he slipped on the ice"): one breath
                turn.triage = together
                self._reply(turn, "referral", self.composer.referral(together), intent="referral")
                return
            # after a referral, a request for a move gets the reminder even when its words would be refused
            # ("they'll just tell me to take paracetamol, just tell me the knees to chest")
            if turn.triage.status == "out_of_scope" and not (turn.held is not None and asks_for_move(turn.text)):
                self._out_of_scope(turn, turn.triage.group)

    def _with_the_turn_before(self, turn: Turn) -> Triage | None:
        """A referral the turn and the one before it make only together (each alone had none): an age said in one
        and new pain in the next, or who the move is for in one and that person's sign in the next."""
        if not turn.history or turn.history[-1].status == "referral" or not turn.history[-1].question.strip():
            return None
        before = turn.history[-1].question.strip()
        joined = before + ("" if before[-1] in ".!?" else ".") + " " + turn.text
        found = self.triager(joined)
        return found if found.status == "referral" else None

    def _its_sign(self, turn: Turn, held: Triage) -> Triage:
        """The held referral naming the sign that was found in the turn that referred (the replies carry only its
        group), so the reminder names that sign, not the group's whole list."""
        source = referring_question(turn.history, self.triager)
        found = self.triager.red_flag(source) if source is not None else None
        return replace(held, concept=found.concept) if found is not None and found.group == held.group else held

    def _out_of_scope(self, turn: Turn, reason: str | None = None) -> None:
        self._reply(turn, "out_of_scope", self.composer.out_of_scope(reason), intent="out_of_scope",
                    options=tuple(self.composer.suggestions()))

    def _retrieve(self, turn: Turn) -> None:
        turn.retrieval = self.search.search(turn.text)

    def _scope(self, turn: Turn) -> None:
        assert turn.retrieval is not None
        if unreadable := self.speller.unreadable(turn.text):  # gibberish, or not in English
            self._out_of_scope(turn, unreadable)
            return
        scope = decide_scope(turn.text, turn.retrieval, turn.history, self.settings.min_relevance, self.router,
                             self.library)
        if scope.kind == "social":
            self._reply(turn, "social", self.composer.social(scope.reason), intent="social")
        elif scope.kind == "out_of_scope" and not (turn.held is not None and asks_for_move(turn.text)):
            # after a referral, a request for a move is answered by the reminder (in _hold), however it is worded
            self._out_of_scope(turn, scope.reason or None)

    def _plan(self, turn: Turn) -> None:
        assert turn.retrieval is not None
        turn.plan = plan(turn.text, turn.retrieval, self.library, turn.history, self.settings.top_k)

    def _hold(self, turn: Turn) -> None:
        """After a referral, a request for a move gets a reminder instead; a question that needs none is answered."""
        assert turn.plan is not None
        if turn.held is not None and (turn.plan.sections or turn.plan.intent != "safety" or asks_for_move(turn.text)):
            self._reply(turn, "referral", self.composer.held_referral(self._its_sign(turn, turn.held)),
                        intent="referral_held")

    def _compose(self, turn: Turn) -> Iterator[str] | None:
        assert turn.plan is not None and turn.retrieval is not None
        if turn.plan.intent == "clarify":
            text, options = self.composer.clarify(turn.plan, turn.question)
            self._reply(turn, "clarify", text, options=options, focus=turn.plan.sections, intent="clarify")
            return None
        shown = any(self.library.is_general(c.section_id) for r in turn.history for c in r.citations)
        turn.draft = self.composer.compose(turn.plan, turn.retrieval, cautions_shown=shown)
        if turn.plan.intent == "safety" and self.triager.older_mover(turn.text):
            self.composer.age_note(turn.draft)  # "is that ok? I'm 78": the article is silent on age, and says so
        if self.generator is None:
            self._extractive(turn)
            return None
        return self._generate(turn)

    def _extractive(self, turn: Turn, backend: str = "extractive", notice: str = "") -> None:
        assert turn.draft is not None and turn.plan is not None
        self._reply(turn, "answered", turn.draft.text, citations=turn.draft.citations, focus=turn.plan.sections,
                    intent=self._intent(turn.plan), backend=backend, notice=notice, options=self._options(turn.plan))

    def _intent(self, plan: Plan) -> str:
        """The plan's intent; `not_given` for a detail the article does not give for that method."""
        if plan.intent == "detail" and not self.composer.gives_detail(plan):
            return "not_given"
        return plan.intent

    def _options(self, plan: Plan) -> tuple[str, ...]:
        """A list of methods offers each one's full steps as a question to click."""
        if plan.intent != "which":
            return ()
        return tuple(self.composer.p.render("which_option", title=self._title(s)) for s in plan.sections)

    def _generate(self, turn: Turn) -> Iterator[str]:
        """The model words the answer from the draft's passages; yields verified sentences, sets the reply.

        Anything short of a grounded answer (a failure, a timeout, a dropped warning, nothing kept) falls back
        to the extractive draft, with the reason in the reply's notice."""
        assert self.generator is not None and turn.plan is not None and turn.draft is not None
        t = self.generator.t
        given = turn.draft.citations
        question = turn.question
        gen = turn.generation = Generation(question)
        try:
            if turn.plan.followup and turn.plan.sections:
                question = gen.question = self.generator.condense(turn.question, self._title(turn.plan.sections[0]))
        except Exception as exc:  # a model that cannot rewrite will not answer either: fall back now, not twice
            log.warning("condensing the follow-up failed: %s", exc)
            gen.error = exc
        if gen.error is None:
            yield from self.generator.run(question, given, gen)
        if gen.error is not None:
            unreachable = is_unreachable(gen.error)
            notice = (t["notice_unreachable"].format(reason=type(gen.error).__name__) if unreachable
                      else t["notice_unverified"].format(reason="error"))
            self._extractive(turn, "extractive-fallback", notice)
            return
        verdict = gen.verdict
        assert verdict is not None
        if not verdict.grounded:
            why = t["reason_missing_warning"] if verdict.kept else t["reason_nothing_kept"]
            log.info("model answer not grounded (%s); %d sentences dropped", why, len(verdict.dropped))
            self._extractive(turn, "extractive-fallback", t["notice_unverified"].format(reason=why))
            return
        self._reply(turn, "answered", verdict.answer, citations=verdict.citations, focus=turn.plan.sections,
                    intent=self._intent(turn.plan), backend=self.generator.backend)

    def _title(self, section_id: str) -> str:
        section = self.library.section(section_id)
        return section.title if section else section_id

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
                self._extractive(turn, "extractive-fallback", self.generator.t["notice_unverified"].format(reason=exc))
                return self._check(turn)
            log.error("reply withheld for %r: %s", turn.question, exc)
            self._reply(turn, "out_of_scope", self.composer.out_of_scope("unverified"), intent="unverified")
            assert turn.reply is not None
            return turn.reply
        return reply


class Question(BaseModel):
    """What the answer Runnable takes: one question and the conversation before it."""

    # typed loosely so that the chain's own validator names a bad value in one line; the schema still says what
    question: Any = Field(description="The question, as the person typed it.", json_schema_extra={"type": "string"})
    history: Any = Field(json_schema_extra={"type": "array"}, default_factory=list,
                         description="Earlier turns, oldest first: Reply objects, Reply.to_dict() dicts, or chat "
                                     "messages (LangChain messages or role/content dicts).")


def _worded_by_model(reply: Reply) -> bool:
    return reply.backend not in ("extractive", "extractive-fallback")
