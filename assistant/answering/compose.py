"""The default answerer: deterministic, offline, quoting the article verbatim with numbered citations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..knowledge.library import Library
from ..prompts import Prompts
from ..records import Citation, Passage, Section
from ..understanding.details import missing_phrase
from ..understanding.intent import Plan
from ..understanding.lexicon import MOTIONS, REGIONS, any_phrase, asking_part, names_regions, normalise
from ..understanding.retrieval import Retrieval
from ..understanding.triage import Triage
from .verification import content_words

# Sentences that speak about risk without being warnings ("rotation tends to be a safer … motion").
# Words of asking whether a move is safe, which every sentence of a method may share with such a question
_SAFETY_ASKING = ("safe safely safety risk risky dangerous danger bad okay ok alright fine normal hurt harm injure "
                  "injury damage stretch stretching back spine crack cracking pop popping move thing do doing try "
                  "lower upper mid middle low top")
_RISK_WORDING = re.compile(r"\b(safe|safer|safely|risk\w*|forgiving|careful|aggressive\w*|injur\w*|limited motion)\b",
                           re.IGNORECASE)


@dataclass
class _Span:
    """A run of adjacent passages of one kind, quoted as one exact span."""

    passages: list[Passage]

    @property
    def first(self) -> Passage:
        return self.passages[0]


@dataclass
class Draft:
    """An answer being written: lines of text and the citations they point to."""

    library: Library
    lines: list[str] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    _numbers: dict[tuple[str, int, int], int] = field(default_factory=dict)

    def cite(self, span: _Span) -> tuple[str, int]:
        """Number a span (the same span keeps its number) and return its exact quote."""
        first, last = span.first, span.passages[-1]
        key = (first.source, first.start, last.end)
        quote = self.library.source_text(first.source)[first.start:last.end]
        if key not in self._numbers:
            n = len(self.citations) + 1
            self._numbers[key] = n
            self.citations.append(Citation(n, first.section_id, first.section_title, first.kind, quote,
                                           first.source, first.start, last.end))
        return quote, self._numbers[key]

    def quoted(self, span: _Span) -> bool:
        """Whether the answer quotes this span already."""
        return (span.first.source, span.first.start, span.passages[-1].end) in self._numbers

    def add(self, line: str = "") -> None:
        self.lines.append(line)

    @property
    def text(self) -> str:
        return re.sub(r"\n{3,}", "\n\n", "\n".join(self.lines)).strip()


# cracking as such: how often or how much ("ten times a day", "it's a habit"), or the harm the cautions name
_AS_SUCH = re.compile(r"\b(\d+|ten|twenty|many|lots of|loads of|several|a few|multiple) times\b|\b(how often|often|"
                      r"every day|everyday|daily|a lot|all the time|habit|habitually|addicted|too much|constantly|"
                      r"regularly|every morning|every night|arthritis|osteoarthritis|wear and tear)\b")
# a comparison asked by risk ("which is riskier?"), and a warning that weighs a move's risk against others'
_RISK_ASKED = re.compile(r"\b(saf\w*|risk\w*|danger\w*|harm\w*|hurt|injur\w*)\b")
_WEIGHS_RISK = re.compile(r"\b(greater|more|less|lower|higher) risk\b|"
                          r"\b(safer|riskier|more dangerous|less dangerous)\b")


def _shares_an_asked_word(asking: str, passage: Passage, s: Section, describes: bool = False) -> bool:
    """Whether the passage shares a word with what is asked beyond the method's names (and, with `describes`, its lay
    descriptions: a move called by what you do in it) and the words of asking whether it is safe."""
    names = content_words(" ".join([s.title, *s.aliases, *(s.describes if describes else ()), _SAFETY_ASKING]))
    return bool((content_words(asking) & content_words(passage.text)) - names)


def spans(passages: list[Passage], text_of) -> list[_Span]:
    """Group adjacent passages of the same kind and step line, with only white space between them."""
    groups: list[_Span] = []
    for p in passages:
        prev = groups[-1].passages[-1] if groups else None
        if (prev and prev.kind == p.kind and prev.step == p.step and prev.section_id == p.section_id
                and p.kind in ("step", "tip") and not text_of(p.source)[prev.end:p.start].strip()):
            groups[-1].passages.append(p)
        else:
            groups.append(_Span([p]))
    return groups


_PRONOUN = re.compile(r"\b(it|this one|that one|this|that|them)\b", re.IGNORECASE)


def _about(question: str, title: str, p: Prompts) -> str:
    """The question asked about one method: its pronoun becomes the method's name, else the name is added."""
    text = " ".join(question.split()).rstrip(" ?.!")
    named = f"the {title[0].lower() + title[1:]}" if not title.lower().startswith("the ") else title
    if _PRONOUN.search(text):
        return _PRONOUN.sub(named, text, count=1) + "?"
    return p.render("clarify_option_for", question=text, title=named)


