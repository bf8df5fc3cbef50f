"""The clinical reader's shortcuts read every question exactly as medspaCy's own pipeline does: the tokenizer
without the exceptions lower-cased text cannot hold, the matchers' word-set predicates as plain closures, and each
matcher's patterns tried only where the question holds every word they require."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.evaluation import default_sets, load_cases
from assistant.settings import REPO_ROOT
from assistant.understanding import clinical, matching
from assistant.understanding.clinical import ClinicalReader, RedFlagLexicon

LEXICON = RedFlagLexicon.load(REPO_ROOT / "lexicon")
ODD = ["I'm 70 and CAN'T feel my legs!! :D C++ Mar. xD o.O", "DON'T y'all gonna e.g. i.e. 5ft 10in a.m. p.m.?",
       "Ms. Smith's back—hurts 3x/day; 1.5mg of Prednisone, N.B. since Jan.", "NUMB GROIN AFTER A FALL", ""]


def texts() -> list[str]:
    cases = load_cases(default_sets(Path(REPO_ROOT / "evals")))
    found = [t for c in cases for t in (c.question, *c.turns)]
    found += [t for c in LEXICON.concepts.values() for t in (*c.should_match, *c.should_not_match)]
    found += [e["text"] for e in LEXICON.context_examples]
    return list(dict.fromkeys([*found, *ODD]))


@pytest.fixture(scope="module")
def readers():
    quick = ClinicalReader(LEXICON)
    quick.warm()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clinical, "quicken", lambda matcher: 0)
        patch.setattr(clinical, "prefilter", lambda nlp: 0)
        patch.setattr(clinical, "_lower_case_view", lambda nlp, rewrite: nlp)
        plain = ClinicalReader(LEXICON)
        plain.warm()
    return quick, plain


def test_the_shortcuts_are_on(readers):
    quick, plain = readers
    assert len(quick._nlp.tokenizer.rules) < len(plain._nlp.tokenizer.rules)
    matchers = clinical.token_matchers(quick._nlp)
    assert len(matchers) == 2
    assert all(not type(p).__name__.startswith("_") for m in matchers for p in m._extra_predicates)
    assert all(type(p).__name__.startswith("_") for m in clinical.token_matchers(plain._nlp)
               for p in m._extra_predicates)
    running = [getattr(m, matching._INNER) for m in matching._medspacy_matchers(quick._nlp)]
    assert len(running) == 2 and all(isinstance(m, matching.Prefiltered) for m in running)
    assert not any(isinstance(getattr(m, matching._INNER), matching.Prefiltered)
                   for m in matching._medspacy_matchers(plain._nlp))


def test_a_pattern_runs_only_where_the_question_holds_every_word_it_requires(readers):
    quick, _plain = readers
    target = getattr(matching._medspacy_matchers(quick._nlp)[0], matching._INNER)
    required = matching._required_words([{"LEMMA": "can"}, {"LOWER": {"NOT_IN": ["."]}, "OP": "{0,2}"},
                                         {"LEMMA": {"IN": ["poo", "pee"]}}, {"LIKE_NUM": True, "OP": "?"}])
    assert required == [frozenset({"can"}), frozenset({"poo", "pee"})]
    doc, _ = quick._lemmatised("my back is stiff after the gym")
    assert target(doc) == []  # no pattern has all its words here
    doc, _ = quick._lemmatised("I can't hold it anymore when I need a poo")
    assert target(doc) and target(doc) == sorted(target(doc), key=lambda m: (m[1], m[2], target._rank[m[0]]))


_FORKED: dict = {}  # the readers, for workers forked from this process (spaCy pipelines do not pickle)


def _differing(chunk: list[str]) -> list[str]:
    quick, plain = _FORKED["readers"]
    return [t for t in chunk if quick.read(t) != plain.read(t)]


def test_every_question_reads_the_same_as_with_medspacys_own_pipeline(readers):
    """Every text, split between two forked workers that inherit both readers (each read is independent; the two
    cores halve the wall time)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    every = texts()
    _FORKED["readers"] = readers
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        differ = [t for part in pool.map(_differing, [every[0::2], every[1::2]]) for t in part]
    assert len(every) > 2000 and not differ, differ[:5]
    assert _differing(ODD) == []  # and in this process too


def test_every_token_pattern_passes_spacys_validation(readers):
    """The reader adds its patterns with spaCy's validation off (it is the same work at every start); these are
    the checks spaCy's Matcher would have made on each of them, so a bad pattern in the lexicon still fails."""
    from spacy.schemas import validate_token_pattern

    quick, _plain = readers
    matchers = clinical.token_matchers(quick._nlp)
    assert matchers and all(m.validate is False for m in matchers)
    patterns = [p for m in matchers for key in m._patterns for p in m.get(key)[1]]
    assert len(patterns) >= 300  # the lexicon's targets and ConText cues
    assert {repr(p): errors for p in patterns if (errors := validate_token_pattern(p))} == {}
    assert validate_token_pattern([{"LEMMA": {"IN": ["back"]}, "BOGUS": 1}])  # the check does catch a bad one


def test_a_pattern_with_a_gap_too_wide_to_match_quickly_is_refused_by_name():
    from assistant.understanding.patterns import MAX_GAP, PatternError, compile_pattern

    assert compile_pattern(f"@numb ~{MAX_GAP} leg", {"numb": ["numb"]})
    with pytest.raises(PatternError, match="wider than"):
        compile_pattern(f"@numb ~{MAX_GAP + 8} the other leg", {"numb": ["numb"]})


def test_a_caret_word_must_open_a_sentence():
    from assistant.understanding.patterns import compile_pattern

    assert compile_pattern("^/[1-9]\\d/ ,", {}) == [{"LOWER": {"REGEX": "^(?:[1-9]\\d)$"}, "IS_SENT_START": True},
                                                  {"LEMMA": ","}]
    from assistant.understanding.triage import default_triager

    older = default_triager().reader
    assert "older_age" in {f.concept for f in older.read("68, lifted a bag of compost and my back hurts").findings}
    assert "older_age" not in {f.concept for f in older.read("I hold it for 30, then 68, then rest").findings}


def test_a_pattern_word_reaches_the_inflections_other_patterns_keep_as_their_own_lemma():
    from assistant.understanding.patterns import inflections, widened

    known = {"feel", "feels", "feeling", "she", "shed", "fine", "find", "use", "used", "accident", "accidents"}
    forms = inflections(known, {"shed": "shed"})
    assert forms == {"feel": {"feels", "feeling"}, "use": {"used"}, "accident": {"accidents"}}
    pattern = [{"LEMMA": "accident"}, {"LEMMA": {"IN": ["pants", "she"]}}]
    widened(pattern, forms)
    assert pattern == [{"LEMMA": {"IN": ["accident", "accidents"]}}, {"LEMMA": {"IN": ["pants", "she"]}}]
