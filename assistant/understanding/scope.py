"""Whether the article answers a question: the one place scope is decided.

Asks the article cannot answer (changing the assistant's instructions, medication, what to buy, trivia…) and
questions about other joints are out of scope; greetings and thanks are social turns; `decide_scope` decides.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..records import Reply
from .conversation import last_focus
from .details import by_term, detail_kind, giving_term, keeps_in_scope
from .intent import asks_focus_by_likeness, asks_for_move, asks_how_to, describes_a_move
from .lexicon import (
    CRACKING,
    EQUIPMENT,
    POSITIONS,
    REGIONS,
    SPINE,
    any_phrase,
    asking_part,
    named_only_as_a_place,
    named_sections,
    normalise,
    questions_asked,
    strip_phrases,
    without_any_names,
)
from .retrieval import Retrieval
from .router import Router

if TYPE_CHECKING:
    from ..knowledge.library import Library
    from ..records import Section

# Words that put a question on the article's ground (a back, a stretch, a named kind of move).
_DOMAIN = re.compile(rf"\b(back|{SPINE}|{CRACKING}|stretch\w*|posture|muscles?|tension|tight\w*|stiff\w*|pose|hug|"
                     r"roller|chiropract\w*|osteopath\w*|methods?|moves?|exercises?|techniques?|twist\w*|rotat\w*|"
                     r"arch\w*|extension)\b")

@dataclass(frozen=True)
class ScopeKind:
    """One thing the article never answers (lexicon/scope.yaml): a reason and the patterns that ask it."""

    reason: str
    patterns: tuple[re.Pattern, ...]
    topic: bool  # a subject: refused only when the asking sentence names none of the article's methods
    should_match: tuple[str, ...] = ()
    should_not_match: tuple[str, ...] = ()
    anywhere: bool = False  # an ask read in the whole message (a changed instruction), not only where it asks

    def asked(self, text: str) -> re.Match | None:
        return next((m for rx in self.patterns if (m := rx.search(text))), None)


@cache
def scope_kinds(folder: str | None = None) -> tuple[ScopeKind, ...]:
    import yaml

    from ..errors import SettingsError
    from ..settings import SHIPPED
    from ..yamlfile import safe_load

    path = Path(folder or SHIPPED / "lexicon") / "scope.yaml"
    try:
        data = safe_load(path.read_text(encoding="utf-8")) or {}
        return tuple(ScopeKind(reason, tuple(re.compile(p) for p in raw["patterns"]), group == "topics",
                               tuple(raw.get("should_match") or ()), tuple(raw.get("should_not_match") or ()),
                               bool(raw.get("anywhere", False)))
                     for group in ("asks", "topics") for reason, raw in (data.get(group) or {}).items())
    except (OSError, yaml.YAMLError, KeyError, TypeError, re.error) as exc:
        raise SettingsError(f"cannot read {path}: {str(exc).splitlines()[0]}") from None


# "back" as a body part ("my back", "lower back"), not as in "pop it back in place"
_BACK_WORDS = re.compile(r"\b(my|your|the|lower|upper|mid|middle|low|whole|entire|his|her|and|or)[- ]back\b|"
                         r"\bback (pain|muscles?|aches?|is|hurts?|feels)\b|\bbacks\b|"
                         rf"\b({SPINE})\b")
# Joints the article never uses to describe a move, asked about as the thing to treat.
_OTHER_JOINTS = (r"(neck|knuckles?|fingers?|knees?|ankles?|wrists?|jaw|toes?|elbows?|hamstrings?|calf|calves|quads?|quadriceps|"
                 r"thumbs?|it ?bands?|itb|hip flexors?|glutes?|shoulders?(?! blades?))")
# ...but not a joint said as part of a move ("with your elbows bent", "the knees up to chest one")
_POSED = (r"\b(?! ((pulled|drawn|tucked|hugged|held|brought|bent) )?(bent|up|in|into|together|apart|across|over|"
          r"to (my |your |the )?chest|behind|straight|down|out)\b)")
# region words that are a joint's own name too: a move asked for them alone may be asked for the joint
_JOINT_NAMES = frozenset({"hip", "hips"})
_A_JOINT_IT_NEVER_USES = re.compile(rf"\b{_OTHER_JOINTS}\b")
OTHER_BODY_PARTS = re.compile(
    r"\b(for|help|helps|with|on|in|to|(loosen|reliev|fix|treat|crack|pop|stretch|adjust|click|realign|unlock)\w*) (my|your|the|a|sore|stiff|tight|both)"
    r"( sore| stiff| tight| painful)? " + _OTHER_JOINTS + _POSED +
    # a joint's own complaint treated, said without "my" ("how do I fix shoulder impingement?")
    r"|\b(fix|treat|cure|heal|rehab)\w* " + _OTHER_JOINTS + r" (impingement|tendonitis|tendinitis|bursitis|arthritis|"
    r"osteoarthritis|pain|injury|injuries|sprain|strain|tear)\b" +
    r"|\b(my|the) " + _OTHER_JOINTS + r"\b[^.?!]{0,15}\b(hurts?|aches?|aching|pain|cracks?|pops?|stiff|sore|clicks?)\b")


# "crack my neck like my back": the back named only as the likeness, not as a thing to treat too
_LIKE_THE_BACK = re.compile(r"\b(like|same (way )?as|similar to|the way i do) (i do )?(my|your|the) (lower |upper |mid )?back\b")


_KNEELING = re.compile(r"\bon (my|your|his|her|their|our|all) (knees|fours)\b")


def _joint_of_focus(said: str, focus: tuple[str, ...], library: Library | None) -> bool:
    """Every joint the follow-up asks about is one the move in focus speaks of itself ("is it safe for my neck?"
    after the standing arch, which warns against overextending the neck)."""
    if library is None or not focus:
        return False
    joints = {m.group(0) for m in _A_JOINT_IT_NEVER_USES.finditer(said)}
    own = library.section(focus[0]).text.lower()
    return bool(joints) and all(re.search(rf"\b{re.escape(j)}", own) for j in joints)


def about_other_body_part(text: str) -> bool:
    """A question about another joint, as the thing to treat, that never mentions the back or spine (but as the
    likeness the joint is compared with)."""
    text = _KNEELING.sub(" ", normalise(text))  # "on my knees" is a posture, not a joint to treat
    return bool(OTHER_BODY_PARTS.search(text)) and not _BACK_WORDS.search(_LIKE_THE_BACK.sub(" ", text))


def out_of_scope_reason(question: str) -> tuple[str, str] | None:
    """(reason, matched text) when the question asks for something the article never gives."""
    text = normalise(question)
    asking = questions_asked(text)  # "…that's it for meds. How long do I hold the bed edge one?" asks no medicine
    for kind in scope_kinds():
        if not kind.topic and (m := kind.asked(text if kind.anywhere else asking)):
            return kind.reason, m.group(0)
    return None


def off_topic_reason(question: str, sections: Sequence[Section]) -> str | None:
    """The subject the article never covers that the question is on (posture, pilates…), unless the sentence
    that asks names one of the article's methods."""
    text = normalise(question)
    found = _topic(text)
    if found is None:
        return None
    # "the bed one works your abs too, what other ab exercises should I do?": asked beyond the method it names
    beyond = _beyond(text, found[1])
    asking = asking_part(text)
    if not beyond and _STRETCH_ASKED.search(asking) and (
            _AS_CAUSE.search(text[max(0, found[1].start() - 30):found[1].start()])
            or found[0] == "other_exercise" and asking != text and not _topic(asking)):
        # "back's tight after deadlifts, best stretch?", "hit deadlifts hard yesterday. which stretch?": the other
        # exercise is what made the back tight, not what is asked
        return None
    # ...by a name, not a place it is done in ("how do I fix my posture at my desk?")
    asking = _APART_FROM.sub(" ", asking)
    by_name = [sid for sid in named_sections(asking, list(sections))
               if not named_only_as_a_place(next(s for s in sections if s.id == sid), asking)]
    if not beyond and by_name:
        return None
    return found[0]


