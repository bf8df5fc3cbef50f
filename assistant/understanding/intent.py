"""What a question asks for (intent) and which methods it is about (focus), follow-ups included."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from ..knowledge.library import Library
from ..records import Reply, Section
from .conversation import last_focus
from .details import by_term, detail_kinds_asked, giving_term, of_named
from .details import detail_kind as read_detail_kind
from .lexicon import (
    CRACKING,
    FLOOR,
    FLOOR_POSITIONS,
    MOTIONS,
    SPINE,
    Facets,
    any_phrase,
    asking_part,
    denied_motions,
    facets,
    named_only_as_a_place,
    names_regions,
    normalise,
    questions_asked,
    without_any_names,
    without_names,
)
from .retrieval import Retrieval

Intent = Literal["howto", "safety", "which", "detail", "compare", "clarify"]

_SAFETY = re.compile(
    r"\b(safe|safer|safest|safely|safety|unsafe|risks?|risky|riskier|danger\w*|harm\w*|bad (for|to)|is it bad|"
    r"injur\w*|sore(?! (spot|bit|area|point|part|place)\b)|soreness|damage\w*|okay to|ok to|alright to|side effects?|arthritis|osteoarthritis|"
    r"careful|precautions?|warnings?|worry|break (my|a|your)|broken|hurt (me|my|you|your)|(will|does|would|can) (it|this|that) hurt|"
    r"too much|too often|every day|wear and tear|bruis\w*|fall over|falling|"
    # "is the front hug ok for me? I have big boobs": whether a move suits someone
    r"(ok|okay|alright|suitable|appropriate) for (me|her|him|them|someone|people|my \w+))\b")
# "im 78 btw, is that ok?" after a move: whether the move in focus is safe (said of a named move it is often a detail:
# "I can't get my nose near the floor in child's pose, is that ok?")
_IS_IT_OK = re.compile(r"\b(is|are|would|will) (that|it|this|they|these|those) (be )?(ok|okay|alright|all right|fine)\b")
_WHICH = re.compile(
    r"\b(which|what)\b[^?]{0,30}\b(stretch\w*|moves?|methods?|exercises?|ways?|options?|positions?|techniques?)\b|"
    r"\b(best|recommend\w*|suggest\w*|good|easiest|gentlest) (stretch\w*|moves?|way|ways|exercises?|methods?)\b|"
    r"\bstretches for\b|\bways to\b|\boptions\b|\bany (stretch\w*|moves?|exercises?|methods?)\b|\bwhat can i do\b|"
    r"\b(what|which) (are|were) (all )?the\b[^?]{0,25}\bones\b|\bwhich (ones|of (them|these|those|the \w+))\b|"
    # a list asked for: "list the moves that bend your back backwards", "name all the ones you can do sitting"
    r"\b(list|name|give me|tell me|show me)\b[^?.!]{0,20}\b(stretches|moves|methods|exercises|ways|options|positions|"
    r"techniques|ones)\b|\ball (of )?the (stretches|moves|methods|exercises|ways|ones)\b")
# What the person says they do not have is context, not the question ("no injury or anything, how's it done?").
_DENIED = re.compile(r"\b(no|not|without|never|nothing|zero|nor)\b( \w+){0,2}? (injur\w*|sore\w*|damage\w*|bruis\w*|"
                     r"arthritis|hurt\w*|problems?|issues?)\b")
# "Is it safe to…", "it's bad to…": a dummy "it" is not a reference to an earlier method.
_DUMMY_IT = re.compile(r"\b(is it|it is|it's|was it|would it be|will it be) (\w+ )?(\w+) to\b")
_ANAPHORA = re.compile(r"\b(it|this|that|these|those|them|this one|that one|same|the move|the stretch|the exercise|"
                       r"the position|the pose|instead|also|too|again|then)\b")
# A question that weighs two moves against each other ("X or Y, which is better?", "safer than", "as much as").
_COMPARE = re.compile(r"\b(better|best|safer|safest|riskier|riskiest|more (effective|dangerous|risky|stable|gentle|"
                      r"forgiving|range|likely)|less (dangerous|risky|likely)|likelier|easier|gentler|versus|vs\.?|compared?|comparing|"
                      r"difference between|differs?|different (from|to|than)|as much as|than)\b|"
                      # "knees to chest or child's pose, how are they different?", "what's the difference?"
                      r"\bhow (are|do|is) (they|these|those|the two|both|them)( \w+)? (different|differ)\b|"
                      r"\bwhat'?s? (is )?the difference\b|\bmore\b[^?.!]{0,25}\bor\b|\bor\b[^?.!]{0,40}\bwhich\b|"
                      r"\bwhich\b[^?.!]{0,30}\b(less|more|easier|harder|quicker|simpler|gentler|safer|riskier|forgiving)\b")  # _WHICH_LESS
# A request for a move, whatever else the question asks ("which twist is best to crack it?", "show me the steps").
# (not a wish: "have a good one")
_MOVE_REQUEST = re.compile(r"(?<!\bhave a )\b(which|what|any|best|good)\b[^?.!]{0,30}\b(stretch\w*|twist\w*|moves?|exercises?|"
                           r"ones?|poses?|ways?|position|technique|cracks?|methods?|options?)\b|\bhow (do|can|should|would|to) (i|we|you)?\b|"
                           r"\b(show|teach|tell|give) me\b|\bsteps\b|\bwalk me through\b")
# Whether to stretch rather than crack ("do I need to hear a crack?", "I don't want anything to crack, just loosen
# up", "the crack or just the stretch?"): the article's opening answers it, then its moves that bend forward.
_STRETCH_NOT_CRACK = re.compile(
    r"\b(need|have|got) to (hear|get|feel) (a |the |it )?(crack|pop|click)|"
    r"\b(crack|cracking|pop|popping)\b[^?.!]{0,25}\b(or|vs\.?|versus)\s[^?.!]{0,20}\b(stretch|stretching)\b|"
    r"\b(stretch|stretching)\b[^?.!]{0,25}\b(or|vs\.?|versus)\s[^?.!]{0,25}\b(crack|cracking|pop|popping)\b|"
    r"\bpoint\b[^?.!]{0,30}\b(crack|pop)\w*\b[^?.!]{0,10}\bor not\b|"
    r"\b(do not|don't|dont|never) (really |actually |even )?(want|like|need)\b[^?.!]{0,20}\b(crack|cracking|pop|popping)|"
    r"\bwithout (any(thing)? )?(cracking|crack|popping|pop)\w*\b|"
    # "without needing to crack anything", "not about cracking"
    r"\bwithout (needing|having|wanting|trying|having) to (crack|pop)\w*\b|"
    # "a simple stretch that doesn't crack anything", "stretch the muscles, not crack anything"
    r"\b(doesn.?t|does not|won.?t|will not|wont|not) (crack|pop) (anything|it|my back|the back)\b|"
    r"\bnot (about|for|into|after) (the )?(crack|cracking|popping|pops|cracks)\b|"
    r"\b(won't|will not|wont) (necessarily |actually |really )?(crack|pop)\b(?![^?.!]*\bagain\b)|"
    r"\b(won't|will not|wont|doesn't|does not|don't|do not) (make|get) (it|me|my back|your back) (to )?(crack|pop)|"
    r"\bjust (want|need|after) (a|the) (stretch|stretching)\b|\bnot the (crack|cracking|pop|popping|cracks|pops)\b|"
    r"\b(stretch|stretching),? (and )?not (to )?(crack|cracking|pop|popping)\b|"
    r"\b(hates?|scared of|freaks? me out|afraid of)\b[^?.!]{0,25}\b(crack|cracking|popping)")
# A plain stretch asked for, no crack and no kind of motion named ("what's a gentle stretch for a stiff back?",
# "good stretch for that?"): the article's answer is its opening (simple stretches relieve tension) and its stretches
_JUST_A_STRETCH = re.compile(r"\b(gentle|gentlest|simple|simplest|easy|easiest|basic|light|good|decent|nice|beginner|"
                             r"starter|quick)( \w+)? stretch(es)?\b|"
                             # "what's a gentle one?", "the gentlest thing to start with"
                             r"\b(gentle|gentlest|easy|easiest|simple|simplest) (one|thing|move|option)\b|"
                             # "which stretch is gentlest?", "which one's the easiest?"
                             r"\b(stretch|stretches|one|ones|move|moves)('s| is| are) (the )?(gentlest|easiest|simplest|"
                             r"mildest)\b|"
                             # "what's the safest stretch?": the article's gentlest, not its warnings alone
                             r"\b(safest|least risky|lowest risk|lowest-risk) (\w+ )?(stretch(es)?|one|move|moves|thing|"
                             r"option|exercise)\b|"
                             # "which exercise can I do on the floor with no danger?"
                             r"\b(which|what|any)\b[^?.!]{0,40}\b(with |without )?(no|zero|little|least|minimal|any) "
                             r"(danger|risk)\b")
# a message that asks nothing ("my back hurts after lifting my mum out of bed"): a back described, help wanted
_ASKS_ANYTHING = re.compile(r"\?|\b(how|what|which|why|when|where|whats|hows)\b|"
                            r"(^|[.!;,—–-]\s*)(who|can|could|should|would|will|is|are|do|does|did|any|anything)\b|"
                            r"\b(tell|show|give|teach|walk|talk) me\b|\b(help|recommend|suggest|explain|want|need|"
                            r"looking for|steps|list|name)\b")
_WHAT_HELPS = re.compile(r"\bwhat (helps|would help|will help|can help|might help|could help|do you recommend)\b|"
                         r"\bwhat (should|can|could) i do( for it| about it)?\s*[?.!]*$")
_CRACK_WORDS = re.compile(rf"\b({CRACKING}|click\w*|adjust\w*)\b")
_ANOTHER = re.compile(r"\b(instead|rather|another|other one|other way|different one|different way|alternative|"
                      r"something else|anything else)\b")
# "the two hug ones", "both twists": every method of the kind named, not the best-ranked one
_BOTH = re.compile(r"\b(two|both|all)\b")
# "which hug one needs less coordination?" weighs all the hugs too ("which twist is best for…?" is a list)
_WHICH_LESS = re.compile(r"\bwhich\b[^?.!]{0,30}\b(less|more|easier|harder|quicker|simpler|gentler|safer|riskier|forgiving)\b")
_WHICH_WAY = ("look", "direction", "side")
_THE_OTHER = re.compile(r"\bthe other( one| method| way| move)?\b")
# "and the version with my hand?": a variant of the move in focus asked for by what tells it apart
_VERSION = re.compile(r"\b(version|variant|variation|one|way|kind)\s+(with|using|where)\b")
_WHATS_THE = re.compile(r"\bwhat('?s| is| was) the\b")
# two moves weighed by name or kind ("kneeling child's pose or standing back arch?"): a comparison, not this
_COMPARE_TWO = re.compile(r"\b(twist\w*|arch\w*|rotat\w*|extension|pose|hug|roller|chair|bed)\b[^?.!]{0,40}\bor\b")
# two named methods set against each other for an aim ("chair twist or floor twist if I actually want it to crack?")
_FOR_AN_AIM = re.compile(r"\b(if|when) (i|you|we) (actually |really |just |only )?(want|need)\b|"
                         r"\b(for|to get|to hear|to feel) (a |the )?(crack|pop|stretch)\w*|"
                         # "chair twist or floor twist for the low back?", "for the lower back, chair twist or knee lever?"
                         r"\bor\b[^?.!]{0,30}\bfor (my|the|your|a) (low |lower |upper |mid |middle )?(back|spine)\b|"
                         r"\bfor (my|the|your|a) (low |lower |upper |mid |middle )?(back|spine)\b[^?.!]{0,40}\bor\b")
# a move asked for to crack ("which one cracks the lower back best?", "best way to crack my mid back"), not cracking
# mentioned ("I don't care about the cracking - which ones?", "is stretching as good as getting it to crack?")
_CRACK_ASKED = re.compile(r"\b(which|what)\b[^?.!]{0,25}\b(cracks?|pops?)\b(?! (sounds?|noises?|or))|"
                          r"\bbest (way )?to (crack|pop)\b")
# a detail asked of "it" and nothing else ("how long do I hold it?", "how many times a day should I do that?")
_BARE_DETAIL = re.compile(r"^\s*(and |so |ok |okay )?(how|what|when|where|which|should|do|can)\b[^.?!]{0,40}"
                          r"\b(it|that|this|that one|this one)\b[^.?!]{0,20}[.?!]*\s*$")
_EVERY = re.compile(r"\ball (of )?(the |your |his |its )?(moves|methods|stretches|ways|exercises|techniques|ones)\b|"
                    r"\bevery (move|method|stretch|way|exercise|technique|one)\b")
_OTHERS = re.compile(r"\b(the other|the rest of the|any of the other|all the other)\b")
_QUANTITY = re.compile(r"\bhow (many|often|long|much|soon)\b")
_PRONOUN = re.compile(r"\b(it|this|that|this one|that one|them|these|those)\b")
_WHAT_ABOUT = re.compile(r"^(and |but )?(what|how) about\b|^and\b")
# (not "back" of a phrasal verb: "how do I get back up after?" asks about the move in focus)
_BACK = re.compile(rf"(?<!get )(?<!come )(?<!go )(?<!sit )\b(back(?! (up|down|to|into|again)\b)|{SPINE}|{CRACKING})\b")


@dataclass(frozen=True)
class Plan:
    """The shape of the answer: intent, the methods it is about, and the detail asked for."""

    intent: Intent
    sections: tuple[str, ...]
    facets: Facets
    detail: str | None = None
    followup: bool = False
    matched: bool = True  # for "which": some method fits every facet asked for
    also: tuple[str, ...] = ()  # further details asked in the same question ("how long, and how often?")


# what a single move is called when it is described, not named ("the stretch where…", "the one with…")
_ONE_MOVE = r"(stretch|move|exercise|position|pose|one|thing|technique|method|twist|trick)"
# "the stretch where I…", "the one with…": the question describes a single move, not a kind of move.
_DESCRIBES_ONE = re.compile(rf"\b(the|that|this) (\w+ )?{_ONE_MOVE} (where|that|with|in which|when|you do|i do|for)\b|"
                            r"\bthere'?s? (one|a \w+) (where|that)\b")


_WHAT_THE_ONE = re.compile(rf"\b(what|which)('s| is| was) the (\w+ )?{_ONE_MOVE} (where|that|with|in which|when|you do|"
                           r"i do)\b")


# A request for the steps of a move ("how do I…", "walk me through…"), by the question's structure.
_HOW_REQUEST = re.compile(r"\bhow (do|can|should|would) (i|you|we)\b|\b(walk|talk) me (through|thru)\b|\bhow (exactly |actually )?"
                          r"(does|do) (it|that|this|you do it|you do that) (go|work)\b|\bshow me how\b|\bsteps\b|"
                          # "how to crack my back leaning backwards", "how's that go?"
                          r"(^|[.?!,;]\s*)how to\b|\bhow'?s (it|that|this) (go|work|done)\b")
# asking for the whole move, not one detail of it ("how do I do the one where … reach your arms out")
_DO_IT = re.compile(r"\bhow (do|can|should|would) (i|you|we) (do|perform|get into)\b|\bwalk me (through|thru)\b|"
                    r"\bhow('?s| does| do) (it|that|this) go\b|"
                    r"\b(the|what are the) (actual |full |proper )?steps\b|"
                    # "…walk your hands out on the floor, steps?": the steps asked for after the move described
                    r"(^|[,.;:!?]\s*)steps( please| pls)?\s*\?*\s*$")
_HOW_ALONE = re.compile(r"(?:^|[?.!,;]\s*|\band\s+)how\s*\?*\s*$")  # "ok to do the standing twist? how?"


def is_followup(question: str, named: tuple[str, ...], f: Facets, focus: tuple[str, ...]) -> bool:
    """Whether a question leans on the method in focus: by a pronoun, by asking a detail, or by being short."""
    if named or not focus:
        return False
    text = _DUMMY_IT.sub(" ", normalise(question))
    if _ANAPHORA.search(text) or detail_kind(text):
        return True
    return not f.any_filter and len(text.split()) <= 8 and not _BACK.search(text)


def asks_focus_by_likeness(question: str, kind: str | None, named: Sequence[Section], focus: Section | None) -> bool:
    """"is this what an osteopath does?" after a move: the professionals named are the likeness, and the detail is
    asked of the move in focus (one that gives it), pointed back at."""
    return bool(kind and focus is not None and not focus.professional_only and kind in focus.details
                and all(s.professional_only for s in named) and _PRONOUN.search(normalise(question)))


def describes_a_move(question: str) -> bool:
    """Whether the question describes one move by what is done in it ("the one where you sit on your heels…")."""
    return bool(_DESCRIBES_ONE.search(normalise(question)))


def asks_for_move(question: str) -> bool:
    return bool(_MOVE_REQUEST.search(normalise(question)))


# "how does the hug from the front work?": how a move goes, asked of the move itself
_HOW_IT_GOES = re.compile(r"\bhow (does|do|is) (the|that|this|a) [^?.!]{0,40}\b(work|go|done)\b")


def asks_how_to(question: str) -> bool:
    """Whether a question asks how a move is done ("how do I…", "walk me through…", "how does the X work")."""
    text = normalise(question)
    return bool(_HOW_REQUEST.search(text) or _HOW_IT_GOES.search(text))


def detail_kind(question: str) -> str | None:
    return read_detail_kind(normalise(question))


def compared(text: str, f: Facets, focus: tuple[str, ...], ranked: list[str], library: Library,
             fill: bool = True) -> tuple[str, ...]:
    """The methods a comparison weighs: those it names, then a variant of the one it names that it tells apart by
    the variant's marks ("the hands-behind-head arch and the version where you press on your back with your
    hand"), then one per kind of motion it names (the best-ranked of that motion), else (with `fill`) one fitting
    the posture asked for, then the methods in focus."""
    pool = list(f.named)
    if len(pool) == 1:  # marks said outside the named move's own name ("hands behind my head" is no hand pressure)
        rest = without_names(text, library.section(pool[0]))
        pool += [s.id for s in library.sections if s.refines == pool[0] and any_phrase(rest, s.marks)][:1]
    said = [m for m, words in MOTIONS.items() if any_phrase(text, words)]
    for motion in said:
        if not any(library.section(s).tags.motion == motion for s in pool):
            of_motion = [s for s in ranked if library.section(s).tags.motion == motion and s not in pool
                         and not library.section(s).professional_only]
            # "which of the twists is less risky?" weighs them all; "twisting vs bending backwards, which one's less
            # likely to hurt?" one of each kind
            every = (_BOTH.search(text) or _WHICH_LESS.search(text)) and len(said) == 1
            pool += of_motion if every else of_motion[:1]
    if len(pool) == 1 and _OTHERS.search(text):
        # "is the chair better than the other twists?": the others of its own motion, the one the article compares
        # it with first
        own = library.section(pool[0])
        if any_phrase(text, MOTIONS.get(own.tags.motion, ())):
            others = [s for s in ranked if s != own.id and library.section(s).tags.motion == own.tags.motion
                      and not library.section(s).professional_only]
            others.sort(key=lambda s: not library.comparisons_of(own, library.section(s)))
            pool += others[:1]
    if not fill:
        return tuple(pool)
    if len(pool) < 2 and f.positions:  # "twisting sat down or swinging my arms standing": the posture tells them apart
        fits = [s for s in ranked if s not in pool and f.admits(library.section(s))]
        if not fits and pool:
            # "is twisting in a chair better than twisting standing up?": a posture the named move does not have
            # (the chair is its equipment too, which no standing move has), a move of the same motion first
            named = library.section(pool[0])
            other = f.positions - set(named.tags.position)
            fits = sorted((s for s in ranked if s not in pool and other & set(library.section(s).tags.position)),
                          key=lambda s: library.section(s).tags.motion != named.tags.motion)
        pool += fits[:1]
    if len(pool) < 2:
        pool += [s for s in focus if s not in pool]
    return tuple(pool)


def alternatives_to(focus: tuple[str, ...], f: Facets, library: Library) -> tuple[str, ...]:
    """Methods of the same motion as the one in focus that fit what the follow-up asks (without a chair, on the
    floor...), those of the same posture first; only the best-fitting tier is returned."""
    base = library.section(focus[0])
    pool = [s for s in library.sections if s.id not in focus and not s.professional_only and f.admits(s)]
    same_motion = [s for s in pool if s.tags.motion and s.tags.motion == base.tags.motion]
    same_posture = [s for s in same_motion if s.tags.posture == base.tags.posture]
    best = same_posture or same_motion
    return tuple(s.id for s in best)


def plan(question: str, retrieval: Retrieval, library: Library, history: Sequence[Reply], top_k: int) -> Plan:
    text = normalise(question)
    f = retrieval.facets  # read from the same question by the retriever
    named = _beyond_places(f.named, text, library)
    focus, last_intent = last_focus(history)
    # "3" after a numbered list of methods (or the options of a clarifying reply): that item
    if not named and focus and last_intent in ("which", "clarify", "compare") and (
            picked := _picked(text, len(focus))):
        # the detail this one asks ("how long do I hold the third one?"), else the one the clarifying reply was for
        kind = detail_kind(question) or (detail_kind(history[-1].question) if last_intent == "clarify" and history
                                         else None)
        if not kind and _SAFETY.search(_DENIED.sub(" ", text)):
            # "is the second one safe?" after two moves were weighed: that one's risks
            return Plan("safety", (focus[picked - 1],), f, followup=True)
        return Plan("detail" if kind else "howto", (focus[picked - 1],), f, kind, followup=True)
    # "the chair one" after "which of these do you mean?" for how long to hold it: that detail of the one picked
    if last_intent == "clarify" and history and not detail_kind(question) and len(question.split()) <= 6:
        chosen = named or tuple(s.id for s in library.sections if f.any_filter and f.admits(s)
                                and not s.professional_only)  # "the chair one": the one move with a chair
        kind = detail_kind(history[-1].question)
        if kind and len(chosen) == 1:
            return Plan("detail", chosen, f, kind, followup=True)
    if named and focus and _PRONOUN.search(text) and all(named_only_as_a_place(library.section(sid), text)
                                                           for sid in named):
        # "can I do it on my bed instead?" after the knee lever: the bed is a place for it, not the bed-edge move
        named = ()
    if not named and f.any_filter and history and _THE_KIND_ONE.search(text):
        # "back to the chair one - what kind of chair?": the one move of the conversation so far that fits, named
        earlier = dict.fromkeys(sid for reply in reversed(history) for sid in reply.focus)
        fit = [sid for sid in earlier if f.admits(library.section(sid))]
        if len(fit) == 1:
            named = (fit[0],)
    followup = is_followup(question, named, f, focus)
    if not named and last_intent in ("which", "clarify", "compare") and (
            kept := _kind_picked(text, f, focus, library)):
        # "how do I do the twisting one?" after a list: the listed moves of that kind; one is answered, several are
        # asked about
        kind = detail_kind(question)
        if len(kept) == 1:
            return Plan("detail" if kind else "howto", kept, f, kind, followup=True)
        return Plan("clarify", kept[:top_k], f, kind, followup=True)
    if not named and len(focus) == 1 and _VERSION.search(text) and (
            variant := _variant_meant(text, library.section(focus[0]), library, least=1)):
        # "and the version with my hand?" after the standing arch: its variant, told apart by one of its marks
        kind = detail_kind(question)
        return Plan("detail" if kind else "howto", (variant,), f, kind, followup=True)
    if not named and focus and _WHAT_ABOUT.search(text) and _THE_KIND_ONE.search(text) and not _WHICH.search(text):
        # "what about the hug one?" after another move: the moves of that kind, one answered, several asked about
        kinds = {m for m, words in MOTIONS.items() if any_phrase(text, words)}
        kept = tuple(s.id for s in library.sections if s.tags.motion in kinds and s.id not in focus
                     and not s.professional_only)
        if len(kept) == 1:
            return Plan("howto", kept, f, followup=True)
        if kept:
            return Plan("clarify", kept[:top_k], f, detail_kind(question), followup=True)
    methods = [h.section.id for h in retrieval.sections if not library.is_general(h.section.id)]
    # "a floor stretch that doesn't involve twisting": no move of a motion asked to be left out
    denied = denied_motions(text)
    methods = [sid for sid in methods if library.section(sid).tags.motion not in denied] or methods
    told = retrieval.described if retrieval.described and (
        library.section(retrieval.described).tags.motion not in denied) and not (
        f.partner is False and library.section(retrieval.described).tags.partner) else None  # a move described
    # (not one of a motion left out, nor one needing a partner when there is none: "if I don't have a partner to hug me")
    top = methods[:1]
    target: tuple[str, ...] = named[:1] if named else focus[:1] if followup else tuple(top)
    asked = facets(asking_part(text), library.sections) if len(named) == 1 and (f.equipment or f.positions) else None
    if asked is not None and (asked.equipment or asked.positions) and not asked.admits(library.section(named[0])):
        # a name two moves share the sense of ("the seated twist" said with a chair): the one of the same motion and
        # posture that fits what else was said ("what kind of chair for the seated twist?" is the chair rotation)
        meant = library.section(named[0])
        twins = [s.id for s in library.sections if s.id != meant.id and s.tags.motion == meant.tags.motion
                 and s.tags.posture == meant.tags.posture and asked.admits(s)]
        if len(twins) == 1:
            named = (twins[0],)
            target = named
    if len(named) == 1 and (variant := _variant_meant(text, library.section(named[0]), library)):
        # "the standing extension with your hand pushing on your back": the move named, told apart as its variant
        named = (variant,)
        target = named
    asked_detail = detail_kind(question)
    if of_named(asked_detail) and not (named or followup) and not (f.any_filter and len(
            [s for s in methods if f.admits(library.section(s)) and asked_detail in library.section(s).details]) == 1):
        # "how come chiropractors can do that big crack?": a reason no one method gives; "why bother with a chair?"
        # asks it of the one method a chair fits
        asked_detail = None
    if named and asks_focus_by_likeness(text, asked_detail, [library.section(s) for s in named],
                                        library.section(focus[0]) if focus else None):
        named, followup, target = (), True, focus[:1]
    # "which way do I look?", "which side first?" ask a detail of one move, not which move
    # ...and "what's the stretch where you lie on your back and hug your knees?" names one move by describing it
    which_move = bool(_WHICH.search(text)) and asked_detail not in _WHICH_WAY and not _WHAT_THE_ONE.search(text)
    if asked_detail and len(named) > 1:
        # two named and one detail asked: the one that gives it ("the standing lean back where you push on your
        # spine: which hand?"), when only one does
        giving = [sid for sid in named if asked_detail in library.section(sid).details]
        # "is the knee lever the same position a chiropractor puts you in?": the move, not the professionals' own
        giving = [sid for sid in giving if not library.section(sid).professional_only] or giving
        if len(giving) == 1:
            named = (giving[0], *(sid for sid in named if sid != giving[0]))
            target = named[:1]
    if by_term(asked_detail):
        # "what's the thoracic spine?": the method whose defining sentence holds the word, whatever is in focus
        assert asked_detail is not None
        ranked = [h.section for h in retrieval.sections] + list(library.sections)
        # ...not a word of a move's own name ("what's the floor twist?" asks what the move is)
        defining = giving_term(without_any_names(text, (library.section(sid) for sid in named)), asked_detail, ranked)
        if defining:
            return Plan("detail", (defining,), f, asked_detail)
        asked_detail = None  # no sentence of the article defines it: read as any other question

    other_move = told and library.section(told).tags.motion != "flexion"
    # ...and "what helps?" for a back with nothing else asked ("pulled my back lifting weights, what helps"): not the
    # best-ranked move by a word of the story (lifting: the hug where someone lifts you)
    helps = (bool(_WHAT_HELPS.search(asking_part(text))) or not _ASKS_ANYTHING.search(text)) \
        and not f.any_filter and not named and not (focus and _THE_KIND_ONE.search(text))  # "the floor one"
    motions = {m for m, words in MOTIONS.items() if any_phrase(text, words)} - denied  # the kinds of motion it names
    just_a_stretch = ((bool(_JUST_A_STRETCH.search(text)) or helps) and not _CRACK_WORDS.search(text)
                      and not f.equipment and not motions - {"flexion"})
    crack_needed = bool(_STRETCH_NOT_CRACK.search(text))  # "do I need to hear a crack?"
    # ...a follow-up too when it asks which move ("which of the stretches won't make it crack?" after a list)
    # ...a lay description lifting a twist or an arch does not outweigh a stretch asked for without the crack ("how do
    # I stretch my back without cracking it?" reads near the standing arch)
    if not (named or (other_move and not crack_needed)) and (crack_needed or just_a_stretch) \
            and (not followup or which_move or last_intent in ("which", "clarify")) \
            and not _COMPARE_TWO.search(text):
        # the gentlest moves (those that bend the spine forward, without twisting or arching) that fit what is asked
        # ...among the moves just listed, when it follows a list ("how do I crack my mid back" then "which one is
        # easiest?")
        listed = list(focus) if last_intent in ("which", "clarify") and not named else methods
        gentle = [sid for sid in listed if library.section(sid).tags.motion == "flexion"] or [
            sid for sid in methods if library.section(sid).tags.motion == "flexion"]
        fitting = [sid for sid in gentle if f.admits(library.section(sid))]
        if not fitting and (f.positions - {"chair"} or f.without):
            # no forward bend fits where the asker is ("a quick standing stretch between cases"): the moves that do
            # (not a desk or an office, which says where the back got stiff more often than where to stretch it)
            fitting = [sid for sid in methods if f.admits(library.section(sid))
                       and not library.section(sid).professional_only]
        fitting = fitting or gentle
        # a stretch asked for gets one, with its steps and warnings ("another one?" then gives the next)
        return Plan("safety", tuple(fitting[:1] if just_a_stretch and not crack_needed
                                    else fitting), f, "stretch_not_crack")
    if len(focus) == 2 and not named and _THE_OTHER.search(text) and last_intent == "howto":
        # two methods in play and the first answered: "and the other one?" is the second
        return Plan("howto", focus[1:], f, followup=True)
    if focus and not named and not f.positions and any_phrase(text, FLOOR) and (
            _WHAT_ABOUT.search(text) or _THE_KIND_ONE.search(text) and len(text.split()) <= 5):
        # "what about on the floor?" after the chair twist: the move of the same kind done down on the floor
        alternatives = alternatives_to(focus, replace(f, positions=FLOOR_POSITIONS), library)
        # ...the one named for the floor where several are done down there ("and on the floor?" after the standing
        # twist: the seated floor rotation, not also the knee lever)
        by_name = [sid for sid in alternatives if any(any_phrase(n.lower(), FLOOR) for n in
                                                      (library.section(sid).title, *library.section(sid).aliases))]
        if len(alternatives) == 1 or len(by_name) == 1:
            return Plan("howto", tuple(by_name[:1] or alternatives), f, followup=True)
    if (len(focus) == 1 and not named and f.regions and _WHAT_ABOUT.search(text) and last_intent != "which"
            and names_regions(library.section(focus[0]).text, f.regions)):
        # "what about my lower back?" after the foam roller: the same move for that part of the back, whose sentences
        # speak of it ("Never lie with your low back flat on a foam roller…"); after a move that never names that
        # part, the moves for it
        return Plan("howto", focus, f, followup=True)
    # (no one to help, after a move that needs someone, is doing without that someone)
    alone_now = f.partner is False and bool(focus) and library.section(focus[0]).tags.partner
    if focus and not named and (f.without or alone_now or _ANOTHER.search(text) and not asked_detail):
        # "another one" is a different method, unless a detail is asked ("how soon can I get another one?")
        alternatives = alternatives_to(focus, f, library)
        if alone_now and not alternatives:
            # "what can I do on my own instead?" after the hugs, which no move without a partner shares the motion of:
            # the moves that fit without one
            alone = tuple(sid for sid in methods if sid not in focus and not library.section(sid).professional_only
                          and f.admits(library.section(sid)))
            if alone:
                return Plan("which", alone, f, followup=True)
        if len(alternatives) == 1:
            return Plan("howto", alternatives, f, followup=True)
        if len(alternatives) > 1:
            return Plan("clarify", alternatives[:top_k], f, asked_detail, followup=True)
    if followup and len(focus) > 1 and (asked_detail or _PRONOUN.search(_DUMMY_IT.sub(" ", text))):
        # "how long do I hold it?" after a list of methods: which one is meant is asked, not guessed; unless only
        # one of them gives that detail ("which hand?" after both standing arches)
        kind = asked_detail
        giving = [sid for sid in focus if kind and kind in library.section(sid).details]
        if len(giving) == 1:
            return Plan("detail", (giving[0],), f, kind, followup=True)
        return Plan("clarify", focus[:top_k], f, kind, followup=True)
    if (not (named or focus or told or f.any_filter) and asked_detail
            and _BARE_DETAIL.match(text)):
        # "how long do I hold it?" with nothing before it: which move is asked, among those that give that detail,
        # not the best-ranked one picked in silence
        giving = [sid for sid in methods if asked_detail in library.section(sid).details]
        if len(giving) > 1:
            return Plan("clarify", tuple(giving[:top_k]), f, asked_detail)

    if _COMPARE.search(text) or len(named) > 1 and re.search(r"\bor\b", text) and _FOR_AN_AIM.search(text):
        # "is the knee hug better first thing or before bed?" asks a detail of the one method it names: neither a
        # posture nor the method in focus makes a second party to it; a motion it names does ("does leaning back
        # stretch the muscles as much as the knee hug?")
        one_detail = bool(asked_detail) and len(named) == 1
        pool = compared(text, f, focus if followup else (), methods, library, fill=not one_detail)
        if len(pool) > 1:  # "how long do you hold X vs Y?" compares that detail
            detail = asked_detail if len(named) > 1 and _QUANTITY.search(text) else None
            pair = [library.section(s) for s in pool[:2]]
            if detail is None and f.regions and not library.comparisons_of(*pair):
                detail = "where"  # "bed edge or foam roller for my mid back?": where each one acts, as the article says
            return Plan("compare", _as_said(pool[:3], text, library), f, detail)

    if _WHAT_ABOUT.search(text) and named and last_intent in ("safety", "detail", "howto"):
        intent: Intent = "safety" if last_intent == "safety" else "howto"
        if last_intent == "detail":
            kind = detail_kind(history[-1].question) if history else None
            if kind:
                return Plan("detail", named[:1], f, kind, followup=True)
        return Plan(intent, named[:1], f, followup=True)

    # a move the question describes closely (the describer lifted it), not named, not a follow-up, not a list
    described = told if not (named or followup or which_move) else None
    # "is it ok to rock a bit in the knee hug?", "is concrete ok to lie on for it?": a detail the one method in
    # question gives is that detail (its warnings travel with it), whatever safety word asks it
    one = named[:1] if len(named) == 1 else focus[:1] if followup and not named else (described,) if described else ()
    if not (one or named or followup) and asked_detail:  # "why won't it crack again? is it broken?": the one method
        giving_one = [s.id for s in library.sections if asked_detail in s.details]  # whose sentence gives it
        one = tuple(giving_one) if len(giving_one) == 1 else ()
    gives_it = bool(asked_detail and one and asked_detail in library.section(one[0]).details
                    and asked_detail in detail_kinds_asked(questions_asked(text)))
    # "is the standing twist ok? how do I do it?": the steps, with every warning they carry, answer both
    how_and_safe = len(named) == 1 and bool(_DO_IT.search(text) or _HOW_ALONE.search(text))
    # a risk word in the story before a request for the steps is the story's ("dropped a tin on my foot, just a
    # bruise. can you talk me through the standing twist?"); anywhere else it asks about the risk
    asking = questions_asked(text)
    story_risk = asking != text and not _SAFETY.search(asking) and (
        asks_how_to(asking) or detail_kind(asking) is not None
        or len(named) == 1 and bool(_WHATS_THE.search(asking)))  # "…not falling over haha. whats the floor twist?"
    asks_if_safe = _SAFETY.search(_DENIED.sub(" ", text)) or followup and not named and _IS_IT_OK.search(text)
    if asks_if_safe and not story_risk and not (asked_detail and _QUANTITY.search(text)) and not gives_it \
            and not how_and_safe:
        # "how many times a day is it ok to do it?" asks a quantity, whatever else it says
        if len(named) > 1:
            return Plan("compare", named[:3], f)
        if named or followup:
            return Plan("safety", target, f, followup=followup)
        if described:  # "when I do the standing lean back I throw my head back, is that bad?"
            return Plan("safety", (described,), f)
        return Plan("safety", (), f)  # about back cracking in general: the article-wide cautions
    if (described or len(named) == 1) and _DO_IT.search(text) and not f.regions:
        # "how do I do that kneeling thing where you stretch your arms out": the steps, not the arms detail
        return Plan("howto", (described or named[0],), f)
    kind = asked_detail
    if kind and not (named or followup or described) and f.any_filter and not which_move:
        # "did the kneeling one for a week and not a single crack": the only method that fits is the one meant
        fitting = [sid for sid in methods if f.admits(library.section(sid))]
        # ...or, of the two best-ranked, the only one that gives the detail ("…the one where you reach behind and
        # push on your back. Which hand should I use?")
        giving = [sid for sid in fitting[:2] if kind in library.section(sid).details]
        described = fitting[0] if len(fitting) == 1 else giving[0] if len(giving) == 1 else None
    if kind and (named or followup or described or not (f.any_filter or which_move)):
        if described:
            target = (described,)
        elif not named and not followup:  # "why won't it crack again?": the method whose sentence gives that detail
            giving = [sid for sid in methods if kind in library.section(sid).details]
            # ...asked of a kind of motion ("what part does twisting crack?"): the article's first method of that
            # motion that gives it, where the article introduces the motion ("Rotation of the spine can crack…")
            # (not over a variant the question tells apart by its marks: "pushing on my back with my hand")
            marked = bool(giving) and any_phrase(text, library.section(giving[0]).marks)
            if len(motions) == 1 and not marked:
                first = [s.id for s in library.sections if s.tags.motion in motions and kind in s.details
                         and not s.professional_only]
                giving = first[:1] + giving
            target = tuple(giving[:1]) or target
        also = tuple(k for k in detail_kinds_asked(text) if k != kind and not by_term(k))
        return Plan("detail", target, f, kind, followup=followup, also=also)
    describes_one = bool(_DESCRIBES_ONE.search(text)) and not which_move
    # "how do I twist my upper body while standing?": a request for the steps of a move it describes, which a
    # compact list of methods would not answer; a region ("how do I stretch my mid back?") still gets the list
    describes_one = describes_one or (bool(_HOW_REQUEST.search(text)) and not which_move and (
        not f.regions or described is not None and f.admits(library.section(described))))
    # "how do I do the twist on the floor?" asks for one move even where a region is mentioned too
    describes_one = describes_one or (bool(_DO_IT.search(text)) and not which_move)
    # (and only where it fits what else the asking sentence asks: "lower half of my spine, something I can do
    # sitting?" is no foam roller described; "back's just tight from sitting" is a story)
    if described and replace(facets(asking_part(text), library.sections), regions=frozenset()).admits(
            library.section(described)) and (
            not f.regions or describes_one and f.admits(library.section(described))):
        # "lying flat, one knee up, then tugging it across: the steps?"; a region said while describing the one move
        # it fits ("there's one that cracks your hips and low back lying down, using your knee as a lever?") too
        return Plan("howto", (described,), f)
    if describes_one and not named and not followup:
        fitting = [sid for sid in methods if f.admits(library.section(sid))] or methods
        # "steps for bending backward + pressing my fist into my back": the variant its marks tell apart
        variant = _variant_meant(text, library.section(fitting[0]), library)
        return Plan("howto", (variant,) if variant else tuple(fitting[:1]), f)
    if not named and not followup and (f.any_filter or which_move or not top
                                       or retrieval.sections and library.is_general(retrieval.sections[0].section.id)):
        # the professional-only technique is never offered as an option to try
        # "what are all the moves?": every one of them, not the ten best-ranked
        every = [s.id for s in library.sections] if _EVERY.search(text) else methods
        admitted = [sid for sid in every if f.admits(library.section(sid)) and not library.section(sid).professional_only]
        if f.regions:  # methods whose main region (listed first in the sidecar) was asked for come first
            admitted.sort(key=lambda sid: library.section(sid).tags.region[:1][0] not in f.regions)
        # "what are the twisting ones?": a motion asked for keeps the methods of that motion
        admitted = [sid for sid in admitted if library.section(sid).tags.motion in motions] or admitted
        # "which one cracks the lower back best?": not a move the article says may not crack at all
        if _CRACK_ASKED.search(text) and not _STRETCH_NOT_CRACK.search(text):
            admitted = [sid for sid in admitted if "no_crack" not in library.section(sid).details] or admitted
        # a variant listed beside the move it refines, told apart by none of its marks, is that move's to answer
        # ("how do I bend backwards standing up…": the plain standing arch, not also the one with hand pressure)
        # (only where that leaves one move: a request for its steps; a list of options keeps both)
        plain = [sid for sid in admitted if not (library.section(sid).refines in admitted
                                                 and not any_phrase(text, library.section(sid).marks))]
        if len(plain) == 1 and _HOW_REQUEST.search(text) and not which_move:
            admitted = plain
        offered = [sid for sid in methods if not library.section(sid).professional_only]
        return Plan("which", tuple(admitted or offered[:top_k]), f, matched=bool(admitted))
    if not followup and len(mentioned := _mentioned(named, told)) > 1:
        # "I do the kneeling one and the standing arch": the first is answered, both stay in play for what follows
        return Plan("howto", mentioned[:top_k], f)
    return Plan("howto", target, f, followup=followup)


_PICK = re.compile(r"^\s*(?:(?:no\.?|number|num|option|item|#)\s*)?(\d{1,2})(?:st|nd|rd|th)?(?: one)?\s*[.)!?]*\s*(?:pls|please)?\s*$|"
                   r"^\s*(?:the )?(first|second|third|fourth|fifth|sixth|seventh)(?: one)?\s*[.!?]*\s*(?:pls|please)?\s*$")
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7}


# ...or said inside a short request ("tell me about number 3", "how do I do the third one?")
_PICK_IN = re.compile(r"\b(?:number|num|no\.|option|item|#) ?(\d{1,2})\b|"
                      r"\bthe (first|second|third|fourth|fifth|sixth|seventh)(?: one| method| move| stretch)\b")


def _picked(text: str, count: int) -> int | None:
    """The item a number or ordinal picks from a list of `count` ("3", "number 2", "the second one", "tell me about
    number 3"); not one said while weighing two ("is the first one safer than the second one?")."""
    m = _PICK.match(text) or (_PICK_IN.search(text) if len(text.split()) <= 10 and not _COMPARE.search(text)
                              else None)
    if m is None:
        return None
    n = int(m.group(1)) if m.group(1) else _ORDINALS[m.group(2)]
    return n if 1 <= n <= count else None


# "the twisting one", "the one on the floor": a move of the list picked by its kind, not a list asked for
_THE_KIND_ONE = re.compile(r"\bthe (\w+ ){1,3}(one|ones|move|stretch|version)\b|\bthe (one|ones) (on|in|with|for|where)\b")


def _kind_picked(text: str, f: Facets, focus: tuple[str, ...], library: Library) -> tuple[str, ...]:
    """The listed methods ("the twisting one" after a list) of the motion or the facets the follow-up names, when
    that keeps some of the list and not all of it; () when it picks none."""
    if len(focus) < 2 or not _THE_KIND_ONE.search(text) or _WHICH.search(text) or _COMPARE.search(text):
        return ()
    motions = {m for m, words in MOTIONS.items() if any_phrase(text, words)}
    if not f.positions and any_phrase(text, FLOOR):  # "the one on the floor": any move done down on the floor
        f = replace(f, positions=FLOOR_POSITIONS)
    if not (motions or f.any_filter):
        return ()
    kept = tuple(sid for sid in focus if f.admits(library.section(sid))
                 and (not motions or library.section(sid).tags.motion in motions))
    return kept if 0 < len(kept) < len(focus) else ()


def _variant_meant(text: str, named: Section, library: Library, least: int = 2) -> str | None:
    """The one variant of the named move that the question tells apart by two or more of its marks said outside the
    named move's own names ("standing extension with your hand pushing on your back"); one mark is not enough ("how
    far do I push my head back in the standing extension?" is the move itself) unless a version is asked for."""
    rest = without_names(text, named)
    told = [s.id for s in library.sections if s.refines == named.id
            and sum(any_phrase(rest, (mark,)) for mark in s.marks) >= least]
    return told[0] if len(told) == 1 else None


def _as_said(pool: tuple[str, ...], text: str, library: Library) -> tuple[str, ...]:
    """The methods weighed, those the question names in the order it names them ("compare the front hug and the
    back hug", then "the second one" is the back hug); the others after them, as they were."""
    def said_at(sid: str) -> int:
        s = library.section(sid)
        spots = [m.start() for name in (s.title, *s.aliases)
                 if (m := re.search(rf"\b{re.escape(name.lower())}\b", text))]
        return min(spots) if spots else len(text) + 1

    return tuple(sorted(pool, key=said_at))


def _beyond_places(named: tuple[str, ...], text: str, library: Library) -> tuple[str, ...]:
    """The methods named, less one named only by a place another named move is done in ("the knee to chest on my
    bed instead of the floor" asks about the knee hug; "my bed" names the bed-edge extension only as a place)."""
    if len(named) < 2:
        return named

    kept = tuple(sid for sid in named if not named_only_as_a_place(library.section(sid), text))
    # the professionals named only as a likeness of a move the question describes ("pull one knee across your body,
    # like at the chiropractor"): the move, not the professionals' own technique
    kept = tuple(sid for sid in kept if not (library.section(sid).professional_only
                                             and _LIKENESS.search(text))) or kept
    # a name said only right after another move's name describes that move ("the knee lever twist on the floor" is
    # the knee lever, not also the seated floor twist)
    kept = tuple(sid for sid in kept if not any(_describes_the_one_before(library.section(other),
                                                                          library.section(sid), text)
                                                for other in kept if other != sid)) or kept
    return kept if kept else named


_LIKENESS = re.compile(r"\b(like|similar to|same as|the way)\b( \w+){0,3} (chiropractor|chiro|osteopath|osteo|physio)s?\b")


def _describes_the_one_before(before: Section, after: Section, text: str) -> bool:
    """Whether every mention of `after` by one of its names comes straight after a name of `before`."""
    def names(s: Section) -> list[str]:
        return [re.escape(n.lower()) for n in (s.title, *s.aliases) if n]

    mentions = [m.start() for n in names(after) for m in re.finditer(rf"\b{n}\b", text)]
    ends = {m.end() for n in names(before) for m in re.finditer(rf"\b{n}\b", text)}
    return bool(mentions) and all(any(0 < start - end <= 1 for end in ends) for start in mentions)


def _mentioned(named: tuple[str, ...], described: str | None) -> tuple[str, ...]:
    """The methods a question names, and the one it describes (found by the describer) if that is another."""
    return named + ((described,) if described and described not in named else ())
