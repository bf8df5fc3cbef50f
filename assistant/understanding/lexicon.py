"""Words people use for body regions, positions, equipment and partners, mapped to the sidecar's tags."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..records import Section

REGIONS: dict[str, tuple[str, ...]] = {
    "thoracic": ("mid back", "mid-back", "midback", "middle back", "middle of my back", "middle of the back",
                 "upper back", "upper-back", "top of my back", "between my shoulder blades",
                 "between the shoulder blades", "shoulder blades", "shoulder blade", "thoracic", "rib cage",
                 "upper half of my back", "upper half of my spine", "top half of my back", "top half of my spine"),
    "lumbar": ("low back", "lower back", "low-back", "lower-back", "lumbar", "lower spine", "bottom of my back",
               "base of my spine", "lower part of my back", "lower part of the back", "small of my back",
               "bottom of my spine", "bottom of the spine", "base of the spine", "just above my bum",
               "above my bum", "above my butt", "lower half of my spine", "lower half of my back",
               "bottom half of my spine", "bottom half of my back", "lower half of the spine",
               "lower half of the back"),
    "sacroiliac": ("sacroiliac", "si joint", "si joints", "hip", "hips", "pelvis", "tailbone"),
    # the spine end to end: the article's foam roller "so that your entire spine is massaged"
    # (not "my whole back", which is often just how much of it is stiff, or one of the options asked about)
    "whole": ("whole spine", "entire spine", "full spine", "whole length of my spine", "top to bottom",
              "all of my spine", "whole of my spine"),
}
# What a region is called in the article, added to a query so both retrievers see the article's words.
REGION_EXPANSION = {"thoracic": "thoracic mid back between the shoulder blades",
                    "lumbar": "lumbar low back lower back", "sacroiliac": "sacroiliac hips low back",
                    "whole": "entire spine"}

POSITIONS: dict[str, tuple[str, ...]] = {
    "lying on back": ("lying down", "lie down", "lying on my back", "lie on my back", "lay on my back",
                      "laying on my back", "flat on my back", "laying down", "lay down", "lying flat", "supine",
                      "on the floor lying", "lying on the floor"),
    "kneeling": ("kneel", "kneeling", "on my knees", "on your knees", "on my heels", "on your heels", "on all fours"),
    "standing": ("standing", "stand up", "standing up", "while i stand", "on my feet", "upright"),
    "sitting on the floor": ("sitting on the floor", "sit on the floor", "seated on the floor", "on the floor sitting"),
    "chair": ("chair", "at my desk", "at a desk", "office", "at work", "desk"),
    "bed": ("bed", "mattress"),
}
SITTING = ("sitting", "seated", "sit down", "while i sit")  # either the floor or a chair

EQUIPMENT: dict[str, tuple[str, ...]] = {
    "foam roller": ("foam roller", "foam rollers", "roller"),
    "chair": ("chair",),
    "bed": ("bed",),
    "none": ("no equipment", "without equipment", "nothing but", "no tools", "without any equipment", "no gear"),
    # something beyond a mat or shoes, whatever it is ("which ones need equipment?")
    "some": ("need equipment", "needs equipment", "need any equipment", "need some equipment", "use equipment",
             "uses equipment", "with equipment", "equipment needed", "need props", "use props", "need any props",
             "need anything extra", "need extra stuff", "need any kit", "need kit"),
}
# What is not equipment to do without: a mat to lie on, shoes (the sidecar's `padded surface`, `runners`)
_NOT_KIT = frozenset({"padded surface", "runners"})
# "I only have a yoga mat", "all I've got is a chair": every other piece of equipment is done without
_ONLY_HAVE = re.compile(r"\b(only|just) (have|got|own)\b|\ball (i|i've|ive) (have|got|own) is\b|\bnothing but\b")
# The spine by name, and what people do to it: the one word set the scope check, the follow-up reading and the
# other-joint check build on.
SPINE = r"spine|spinal|vertebra\w*|lumbar|thoracic|sacroiliac"
CRACKING = r"crack\w*|pop\w*"

# How people name a kind of motion, mapped to the sidecar's `motion` tag (comparisons between kinds of move).
MOTIONS: dict[str, tuple[str, ...]] = {
    "rotation": ("twist", "twists", "twisting", "rotate", "rotating", "rotation", "rotations", "side to side",
                 "side-to-side", "turning", "turn my"),
    "extension": ("arch", "arching", "bend backwards", "bending backwards", "bend backward", "backwards", "backward",
                  "bending back", "bend back", "leaning backwards",
                  "extension", "extensions", "extending", "lean back", "leaning back", "backbend", "backbends"),
    "flexion": ("knees to chest", "knees to my chest", "knee hug", "curl up", "curling up", "fold forward",
                "folding forward", "bend forward", "bending forward"),
    # the hugs as a kind ("the two hug ones"), never bare "hug", which the knee hug shares
    "partner": ("hug ones", "hug one", "hug methods", "hug method", "hugs", "hugging ones", "partner ones",
                "partner methods", "partner moves", "partner stretches", "which hug", "what hug"),
}
WITH_PARTNER = ("someone", "somebody", "another person", "second person", "other person", "a partner",
                "someone else", "helper", "a person", "two of us", "another body", "companion", "two people",
                "with help", "partner stretch", "partner stretches")
# People a move may be done with, or for: a partner only when they do it with the asker ("my wife and I", "can my
# boyfriend lift me"), not when the move is theirs ("my wife's low back gets stiff, what helps her?")
PEOPLE = ("partner", "friend", "spouse", "husband", "wife", "boyfriend", "girlfriend", "my brother", "my sister")
_TOGETHER = re.compile(r"\b(with|together|and i|and me|me and|help\w* (me|us|out)|on me|"
                       r"(lift|hug|squeeze|crack|pop|hold)\w*[ -]me|(crack|pop|do|adjust)\w* my|to me|for me|"
                       r"each other)\b")
ALONE = ("alone", "by myself", "on my own", "by yourself", "on your own", "without help", "without a partner", "solo",
         "no partner", "don't have a partner", "dont have a partner", "do not have a partner", "haven't got a partner",
         "without anyone", "without someone", "nobody", "no one", "no-one", "don't have anyone", "do not have anyone",
         "dont have anyone", "haven't got anyone", "have not got anyone", "no one to help", "nobody to help")


def normalise(text: str) -> str:
    """Lower case, curly quotes straightened, runs of space folded: what phrase matching sees."""
    text = text.lower().replace("’", "'").replace("‘", "'")
    return re.sub(r"\s+", " ", text).strip()


@functools.lru_cache(maxsize=4096)
def _phrase_pattern(phrase: str) -> re.Pattern:
    # a space or a hyphen in a phrase matches either ("hands behind head" finds "the hands-behind-head arch")
    words = (re.escape(w) for w in re.split(r"[\s-]+", phrase))
    return re.compile(r"(?<![a-z])" + r"[\s-]+".join(words) + r"(?![a-z])")


def has_phrase(text: str, phrase: str) -> bool:
    return _phrase_pattern(phrase).search(text) is not None


# a kind of motion said to be left out: "a floor stretch that doesn't involve twisting", "no arching"
_DENYING = r"(?:\bwithout|\bno|\bnot|n't|\bnever|\bavoid\w*|\bnothing)(?:\s+\w+){0,2}?\s+"


def denied_motions(text: str) -> frozenset[str]:
    """The kinds of motion (MOTIONS) the question asks to leave out."""
    return frozenset(m for m, words in MOTIONS.items()
                     if re.search(_DENYING + r"(?:" + "|".join(map(re.escape, words)) + r")\b", text))


def any_phrase(text: str, phrases) -> bool:
    """Whether any of `phrases` occurs as a whole phrase: one search of their alternation (the same answer as
    searching each in turn, which cost a quarter of a warm answer's own time)."""
    return _any_pattern(tuple(phrases)).search(text) is not None


def strip_phrases(text: str, phrases: tuple[str, ...]) -> str:
    """The text less every whole-phrase occurrence of `phrases`."""
    return _any_pattern(tuple(phrases)).sub(" ", text)


@functools.lru_cache(maxsize=1024)
def _any_pattern(phrases: tuple[str, ...]) -> re.Pattern:
    if not phrases:
        return re.compile(r"(?!)")  # matches nothing, as any() of nothing is False
    return re.compile(r"(?<![a-z])(?:" + "|".join(map(re.escape, phrases)) + r")(?![a-z])")


@dataclass(frozen=True)
class Facets:
    """What a question asks for besides a named method: regions, positions, equipment, partner."""

    regions: frozenset[str] = frozenset()
    positions: frozenset[str] = frozenset()
    equipment: frozenset[str] = frozenset()
    partner: bool | None = None
    named: tuple[str, ...] = field(default=())  # section ids whose title or alias the question uses
    without: frozenset[str] = frozenset()  # equipment or positions asked to do without ("and without a chair?")
    all_regions: bool = False  # the regions are wanted together ("hips and low back together"), not any of them

    @property
    def any_filter(self) -> bool:
        return bool(self.regions or self.positions or self.equipment or self.partner is not None or self.without)

    def admits(self, section: Section) -> bool:
        """Whether a method fits every facet the question asked for."""
        tags = section.tags
        if self.without & (set(tags.equipment) | set(tags.position)):
            return False
        if self.regions and not (self.regions <= set(tags.region) if self.all_regions
                                 else self.regions & set(tags.region)):
            return False
        if self.positions and not self.positions & set(tags.position):
            return False
        wanted = self.equipment - {"none", "some"}
        if wanted and not wanted & set(tags.equipment):
            return False
        kit = set(tags.equipment) - _NOT_KIT
        if "none" in self.equipment and kit or "some" in self.equipment and not kit:
            return False
        if self.partner is not None and tags.partner != self.partner:
            return False
        return True


# "without a chair", "no bed", "instead of the floor": a thing to do without, not one asked for
WITHOUT = ("without", "no", "don't have", "do not have", "dont have", "don't own", "haven't got", "havent got",
           "have not got", "havnt got", "aint got", "ain't got", "have no",
           "instead of", "not using", "other than", "not on", "not in", "not with", "rather than", "no access to",
           # what the asker cannot do: "can't kneel", "I can't get down on the floor"
           "can not", "can't", "cant", "cannot", "unable to", "not able to", "can't get down on", "cant get down on",
           "can't get on", "cant get on")
# The floor named as a place not to be: every move done down on it ("can't sit down or lie on the floor")
FLOOR = ("floor", "ground")
_ON_THE_FLOOR = FLOOR + tuple(f"{v} on the {f}" for f in FLOOR for v in (
    "lie", "lying", "lay", "laying", "sit", "sitting", "kneel", "kneeling", "get down", "getting down", "go down",
    "going down", "get", "getting", "go", "going"))  # "without getting on the floor"
FLOOR_POSITIONS = frozenset({"lying on back", "kneeling", "sitting on the floor"})


@functools.lru_cache(maxsize=64)
def _without_pattern(words: tuple[str, ...]) -> re.Pattern:
    negators = "|".join(map(re.escape, WITHOUT))
    phrases = "|".join(map(re.escape, sorted(words, key=len, reverse=True)))
    return re.compile(rf"(?<![a-z])(?:{negators}) (?:a |an |the |my |any )?(?:{phrases})s?(?![a-z])")  # "no chairs"


def without(text: str, tables: tuple[dict[str, tuple[str, ...]], ...]) -> set[str]:
    """Tags the question asks to do without: a WITHOUT word right before one of the tag's phrases."""
    return {tag for table in tables for tag, words in table.items()
            if tag not in ("none", "some") and _without_pattern(tuple(words)).search(text)}


# "can't sit down or lie on the floor": the negation reaches the second of two things said with "or"
_EITHER = re.compile(r"\b(can't|cant|can not|cannot|unable to|not able to|without|no)(?![a-z])([^.?!,]{0,30}) or ")


def _negated_either(text: str) -> str:
    """The text with a negation repeated after "or" when it governs both sides ("can not a or b" → "…or can not b")."""
    return _EITHER.sub(lambda m: f"{m.group(1)}{m.group(2)} or {m.group(1)} ", text)


# what is worn, not a stance: "what should I have on my feet" asks about footwear
_WORN_ON_FEET = re.compile(r"\b(wear|wearing|have|put|need) on my feet\b")


# where the stiffness came from, not where to stretch it: "stiff from sitting at my desk 9 hours", "after a week in bed"
_CAUSE = re.compile(r"\b(from|after)\b(?: [\w']+){0,5}? (?:my |the |a |an |our |his |her )?"
                    r"(desk|chair|office|computer|laptop|sofa|couch|settee|car|bed)\b|"
                    r"\b(out of|into|in and out of) (?:my |the |her |his |their )?(bed|car|chair)\b")


def facets(question: str, sections: list[Section]) -> Facets:
    said = _WORN_ON_FEET.sub(" ", normalise(question))
    regions = {r for r, words in REGIONS.items() if any_phrase(said, words)}
    text = _CAUSE.sub(" ", said)
    denied = _negated_either(text)
    avoid = without(denied, (POSITIONS, EQUIPMENT))
    if _without_pattern(SITTING).search(denied):
        avoid |= {"chair", "sitting on the floor"}
    if _without_pattern(_ON_THE_FLOOR).search(denied):
        avoid |= FLOOR_POSITIONS
    positions = {p for p, words in POSITIONS.items() if any_phrase(text, words)} - avoid
    if any_phrase(text, SITTING) and not positions & {"chair", "sitting on the floor"}:
        positions |= {"chair", "sitting on the floor"} - avoid
    equipment = {e for e, words in EQUIPMENT.items() if any_phrase(text, words)} - avoid
    if "none" in equipment:
        equipment.discard("some")
    if _ONLY_HAVE.search(text):  # "I only have a yoga mat": no chair, bed or roller either
        avoid |= {e for e in EQUIPMENT if e not in ("none", "some") and e not in equipment}
    partner: bool | None = None
    if any_phrase(text, ALONE):
        partner = False
    elif any_phrase(text, WITH_PARTNER) or _with_someone(asking_part(text)):
        partner = True
    # two regions wanted by one move ("what's good for hips and low back together?"), where a method covers both
    together = len(regions) > 1 and bool(_BOTH_REGIONS.search(said)) and any(
        regions <= set(s.tags.region) for s in sections if not s.professional_only)
    return Facets(frozenset(regions), frozenset(positions), frozenset(equipment), partner,
                  named_sections(said, sections), frozenset(avoid), together)


def _with_someone(asking: str) -> bool:
    """A person named with the move in the sentence that asks ("can my boyfriend crack my back?"), not one of the
    story ("my brother has AS, I don't. Is it ok for me to crack my back with the twists?")."""
    return any_phrase(asking, PEOPLE) and bool(_TOGETHER.search(asking))


_BOTH_REGIONS = re.compile(r"\b(together|at the same time|at once|in one go|"
                           r"(does|do|gets?|hits?|works?|covers?|targets?|for) both|"
                           r"both (of them|at once|together|areas|parts|spots|places|regions|bits))\b")


# Whose body a name speaks of does not change the move: "hug my knees", "hug your knees", "hug her knees" are one name.
_POSSESSIVE = re.compile(r"\b(your|her|his|their|our|ur|yer|me)\b")


@functools.lru_cache(maxsize=65536)
def _normalised_name(name: str) -> str:
    return _POSSESSIVE.sub("my", normalise(name))


_SENTENCE = re.compile(r"[^.!?]*(?:[.!?]+|$)")


@functools.lru_cache(maxsize=4096)  # asked of the same question by naming, detail kinds, defining and scope
def asking_part(text: str) -> str:
    """The sentence that asks (the last one holding a question mark, else the last one): a long story's context
    comes first and the question last ("…from my office chair, no other problem. In child pose should I…?")."""
    sentences = [m.group(0).strip() for m in _SENTENCE.finditer(text) if m.group(0).strip(" .!?")]
    if len(sentences) < 2:
        return text
    asking = [x for x in sentences if "?" in x]
    return (asking or sentences)[-1]


def without_names(text: str, section: Section) -> str:
    """The text with the section's title and aliases blanked out (what else it says besides naming the move); a
    name's spaces match hyphens too, as in `named_sections` ("the hands-behind-head arch")."""
    return _any_pattern(tuple(normalise(n).replace("-", " ") for n in (section.title, *section.aliases))).sub(
        " ", text.replace("-", " "))


def without_any_names(text: str, sections: Iterable[Section]) -> str:
    """The text with every one of these sections' titles and aliases blanked out."""
    for section in sections:
        text = without_names(text, section)
    return text


def questions_asked(text: str) -> str:
    """Every sentence holding a question mark, else the asking sentence: what the question asks, less its story."""
    asked = [m.group(0).strip() for m in _SENTENCE.finditer(text) if "?" in m.group(0)]
    return " ".join(asked) if asked else asking_part(text)


def names_regions(text: str, regions: frozenset[str]) -> bool:
    """Whether the text (an article sentence or several) names every one of these parts of the back, by REGIONS'
    phrases."""
    return all(any_phrase(text.lower(), REGIONS[r]) for r in regions)


_PLACE_WORDS = frozenset({"on", "in", "over", "at", "the", "my", "your", "their", "her", "his", "a", "an"})
_PLACES = frozenset({"bed", "mattress", "chair", "floor", "ground", "desk"})


def named_only_as_a_place(s: Section, text: str) -> bool:
    """Whether every name of the method the text says is only a place ("on my bed", "at my desk"): a place a
    question mentions, not the move it asks about."""
    said = [a for a in (s.title.lower(), *s.aliases) if any_phrase(text, (a,))]
    return bool(said) and all(set(a.split()) - _PLACE_WORDS <= _PLACES for a in said)


def named_sections(text: str, sections: list[Section]) -> tuple[str, ...]:
    """Sections the question names by title or alias. Those named in the sentence that asks come first; then a
    variant before the move it varies when both are named (the sidecar's `refines`: "the standing lean back where
    you push on your spine" is the one with hand pressure); then the longest matching name."""
    text = _POSSESSIVE.sub("my", normalise(text))
    asking = asking_part(text)
    best: dict[str, int] = {}
    in_asking: set[str] = set()
    refines: dict[str, str] = {}
    spaced = text.replace("-", " ")  # for the cheap test: a name's spaces also match hyphens
    for s in sections:
        for name in (s.title, *s.aliases):
            n = _normalised_name(name)
            # the substring test first: cheap at 10,000 sections
            if n and n.replace("-", " ") in spaced and has_phrase(text, n):
                best[s.id] = max(best.get(s.id, 0), len(n))
                refines[s.id] = s.refines
                if has_phrase(asking, n):
                    in_asking.add(s.id)
    refined = {r for r in refines.values() if r in best}
    return tuple(sorted(best, key=lambda sid: (sid not in in_asking, sid in refined, -best[sid])))


def expand(question: str) -> str:
    """The question plus the article's own words for the regions it mentions."""
    text = normalise(question)
    extra = [REGION_EXPANSION[r] for r, words in REGIONS.items() if any_phrase(text, words)]
    return question if not extra else f"{question} ({'; '.join(extra)})"