_OTHER_THAN_IT = re.compile(r"\b(other|more|different|else)\s*$")
# words that make the topic the cause of a stiff back, said right before it ("tight after deadlifts", "from squats")
_AS_CAUSE = re.compile(r"\b(after|from|since|during|doing|did)\s+(all\s+(the|those|that)\s+|my\s+|the\s+|some\s+|heavy\s+"
                       r"|a\s+)?$")
_STRETCH_ASKED = re.compile(r"\b(stretch\w*|move|moves|exercise|what (helps|can i do|should i do))\b")


def asked_beyond(question: str) -> bool:
    """Whether a topic is asked beyond what the article says ("the bed one works your abs too, what other ab exercises
    should I do?"): refused even where the method named gives a detail of it."""
    text = normalise(question)
    found = _topic(text)
    return found is not None and _beyond(text, found[1])


def _topic(text: str) -> tuple[str, re.Match] | None:
    """The first topic kind the (normalised) question is on, with where its words were found."""
    return next(((k.reason, m) for k in scope_kinds() if k.topic and (m := k.asked(text))), None)


def _beyond(text: str, found: re.Match) -> bool:
    """Whether the topic's words come right after "other", "more" or "else" (asked beyond what a method gives)."""
    return bool(_OTHER_THAN_IT.search(text[max(0, found.start() - 12):found.start()]))


