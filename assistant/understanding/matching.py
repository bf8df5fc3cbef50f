"""Shortcuts for the spaCy Matchers inside the clinical reader's medspaCy pipeline: word-set predicates as plain
closures (`quicken`) and patterns tried only where their words are (`prefilter`). Each gives exactly spaCy's matches;
tests/test_clinical_pipeline.py reads every shipped question with and without them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

_INNER = "_MedspacyMatcher__matcher"  # the spaCy Matcher a MedspacyMatcher calls (a private attribute of medspaCy 1.3)


def _medspacy_matchers(nlp: Language) -> list:
    """The MedspacyMatcher objects inside the pipeline's medspaCy target matcher and ConText (private attributes of
    medspaCy 1.3; none when another version keeps them elsewhere, and then nothing is sped up)."""
    found = []
    for name, inner in (("medspacy_target_matcher", "_TargetMatcher__matcher"),
                        ("medspacy_context", "_ConText__matcher")):
        medspacy_matcher = getattr(nlp.get_pipe(name), inner, None) if name in nlp.pipe_names else None
        if medspacy_matcher is not None and hasattr(medspacy_matcher, _INNER):
            found.append(medspacy_matcher)
    return found


def token_matchers(nlp: Language) -> list:
    """The spaCy Matchers of the pipeline's medspaCy target matcher and ConText, each whole (with every pattern),
    whether or not a `Prefiltered` one now runs in its place."""
    found = []
    for medspacy_matcher in _medspacy_matchers(nlp):
        matcher = getattr(medspacy_matcher, _INNER)
        matcher = getattr(matcher, "whole", matcher)
        if isinstance(getattr(matcher, "_extra_predicates", None), list):
            found.append(matcher)
    return found


def quicken(matcher) -> int:
    """Replace the matcher's set and regex predicates on LEMMA and LOWER with plain functions giving the same answer.

    spaCy's Matcher starts every pattern at every token, so each token is tested against the first-token predicate
    of every pattern: 160 of the 245 red-flag patterns begin with a word set (`@numb`, `leg|legs|thigh`), a
    LEMMA IN predicate, and spaCy's generic predicate object (which handles every attribute, extension, fuzzy and
    regex case) costs about 0.4 µs a call: most of the matcher's time. A closure over the same set of string ids
    (`token.lemma in ids`) answers the same for each token, in about a third of the time. Matches, and their
    order, are exactly spaCy's (it still runs the matching; tests/test_triage_data.py holds them equal on every
    shipped question). Returns how many predicates were replaced."""
    from spacy.attrs import LEMMA, LOWER

    replaced = 0
    predicates = matcher._extra_predicates
    for n, predicate in enumerate(predicates):
        quick = _quick_predicate(predicate, LEMMA, LOWER)
        if quick is not None:
            predicates[n] = quick
            replaced += 1
    return replaced


def _quick_predicate(predicate, lemma_attr: int, lower_attr: int):
    kind = type(predicate).__name__
    if getattr(predicate, "is_extension", True) or getattr(predicate, "attr", None) not in (lemma_attr, lower_attr):
        return None
    by_lemma = predicate.attr == lemma_attr
    if (kind == "_SetPredicate" and predicate.predicate in ("IN", "NOT_IN") and not predicate.regex
            and predicate.fuzzy is None and all(isinstance(v, int) for v in predicate.value)):
        ids = frozenset(predicate.value)  # string ids, as spaCy compares them
        if predicate.predicate == "IN":
            quick = (lambda t: t.lemma in ids) if by_lemma else (lambda t: t.lower in ids)
        else:
            quick = (lambda t: t.lemma not in ids) if by_lemma else (lambda t: t.lower not in ids)
    elif kind == "_RegexPredicate" and not by_lemma:
        rx = predicate.value
        quick = lambda t: bool(rx.search(t.lower_))  # noqa: E731
    else:
        return None
    quick.__dict__.update(key=predicate.key, i=predicate.i)  # what Matcher.add reads of the predicates it has
    return quick


class Prefiltered:
    """A spaCy Matcher's patterns, tried only where the doc holds every word a pattern requires.

    Hand-written because spaCy's Matcher tries each of its patterns at every token and no library prefilters them:
    of the lexicon's 355 target patterns a question can satisfy a handful (a pattern needs every one of its words
    that is neither optional nor a gap: "can not ~2 hold ~1 it ~6 @poo" needs "can", "not", "hold", "it" and a
    word of @poo). The patterns are split into small matchers by the rarest word set each requires; a question runs
    only those holding a pattern whose every required word set it has (about 5 of 227 on the eval questions). Their
    matches come back ordered by where they lie (start, end, then the order the patterns were added): spaCy's own
    order follows its internal states, and the reader orders what it found by position itself.
    The matches are spaCy's own: each small matcher is a spaCy Matcher over the same patterns, quickened."""

    def __init__(self, whole) -> None:
        from spacy.attrs import LEMMA
        from spacy.matcher import Matcher

        self.whole = whole  # the matcher with every pattern: what the tests validate and compare against
        vocab = whole.vocab
        self._rank: dict[int, int] = {}
        by_anchor: dict[frozenset[str] | None, list] = {}
        self._required: list[tuple[frozenset[str] | None, list[frozenset[str]]]] = []
        for key in whole._patterns:
            on_match, patterns = whole.get(key)
            self._rank.setdefault(key, len(self._rank))
            for pattern in patterns:
                required = _required_words(pattern)
                anchor = min(required, key=len) if required else None
                by_anchor.setdefault(anchor, []).append((key, pattern, on_match))
                self._required.append((anchor, required))
        self._matchers = {}
        for anchor, entries in by_anchor.items():
            matcher = Matcher(vocab, validate=False)
            for key, pattern, on_match in entries:
                matcher.add(vocab.strings[key], [pattern], on_match=on_match)
            quicken(matcher)
            self._matchers[anchor] = matcher
        # which (pattern, required set) each word satisfies, by the word's string id (as the doc's tokens hold it)
        self._by_word: dict[int, list[tuple[int, int]]] = {}
        for n, (_, required) in enumerate(self._required):
            for m, words in enumerate(required):
                for word in words:
                    self._by_word.setdefault(vocab.strings.add(word), []).append((n, m))
        self._always = [a for a, required in self._required if not required]
        self._lemma = LEMMA  # the attribute id each question's lemmas are read by

    def __call__(self, doc) -> list[tuple[int, int, int]]:
        met: dict[int, set[int]] = {}
        for lemma in set(doc.to_array(self._lemma).tolist()):
            for n, m in self._by_word.get(lemma, ()):
                met.setdefault(n, set()).add(m)
        anchors = dict.fromkeys(self._always)
        anchors.update(dict.fromkeys(self._required[n][0] for n, found in met.items()
                                     if len(found) == len(self._required[n][1])))
        matches = [match for anchor in anchors for match in self._matchers[anchor](doc)]
        return sorted(matches, key=lambda m: (m[1], m[2], self._rank[m[0]]))


def _required_words(pattern: list[dict]) -> list[frozenset[str]]:
    """The lemma sets a pattern cannot match without (one per token that is neither optional nor a gap)."""
    required = []
    for spec in pattern:
        if spec.get("OP"):
            continue
        lemma = spec.get("LEMMA")
        if isinstance(lemma, str):
            required.append(frozenset([lemma]))
        elif isinstance(lemma, dict) and "IN" in lemma:
            required.append(frozenset(lemma["IN"]))
    return required


def prefilter(nlp: Language) -> int:
    """Run each of the pipeline's token matchers as a `Prefiltered` one; returns how many were replaced."""
    replaced = 0
    for medspacy_matcher in _medspacy_matchers(nlp):
        matcher = getattr(medspacy_matcher, _INNER)
        if isinstance(getattr(matcher, "_extra_predicates", None), list):
            setattr(medspacy_matcher, _INNER, Prefiltered(matcher))
            replaced += 1
    return replaced