class Composer:
    """Shapes an answer by intent; every sentence of the article it uses is quoted, never paraphrased."""

    def __init__(self, library: Library, prompts: Prompts, top_k: int = 5) -> None:
        self.library = library
        self.p = prompts
        self.top_k = top_k

    # -- replies that give no moves --------------------------------------------------------------
    def referral(self, triage: Triage) -> str:
        return self.p.render("referral_emergency" if triage.emergency else "referral", reason=self._reason(triage))

    def held_referral(self, triage: Triage) -> str:
        """A later request for a move, in a conversation that was referred: a reminder of why, no move."""
        reason = self._reason(triage)
        return self.p.render("referral_held_emergency" if triage.emergency else "referral_held", reason=reason)

    def _reason(self, triage: Triage) -> str:
        """What the referral names: the sign the lexicon found (`reason_<concept>`), else its whole group's signs
        (a sign the semantic net found, or a referral held from an earlier turn)."""
        concept = f"reason_{triage.concept}"
        return self.p.render(concept if triage.concept and self.p.has(concept) else f"reason_{triage.group}")

    def age_note(self, d: Draft) -> None:
        """A safety answer for someone older than the lexicon's `older_than`: the article says nothing about age."""
        d.add()
        d.add(self.p.render("age_note"))

    def social(self, route: str) -> str:
        """A short reply to a greeting, thanks, goodbye or "who are you?"; it leaves the conversation's focus alone."""
        return self.p.render(f"social_{route}" if self.p.has(f"social_{route}") else "social_greeting")

    def clarify(self, plan: Plan, question: str) -> tuple[str, tuple[str, ...]]:
        """A follow-up that fits several methods: ask which, with the question put about each as a choice."""
        titles = [self.library.section(s).title for s in plan.sections]
        options = tuple(_about(question, title, self.p) for title in titles)
        lines = [self.p.render("clarify_intro", count=len(titles))]
        lines += [self.p.render("clarify_line", i=i, title=t) for i, t in enumerate(titles, start=1)]
        return "\n".join(lines), options

    def suggestions(self) -> list[str]:
        return self.p.list("suggestions")

    def out_of_scope(self, reason: str | None = None) -> str:
        lines = [self.p.render("out_of_scope")]
        if reason and self.p.has(f"out_of_scope_{reason}"):
            lines.append(self.p.render(f"out_of_scope_{reason}"))
        lines += ["", self.p.render("suggestions_header")]
        lines += [self.p.render("suggestion_line", question=q) for q in self.p.list("suggestions")]
        return "\n".join(lines)

    # -- answers -----------------------------------------------------------------------------------
    def compose(self, plan: Plan, retrieval: Retrieval, cautions_shown: bool = False) -> Draft:
        """The answer for a plan. The article-wide cautions close it unless this conversation already showed them
        (`cautions_shown`); a general safety answer is made of them, so it always has them."""
        draft = Draft(self.library)
        sections = [self.library.section(s) for s in plan.sections]
        if plan.detail == "stretch_not_crack":
            self._stretch_not_crack(draft, plan, sections)
            return draft
        if plan.intent == "howto" or (plan.intent == "which" and plan.matched and len(sections) == 1):
            # a list of one method is that method's answer: its steps; a follow-up about one of its tips ("what if my
            # belly gets in the way?" after the child's pose) opens with that tip
            # ...and so does a first question one of its tips or warnings answers ("can I pull a muscle doing the
            # standing twist?", "my belly gets in the way in child's pose")
            asked = self._asked_about(sections[0], retrieval, ("tip",) if plan.followup else ("tip", "warning"))
            # ...and one asked for a part of the back its own sentences speak of ("can I roll my lower back on the foam
            # roller?") opens with what it says of that part ("Never lie with your low back flat…")
            asked = asked or self._of_region(sections[0], plan.facets.regions)
            self._howto(draft, sections[0], asked)
        elif plan.intent == "safety" and sections:
            self._safety(draft, sections[0], asked=self._asked_about(sections[0], retrieval),
                         scores=retrieval.passage_scores, asking=normalise(retrieval.query))
        elif plan.intent in ("safety", "compare") and not sections:
            self._safety_general(draft, plan, retrieval)
        elif plan.intent == "compare" and plan.detail:
            self._compare_detail(draft, sections, plan.detail)
        elif plan.intent == "compare":
            self._compare(draft, sections, normalise(retrieval.query), by_kind=not plan.facets.named)
        elif plan.intent == "detail":
            self._detail(draft, sections[0], plan.detail or "", retrieval, plan.also)
        else:
            self._which(draft, plan, sections)
        if not (plan.intent in ("safety", "compare") and not sections) and not cautions_shown:
            self._general(draft, sections)
        return draft

    def _text_of(self, source: str) -> str:
        return self.library.source_text(source)

    def _line(self, d: Draft, span: _Span) -> None:
        """One quoted span on its own line, a warning with its mark."""
        quote, n = d.cite(span)
        d.add(self.p.render("warning_line" if span.first.kind == "warning" else "intro_line", quote=quote, n=n))

    def _lead(self, d: Draft, passages: list[Passage]) -> None:
        """The direct answer that opens a reply: one or two of the article's own sentences, each cited."""
        for p in passages:
            self._line(d, _Span([p]))

    @staticmethod
    def _what_it_is(s: Section) -> Passage | None:
        """The first sentence of a method's own introduction (kind `intro`, never a warning): what the move is."""
        return next((p for p in s.of_kind("intro")), None)

    def _howto(self, d: Draft, s: Section, asked: Passage | None = None) -> None:
        if s.professional_only:  # the article's own sentence that it is for professionals comes first
            parts = spans(s.passages, self._text_of)
            self._line(d, parts[0])
            d.add(self.p.render("professional_only", title=s.title))
            for span in parts[1:]:
                self._line(d, span)
            return
        lead = asked or self._what_it_is(s)
        if lead is not None:  # what the move is, then how; a method without an introduction opens with its steps
            self._lead(d, [lead])
            d.add()
            d.add(self.p.render("howto_intro", title=s.title))
        for i, span in enumerate(spans(s.steps, self._text_of), start=1):
            quote, n = d.cite(span)
            d.add(self.p.render("step_line", i=i, quote=quote, n=n))
        tips = spans(s.of_kind("tip"), self._text_of)
        if tips:
            d.add()
            d.add(self.p.render("tips_header"))
            for span in tips:
                quote, n = d.cite(span)
                d.add(self.p.render("tip_line", quote=quote, n=n))
        self._warnings(d, s)

    def _warnings(self, d: Draft, s: Section, header: bool = True) -> None:
        """All of a method's warnings: they travel with anything said about it."""
        if not s.warnings:
            d.add()
            d.add(self.p.render("no_method_warnings", title=s.title))
            return
        # a warning the answer opened with (the sentence asked about) is not said twice
        fresh = [span for span in spans(s.warnings, self._text_of) if not d.quoted(span)]
        if header and fresh:
            d.add()
            d.add(self.p.render("warnings_header", title=s.title))
        for span in fresh:
            quote, n = d.cite(span)
            d.add(self.p.render("warning_line", quote=quote, n=n))

    def _general(self, d: Draft, sections: list[Section]) -> None:
        """The article-wide cautions close every answer that describes a method."""
        cautions: list[Passage] = []
        for s in sections or self.library.sections[:1]:
            cautions += [c for c in self.library.cautions_for(s) if c not in cautions]
        if not cautions:
            return
        d.add()
        d.add(self.p.render("general_header"))
        for span in spans(cautions, self._text_of):
            quote, n = d.cite(span)
            d.add(self.p.render("warning_line", quote=quote, n=n))

    @staticmethod
    def _of_region(s: Section, regions: frozenset[str]) -> Passage | None:
        """The method's first warning that names the parts of the back asked for, if any."""
        if not regions:
            return None
        return next((p for p in s.of_kind("warning") if names_regions(p.text, regions)), None)

    @staticmethod
    def _asked_about(s: Section, r: Retrieval, kinds: tuple[str, ...] = ("tip",)) -> Passage | None:
        """The method's tip that the question is about ("is it ok to rock a bit in the knee hug?"): the passage
        retrieval ranks first of every passage in the article, if it is this method's tip (its steps are no answer to
        "is it safe?": tried, they led with a step for questions the warnings answer) and shares a word
        with the sentence that asks beyond the method's names and descriptions and the words of asking whether it
        is safe."""
        if not r.passage_scores:
            return None
        best = max(r.passage_scores, key=lambda pid: r.passage_scores[pid])
        found = next((p for p in s.passages if p.id == best and p.kind in kinds), None)
        if found is None:
            return None
        asking = asking_part(normalise(r.query))  # the sentence that asks, not the story around it
        # a move called by what you do in it ("hanging my head off the bed"), not by a name retrieval read, is named
        # by those words
        return found if _shares_an_asked_word(asking, found, s, describes=s.id not in r.facets.named) else None

    def _safety(self, d: Draft, s: Section, header: bool = False, asked: Passage | None = None,
                quoted: tuple[Passage, ...] = (), scores: dict | None = None, asking: str = "") -> None:
        """The method's risk in the article's words: its first warning leads (else its sentence on risk, else what
        it is), then the plain line on how risky the article makes it, then the rest. All its warnings are shown.
        `header` names the method first (a comparison, which has several). A tip the question is about (`asked`)
        opens the reply, before the risk. Sentences the reply has `quoted` already are not said again. With the
        retrieval's passage `scores` and the sentence `asking`, the warning nearest the question leads where it shares
        a word with what is asked beyond the method's names ("will I be sore after the foam roller?": its warning
        about soreness, then the others)."""
        if asked is not None and not header:
            self._lead(d, [asked])
        about = [p for p in s.passages if p.kind != "warning" and _RISK_WORDING.search(p.text)]
        if not about and not s.warnings:  # nothing on risk: say which move this is, in the article's words
            about = s.of_kind("intro")
        about = [p for p in about if p not in quoted]
        lead = (s.warnings or about)[:1]
        if scores and asking and s.warnings:
            best = max(s.warnings, key=lambda p: scores.get(p.id, 0.0))
            if _shares_an_asked_word(asking, best, s):
                lead = [best]
        if header:
            d.add(self.p.render("safety_intro", title=s.title))
        else:
            self._lead(d, lead)
        # (the professionals' technique: the article says who may do it, not that it injures)
        risk = "professional_only" if s.professional_only else f"risk_{s.tags.risk}"
        d.add(self.p.render(risk if self.p.has(risk) else "risk_unknown", title=s.title))
        for span in spans(about, self._text_of):
            if header or span.first not in lead:
                self._line(d, span)
        if header or not s.warnings:
            self._warnings(d, s, header=False)
        else:
            for span in spans([w for w in s.warnings if w not in lead], self._text_of):
                self._line(d, span)

    def _compare(self, d: Draft, sections: list[Section], asking: str = "", by_kind: bool = False) -> None:
        """The article's own comparative sentences first (asked which is riskier, a method's warning that weighs its
        own risk against others' leads: "it carries a little greater risk"); where it compares none of the pair, it
        says so. Then each method's own risk sentences and warnings. Weighed by kind of motion (`by_kind`: no method
        named, "twisting or arching?"), the comparison is said to be of the kinds, the methods being its nearest
        moves of each."""
        weighed = [w for s in sections for w in s.warnings if _WEIGHS_RISK.search(w.text)] \
            if _RISK_ASKED.search(asking) else []
        said: list[Passage] = []
        for i, a in enumerate(sections):
            for b in sections[i + 1:]:
                said += [p for p in self.library.comparisons_of(a, b) if p not in said]
        compared = bool(said)
        said = weighed + [p for p in sorted(said, key=lambda p: p.start) if p not in weighed]
        titles = self._join(s.title for s in sections)
        kinds = list(dict.fromkeys(s.tags.motion for s in sections if s.tags.motion))
        self._lead(d, said)  # the article's own comparison is the direct answer
        direct = any(self.library.compares_directly(a, b) for i, a in enumerate(sections) for b in sections[i + 1:])
        if compared and by_kind and len(kinds) == len(sections) > 1:
            d.add(self.p.render("compare_said_kinds", kinds=self._join(kinds), titles=titles))
        elif compared and not direct and len(kinds) == len(sections) > 1:
            # the moves named, compared by the article only as kinds of motion ("foam roller vs knees to chest")
            d.add(self.p.render("compare_said_of_kinds", kinds=self._join(kinds), titles=titles))
        elif compared:
            d.add(self.p.render("compare_said", titles=titles))
        else:  # (a warning weighing one's own risk is no comparison of the two)
            d.add(self.p.render("compare_not_said", titles=titles))
        for s in sections:
            d.add()
            self._safety(d, s, header=True, quoted=tuple(said))

    def _compare_detail(self, d: Draft, sections: list[Section], kind: str) -> None:
        """One detail asked of several methods ("how long do you hold X vs Y?"): each method's tagged sentences, or
        that the article does not give it for that method; then each method's warnings. A comparison asked by
        region ("X or Y for my mid back?") that the article never makes says so first."""
        if kind == "where" and len(sections) > 1 and not self.library.comparisons_of(sections[0], sections[1]):
            d.add(self.p.render("compare_not_said_detail", titles=self._join([s.title for s in sections]),
                                what=missing_phrase(kind)))
        for s in sections:
            given = self.tagged(s, kind)
            if given:
                d.add(self.p.render("compare_detail_of", title=s.title))
                self._lead(d, given)
            else:
                d.add(self.p.render("compare_detail_missing", title=s.title, what=missing_phrase(kind)))
        d.add(self.p.render("compare_detail_after"))
        for s in sections:
            self._warnings(d, s)

    def _join(self, words) -> str:
        return f" {self.p.render('wanted_join')} ".join(words)

    def _safety_general(self, d: Draft, plan: Plan, r: Retrieval) -> None:
        # the article-wide cautions are the direct answer, then what it says on the methods nearest the question
        for span in spans([c for g in self.library.general for c in g.warnings], self._text_of):
            self._line(d, span)
        related = []
        # ...unless the question is about cracking as such, how often or how much, which the cautions answer ("is it
        # bad to crack my back ten times a day?": a hug's broken ribs are no answer to it)
        as_such = bool(_AS_SUCH.search(asking_part(normalise(r.query)))) and not plan.facets.any_filter
        # ...and of the kind of motion it names, if it names one ("is it ok to crack my back with the twists?")
        motions = {m for m, words in MOTIONS.items() if any_phrase(normalise(r.query), words)}
        nearest = [s for s in self.library.sections if s.tags.motion in motions] if motions else [
            hit.section for hit in r.sections]
        for s in nearest if not as_such else ():
            if self.library.is_general(s.id) or (plan.facets.any_filter and not plan.facets.admits(s)):
                continue
            related += [(r.passage_scores.get(p.id, 0.0), p) for p in s.passages
                        if p.kind == "warning" or _RISK_WORDING.search(p.text)]
        related.sort(key=lambda sw: -sw[0])
        if related:
            d.add()
            d.add(self.p.render("safety_related_header"))
            for _, w in related[:4]:
                quote, n = d.cite(_Span([w]))
                mark = self.p.render("warning_mark") + " " if w.kind == "warning" else ""
                d.add(self.p.render("warning_of_line", mark=mark, title=w.section_title, quote=quote, n=n))

    def _stretch_not_crack(self, d: Draft, plan: Plan, sections: list[Section]) -> None:
        """Whether a crack is needed: the article's opening sentences (a stretch relieves tension without a crack; too
        much cracking may harm), then its moves that bend forward, listed, or one with its steps and warnings."""
        for span in spans([p for g in self.library.general for p in g.passages], self._text_of):
            self._line(d, span)
        if len(sections) == 1:
            d.add()
            self._howto(d, sections[0])
        elif sections:
            d.add()
            d.add(self.p.render("stretch_not_crack_header"))
            for i, s in enumerate(sections, start=1):
                self._list_item(d, i, s, self._one_line(s))
            d.add()
            d.add(self.p.render("which_more"))

    def _which(self, d: Draft, plan: Plan, sections: list[Section]) -> None:
        """A compact list: each method's name, its risk as the sidecar gives it, and one sentence on what it is (where
        it acts, for a region), never its steps; its steps and all its warnings come when it is picked. The list opens
        with the sentence of the gentlest listed method that introduces it, as the direct answer. A method the article
        itself calls risky also shows the article's first warning for it."""
        wanted = self._wanted(plan)
        shown, rest = sections[:self.top_k], sections[self.top_k:]
        lines = {s.id: self._one_line(s, plan.facets.regions) for s in shown}
        lead = self._which_lead(shown, lines)
        if lead is not None:
            self._lead(d, [lead])
            d.add()
        intro = ("which_intro_one" if len(sections) == 1 else "which_intro") if plan.matched else "which_none"
        d.add(self.p.render(intro, count=len(sections), wanted=wanted))
        for i, s in enumerate(shown, start=1):
            self._list_item(d, i, s, lines[s.id], above=lines[s.id] is lead)
            if s.tags.risk == "high" and s.warnings:
                quote, n = d.cite(_Span(s.warnings[:1]))
                d.add(self.p.render("which_warning", quote=quote, n=n))
        d.add()
        if rest:
            d.add(self.p.render("which_rest", titles=", ".join(s.title for s in rest)))
        d.add(self.p.render("which_more"))

    def _list_item(self, d: Draft, i: int, s: Section, line: Passage | None, above: bool = False) -> None:
        """One listed method: its name, what the article warns of it (how many warnings of its own, ⚠ where it warns
        of injury: the article grades no move, so no grade) and its one line (cited); where it has no sentence to
        quote but its steps (the knees-to-chest), its name alone: never words that are not the article's (a lay
        description once stood there, uncited); `above` when that line already opened the reply."""
        count = len(s.warnings)
        label = ("which_warnings_high" if s.tags.risk == "high" else "which_warnings_none" if not count
                 else "which_warnings_one" if count == 1 else "which_warnings_many")
        risk = self.p.render(label, n=count)
        if line is None:
            d.add(self.p.render("which_item_plain", i=i, title=s.title, risk=risk))
            return
        quote, n = d.cite(_Span([line]))
        d.add(self.p.render("which_item_above" if above else "which_item", i=i, title=s.title, risk=risk, quote=quote,
                            n=n))

    def _one_line(self, s: Section, regions: frozenset[str] = frozenset()) -> Passage | None:
        """What a listed method is, in one of the article's sentences that is not a step or a warning: for a region,
        its sentence on where it acts (tagged `where` in the sidecar) before its introduction, the one that names
        most of the regions asked first ("mid-to-lower back" for the mid to lower back, "hip joints" for the hips);
        otherwise the other way round."""
        where = [p for p in s.passages if p.id in s.details.get("where", ()) and p.kind in ("intro", "tip")]
        if regions:
            named = {p.id: sum(any_phrase(normalise(p.text), REGIONS[r]) for r in regions if r in REGIONS)
                     for p in where}
            where.sort(key=lambda p: -named[p.id])  # stable: the article's order among equals
        intro = s.of_kind("intro")
        found = (where + intro) if regions else (intro + where)
        return found[0] if found else None

    @staticmethod
    def _which_lead(shown: list[Section], lines: dict[str, Passage | None]) -> Passage | None:
        """The list's opening sentence: the line of the lowest-risk method (in the list's order) that introduces
        the move (an intro sentence names it); else the first line there is."""
        order = {"low": 0, "moderate": 1, "high": 2}
        ranked = sorted(range(len(shown)), key=lambda i: (order.get(shown[i].tags.risk, 3), i))
        found = [line for i in ranked if (line := lines[shown[i].id]) is not None]
        return next((p for p in found if p.kind == "intro"), found[0] if found else None)

    def _wanted(self, plan: Plan) -> str:
        f = plan.facets
        parts = [self.p.render(f"wanted_region_{r}") for r in sorted(f.regions)]
        if f.positions:
            named = [self.p.render(f"wanted_position_{x}") if self.p.has(f"wanted_position_{x}") else x
                     for x in sorted(f.positions)]
            either = f" {self.p.render('wanted_position_or')} "
            parts.append(self.p.render("wanted_position", position=either.join(named)))
        if "none" in f.equipment:
            parts.append(self.p.render("wanted_no_equipment"))
        elif f.equipment - {"some"}:
            parts.append(self.p.render("wanted_equipment", equipment=" or ".join(sorted(f.equipment - {"some"}))))
        elif f.equipment:
            parts.append(self.p.render("wanted_some_equipment"))
        if f.partner is not None:
            parts.append(self.p.render("wanted_partner" if f.partner else "wanted_alone"))
        return self._join(parts) if parts else self.p.render("wanted_any")

    def gives_detail(self, plan: Plan) -> bool:
        """Whether a detail plan's method has sentences tagged with the detail asked for (else the reply says the
        article does not give it)."""
        return bool(plan.sections and plan.detail and self.tagged(self.library.section(plan.sections[0]), plan.detail))

    @staticmethod
    def tagged(s: Section, kind: str) -> list[Passage]:
        """The method's sentences the sidecar tags with a detail kind, in the article's order."""
        by_id = {p.id: p for p in s.passages}
        return sorted((by_id[i] for i in s.details.get(kind, ()) if i in by_id), key=lambda p: p.start)

    def _detail(self, d: Draft, s: Section, kind: str, r: Retrieval, plan_also: tuple[str, ...] = ()) -> None:
        """The sentences the sidecar tags with the detail asked for; where the article gives none for this method,
        it says so and quotes what it does give for it, never a nearby sentence passed off as the answer."""
        chosen = self.tagged(s, kind) if kind else []
        if chosen:  # the tagged sentences are the direct answer, with those of a second detail asked in the same
            # breath ("how long, and how often?")
            extra = [p for k in plan_also for p in self.tagged(s, k) if p not in chosen]
            self._lead(d, sorted([*chosen, *extra], key=lambda p: p.start))
            d.add(self.p.render("detail_intro", title=s.title))
        elif kind == "partner" and s.tags.partner is False:  # "do I need someone for the chair one?": its steps are
            # a move done alone, which is the answer, in the article's words
            d.add(self.p.render("detail_on_your_own", title=s.title))
            for span in spans(s.steps, self._text_of):
                quote, n = d.cite(span)
                d.add(self.p.render("detail_line", quote=quote, n=n))
        else:  # that the article does not say is the direct answer; then what it does say
            d.add(self.p.render("detail_missing", title=s.title, what=missing_phrase(kind) if kind else "that"))
            by_id = {p.id: p for p in s.passages}
            given = list(dict.fromkeys(i for ids in s.details.values() for i in ids))
            chosen = [by_id[i] for i in given if i in by_id and by_id[i].kind != "warning"][:3] or s.steps[:2]
            for p in sorted(chosen, key=lambda p: p.start):
                quote, n = d.cite(_Span([p]))
                d.add(self.p.render("detail_line", quote=quote, n=n))
        self._warnings(d, s)