# "apart from child's pose, what other yoga poses…": the method set aside is not the one asked about
_APART_FROM = re.compile(r"\b(apart from|other than|besides|aside from|except( for)?|as well as)\b[^,?.!]*")


# A question asks something: a question mark, a question word or a request.
_ASKS = re.compile(r"\?|^(how|what|which|why|when|where|who|can|could|should|would|will|is|are|do|does|did)\b|"
                   r"\b(tell|show|give|teach) me\b|\bsteps\b")


def _story_not_diagnosis(said: str, asking: str, retrieval: Retrieval, history: Sequence[Reply]) -> bool:
    """A story of symptoms (most of them denied) near the diagnosis route that asks for none: its last sentence
    names a method, or it asks nothing in a conversation about a method (`said`: the question normalised)."""
    if asking != said and named_sections(asking, [h.section for h in retrieval.sections]):
        return True
    return bool(last_focus(history)[0]) and not _ASKS.search(said)


@dataclass(frozen=True)
class Scope:
    """What the article can do with a question: answer it, greet back, or say it is outside (and why)."""

    kind: Literal["article", "social", "out_of_scope"]
    reason: str = ""  # the out-of-scope reason or the social route


def _asking_is_the_articles(asking: str, retrieval: Retrieval, router: Router) -> bool:
    """A story routed off the article ("lost 12kg on purpose with a slimming club…") whose asking sentence names a
    method or asks a detail of the kind the article gives ("my belly gets in the way in child's pose, any tips?", "do I need
    runners for any of these?"), and that sentence on its own routes to the article."""
    if len(asking.split()) < 4:
        return False
    sections = [h.section for h in retrieval.sections]
    named = named_sections(asking, sections)
    if not (named or keeps_in_scope(detail_kind(asking))):
        return False
    decision = router.decide_text(asking, names_method=bool(named))
    return decision.kind == "article" and (bool(named) or decision.score >= router.article_floor)


# a request that points at a move without naming one ("how do I do it?", "how long do I hold that one?")
_NO_MOVE_NAMED = re.compile(r"^\s*(and |so |ok |okay |right |but )?(how|what|when|where|why|can|should)\b[^.?!]{0,25}"
                            r"\b(do|doing|hold|holding|try|trying|repeat|start|use|get into) (it|that|this|them|those|"
                            r"that one|this one)\s*[.?!]*\s*$")


