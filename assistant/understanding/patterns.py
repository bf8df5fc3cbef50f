"""The lexicon's compact pattern notation, compiled to spaCy token patterns, and how casual words are lemmatised.

Hand-written because spaCy's own lookup lemmatizer needs the 98 MB spacy-lookups-data tables and is
case-sensitive, while the few hundred words our patterns use fit in lexicon/lemmas.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# A gap never crosses the end of a sentence or a "but": the clause it joins must be one thought; nor a negation, which
# would join a denied sign to its neighbour ("legs are fine, no numbness" is not "legs ... numb").
_GAP_STOP = [".", "!", "?", ";", "but", "however", "although", "though", "no", "not", "n't", "never", "nor"]
_DEFAULT_GAP = 3
# The widest gap a pattern may hold. spaCy's matcher keeps every partial match a `{0,N}` gap allows, so one wide gap
# at a common first word costs every reading: a single `~24` (2026-12-04) took the reader's p95 from 10 ms to 700 ms
# on the eval questions, the server's resident memory up by 140 MB and 32-client throughput from about 50 to 8/s.
MAX_GAP = 16
_ENDINGS = ("ing", "ed", "es", "s", "ly", "y", "d", "er", "ness")


class PatternError(ValueError):
    """A pattern in the lexicon that cannot be compiled; the message names it."""


def compile_pattern(text: str, sets: dict[str, list[str]]) -> list[dict]:
    """`"@numb ~4 inner thigh"` → spaCy token-pattern dicts (see lexicon/red_flags.yaml for the notation)."""
    tokens: list[dict] = []
    for raw in text.split():
        starts = raw.startswith("^") and len(raw) > 1
        raw = raw[1:] if starts else raw
        optional = raw.endswith("?") and len(raw) > 1 and not raw.startswith("/")
        word = raw[:-1] if optional else raw
        if word.startswith("~"):
            width = int(word[1:]) if word[1:] else _DEFAULT_GAP
            if width > MAX_GAP:
                raise PatternError(f"pattern {text!r}: a gap of {width} words is wider than {MAX_GAP} (slow to match)")
            tokens.append({"LOWER": {"NOT_IN": _GAP_STOP}, "OP": f"{{0,{width}}}"})
            continue
        if word == "#":
            spec: dict = {"LIKE_NUM": True}
        elif word.startswith("/") and word.endswith("/") and len(word) > 2:
            spec = {"LOWER": {"REGEX": f"^(?:{word[1:-1]})$"}}
        else:
            lemmas: list[str] = []
            for alt in word.split("|"):
                if alt.startswith("@"):
                    if alt[1:] not in sets:
                        raise PatternError(f"pattern {text!r}: no word set named {alt[1:]!r}")
                    lemmas += sets[alt[1:]]
                elif alt:
                    lemmas.append(alt)
            if not lemmas:
                raise PatternError(f"pattern {text!r}: empty alternative in {raw!r}")
            spec = {"LEMMA": lemmas[0]} if len(lemmas) == 1 else {"LEMMA": {"IN": lemmas}}
        if starts:
            spec["IS_SENT_START"] = True
        if optional:
            spec["OP"] = "?"
        tokens.append(spec)
    # optional tokens and gaps at the edges would only stretch a match over its neighbours (a cue that swallows
    # the sign it should modify no longer modifies it)
    while tokens and tokens[0].get("OP"):
        tokens.pop(0)
    while tokens and tokens[-1].get("OP"):
        tokens.pop()
    if not tokens:
        raise PatternError(f"pattern {text!r} matches nothing of its own")
    return tokens


def pattern_words(patterns: Iterable[list[dict]]) -> set[str]:
    """Every lemma the compiled patterns ask for: what the lemmatiser tries to reduce a word to."""
    words: set[str] = set()
    for pattern in patterns:
        for spec in pattern:
            lemma = spec.get("LEMMA")
            if isinstance(lemma, str):
                words.add(lemma)
            elif isinstance(lemma, dict):
                words.update(lemma.get("IN", ()))
    return words


_INFLECTIONS = ("ing", "es", "ed", "s", "d")


def inflections(known: set[str], table: dict[str, str]) -> dict[str, set[str]]:
    """Each pattern word → the other pattern words that are its regular inflections ("feel" → "feels", "feeling").

    A word some pattern uses is its own lemma (so "feeling" in one pattern keeps "feeling" from reading as "feel"),
    which left a pattern written with the base form blind to those forms ("accident ~3 pants" missed "accidents in
    my pants"); a pattern's word is widened to them. Words the lemma table lists ("shed", "legged") are not
    inflections of anything."""
    forms: dict[str, set[str]] = {}
    for word in known:
        if word in table:
            continue
        for ending in _INFLECTIONS:
            if not (word.endswith(ending) and len(word) > len(ending) + 2):
                continue
            stem = word[: -len(ending)]
            if ending == "d" and not stem.endswith("e"):  # "used" is "use", "find" is no "fine"
                continue
            doubled = stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else ""
            base = next((c for c in (stem, stem + "e", doubled) if c and c in known and c != word), None)
            if base is not None:
                forms.setdefault(base, set()).add(word)
                break
    return forms


def widened(tokens: list[dict], forms: dict[str, set[str]]) -> None:
    """A compiled pattern's lemmas widened in place to their inflections (see `inflections`)."""
    for spec in tokens:
        lemma = spec.get("LEMMA")
        words = {lemma} if isinstance(lemma, str) else set(lemma.get("IN", ())) if isinstance(lemma, dict) else set()
        extra = set().union(*(forms.get(w, set()) for w in words)) - words
        if extra:
            spec["LEMMA"] = {"IN": sorted(words | extra)}


@dataclass
class Lemmatiser:
    """Lower-cased word → lemma: the table first, else the word less a regular ending when that is a known lemma."""

    table: dict[str, str]
    known: set[str] = field(default_factory=set)

    def __call__(self, word: str) -> str:
        word = word.lower()
        if word.isdigit():  # any number is "#", so a pattern may offer it beside words ("#|a|few years ago")
            return "#"
        if word in self.table:
            return self.table[word]
        if word in self.known:
            return word
        for ending in _ENDINGS:
            if word.endswith(ending) and len(word) > len(ending) + 2:
                stem = word[: -len(ending)]
                for candidate in (stem, stem + "e", stem[:-1] if len(stem) > 3 and stem[-1] == stem[-2] else "",
                                  stem[:-1] + "y" if ending in ("er", "ly") and stem.endswith("i") else ""):
                    if candidate and candidate in self.known:
                        return candidate
        # a dropped g ("pissin", "achin", "shootin") reads as the -ing word; English words that only look like one
        # ("within", "satin") are listed as themselves in the lemma table
        if word.endswith("in") and len(word) > 4 and (lemma := self(word + "g")) != word + "g":
            return lemma
        return word


class Rewriter:
    """Whole-word rewrites of lower-cased text ("can't" → "can not"), longest phrase first."""

    def __init__(self, rewrites: dict[str, str]) -> None:
        self.rewrites = {k.lower(): v for k, v in rewrites.items()}
        alternatives = sorted(self.rewrites, key=len, reverse=True)
        self._rx = re.compile(r"(?<![\w'’])(" + "|".join(map(re.escape, alternatives)) + r")(?![\w'’])") \
            if alternatives else None

    def __call__(self, text: str) -> str:
        return self.mapped(text)[0]

    def mapped(self, text: str) -> tuple[str, list[int]]:
        """The rewritten text, and for each of its characters (and its end) the index in `text` it came from."""
        text = text.lower().replace("’", "'").replace("‘", "'")  # same length as the original
        if self._rx is None:
            return text, list(range(len(text) + 1))
        out: list[str] = []
        source: list[int] = []
        last = 0
        for m in self._rx.finditer(text):
            out.append(text[last:m.start()])
            source.extend(range(last, m.start()))
            replacement = self.rewrites[m.group(1)]
            out.append(replacement)  # every character of a rewrite maps into the words it replaced
            source.extend(min(m.start() + i, m.end() - 1) for i in range(len(replacement)))
            last = m.end()
        out.append(text[last:])
        source.extend(range(last, len(text) + 1))
        return "".join(out), source