_FILLER = re.compile(r"\b(and|or|a|an|the|my|for|with|without|no|only|just|please|pls|any|some|ones?|moves?|"
                     r"stretch(es)?|something|stuff|thing|things|using|by|on|in|at)\b|[^\w\s]")


def _without_facet_words(text: str) -> str:
    """The text less every word that says a region, a position or equipment."""
    for table in (REGIONS, POSITIONS, EQUIPMENT):
        for phrases in table.values():
            text = strip_phrases(text, tuple(phrases))
    return text


def decide_scope(text: str, retrieval: Retrieval, history: Sequence[Reply], min_relevance: float,
                 router: Router | None = None, library: Library | None = None) -> Scope:
    """The one place scope is decided: the semantic routes first (social turns, asks the article does not
    answer though they share its words), then the article's own ground (its words, a named method, a
    follow-up on the method in focus, or a passage close enough)."""
    # a question that names one of the methods and asks a detail the article gives for it ("what kind of chair for
    # the chair rotation?") is the article's, however close it sits to a shopping question
    said = normalise(text)
    kind = detail_kind(said)
    named = {h.section.id: h.section for h in retrieval.sections if h.section.id in retrieval.facets.named}
    focus = last_focus(history)[0]
    # ...or asks it of the method in focus ("how do I use a foam roller" then "where do I buy one": the article says
    # where, so no topic of its own refuses it)
    gives_it = kind is not None and (any(kind in s.details for s in named.values()) or (
        library is not None and bool(focus) and not named and kind in library.section(focus[0]).details))
    # ...and so does one pointing back at the move in focus ("is this what an osteopath does to you?" after the knee
    # lever), whatever professionals it names as the likeness
    about_a_detail = keeps_in_scope(kind) and (gives_it or asks_focus_by_likeness(
        said, kind, list(named.values()), library.section(focus[0]) if library is not None and focus else None))
    # two of the article's methods named ("I do the kneeling yoga one and the standing lean back") is its ground
    # however near a yoga-class question it sounds
    several = len(retrieval.facets.named) > 1
    # a word the article defines in passing ("what's the thoracic spine?") is its to answer, not trivia
    defines = by_term(kind) and kind is not None and giving_term(said, kind,
                                                                   [h.section for h in retrieval.sections]) is not None
    # a sentence asking for a move for a region is the article's, however far off a story's words pull the whole
    # question's vector ("no numbness, no leg pain, just stiff from a long drive. which one cracks the lower back") or
    # an anatomy word its own ("what move works on the sacroiliac joints?"); the region is read in that sentence
    asking = asking_part(said)
    # a story before the question, that is, not words after it saying what it is about ("how should I set up my
    # desk chair? screen height, lumbar cushion, all that")
    story = asking != said and said.rstrip().endswith(asking.rstrip())
    # (a region named only by a joint, "how do I pop my hip?", is the route's to judge)
    move_for_region = asks_for_move(asking) and any(
        any_phrase(asking, tuple(w for w in words if w not in _JOINT_NAMES)) for words in REGIONS.values())
    # ...and a last sentence asking how a named method goes ("my dad's seeing his GP. For me though, how does the hug
    # from the front work?") is the article's, whatever the story before it sounds like
    how_named = story and asks_how_to(asking) and bool(
        named_sections(asking, [h.section for h in retrieval.sections]))
    # ...as is the steps of a move it describes, one the describer found ("that yoga one where you sit on your heels
    # and walk your hands out on the floor, steps?"), however near a yoga class or a shoe its words sit
    how_described = bool(retrieval.described) and describes_a_move(said) and asks_how_to(asking)
    # A story of symptoms, most of them denied, sits near the diagnosis route whatever it asks; it is not a request
    # for a diagnosis when its last sentence names one of the methods ("no numbness, peeing fine, just a tight upper
    # back. does the standing arch crack between the shoulder blades?"), nor when it asks nothing in a conversation
    # about a method ("is the hug from behind safe for me?" then "no back problems ever, no injuries, just tight")
    # a request made of what it wants alone ("upper back, standing, no equipment"): the article's own filters
    filters_only = retrieval.facets.any_filter and not _FILLER.sub(" ", _without_facet_words(said)).strip()
    sure = False  # near the article's own example questions, whatever passage is nearest
    if router is not None and retrieval.vector is not None and not (about_a_detail or several or defines
                                                                     or move_for_region or how_named or how_described
                                                                     or filters_only):
        decision = router.decide(retrieval.vector, names_method=bool(retrieval.facets.named))
        sure = decision.kind == "article" and decision.score >= router.article_sure
        # a request for moves is no greeting, however short ("which ones need another person to help?")
        # ...nor is what the asker has or lacks, said right after a move ("I don't have anyone to help me though")
        social_move = decision.kind == "social" and (asks_for_move(text) or bool(focus)
                                                     and retrieval.facets.any_filter)
        # a joint the article itself names for a move ("my hip clicked in the knee lever"), asked with that move
        # named, is no other joint: the route is trusted only for one the article never uses
        own_joint = (decision.reason == "other_joint" and bool(named)
                     and not _A_JOINT_IT_NEVER_USES.search(without_any_names(said, named.values()))) or (
            decision.reason == "other_joint" and not named and _joint_of_focus(said, focus, library))
        routed_off = decision.kind != "article" and not social_move and not own_joint and not (
            decision.reason == "diagnosis" and _story_not_diagnosis(said, asking, retrieval, history))
        # near nothing the article answers, and no move asked for
        far_off = (decision.score < router.article_floor and not retrieval.facets.named
                   and not focus and not asks_for_move(text))
        # the asking sentence is routed on its own (one more embedding) at most once, and only for a story sent off
        if (routed_off or far_off) and not (story and _asking_is_the_articles(asking, retrieval, router)):
            if decision.kind == "social":
                return Scope(decision.kind, decision.reason)
            if not (focus or retrieval.facets.named) and _NO_MOVE_NAMED.match(said):
                return Scope("out_of_scope", "which_move")  # "how do I do it?" with nothing before it
            # a topic of scope.yaml names a more exact reason than the route's bare "off topic" ("is yoga better than
            # pilates?"); a route's own reason (another joint, a price) stands
            reason = decision.reason if routed_off else "off_topic"
            if reason == "off_topic":
                reason = off_topic_reason(text, [h.section for h in retrieval.sections]) or reason
            return Scope("out_of_scope", reason)
    # a joint the article never treats, said as the thing asked about ("my knees crack when I squat"), before a topic
    # its words also touch (squats are another exercise)
    if about_other_body_part(text) and not retrieval.facets.named and not _joint_of_focus(said, focus, library):
        return Scope("out_of_scope", "other_joint")
    topic = off_topic_reason(text, [h.section for h in retrieval.sections])
    if topic and (not (about_a_detail or gives_it) or asked_beyond(text)):
        return Scope("out_of_scope", topic)
    if about_a_detail:  # a detail the method named or in focus gives, however long the story before it
        return Scope("article")
    text = said
    if _DOMAIN.search(text) or any(any_phrase(text, words) for words in REGIONS.values()):
        return Scope("article")
    asked = retrieval.facets
    if asked.named or asked.any_filter:  # a named method, or "what can I do by myself / at my desk?"
        return Scope("article")
    if focus and len(text.split()) <= 12:
        return Scope("article")
    # "what should I wear?", "do I need a spotter for any of these?": an ask the article's examples know, put in words
    # no one passage shares
    if retrieval.best_similarity >= min_relevance or sure:
        return Scope("article")
    return Scope("out_of_scope", "which_move" if _NO_MOVE_NAMED.match(text) else "")
