"""The red-flag lexicon's own examples, run as cases: each concept finds what it should and nothing it should not,
and each ConText example carries (or does not carry) the category it names."""

from __future__ import annotations

import pytest

from assistant.settings import REPO_ROOT
from assistant.understanding.clinical import RedFlagLexicon
from assistant.understanding.triage import default_triager

LEXICON = RedFlagLexicon.load(REPO_ROOT / "lexicon")
MATCH = [(c.id, text) for c in LEXICON.concepts.values() for text in c.should_match]
NO_MATCH = [(c.id, text) for c in LEXICON.concepts.values() for text in c.should_not_match]


def counted(text: str) -> set[str]:
    """Concepts that count for the person asking; a part of a combination ("my 79-year-old mum") is only found."""
    triager = default_triager()
    reading = triager.reader.read(text)
    return {f.concept for f in reading.findings
            if triager.counts(f, reading) or (LEXICON.concepts[f.concept].group is None
                                              and not LEXICON.concepts[f.concept].always_other)}


def test_every_concept_carries_examples_both_ways():
    bare = [c.id for c in LEXICON.concepts.values() if not (c.should_match and c.should_not_match)]
    assert not bare, f"concepts without should_match and should_not_match examples: {bare}"


@pytest.mark.parametrize("concept, text", MATCH, ids=[f"{c}:{t[:40]}" for c, t in MATCH])
def test_a_concept_finds_its_should_match_examples(concept, text):
    assert concept in counted(text)


@pytest.mark.parametrize("concept, text", NO_MATCH, ids=[f"{c}:{t[:40]}" for c, t in NO_MATCH])
def test_a_concept_leaves_its_should_not_match_examples_alone(concept, text):
    assert concept not in counted(text)


@pytest.mark.parametrize("example", LEXICON.context_examples, ids=[e["text"][:40] for e in LEXICON.context_examples])
def test_context_rules_mark_their_examples(example):
    reading = default_triager().reader.read(example["text"])
    found = [f for f in reading.findings if f.concept == example["concept"]]
    if not found and example.get("skip_if_unmatched"):
        return  # the concept's own patterns need not reach this wording; the negation is what is shown
    assert found, f"{example['concept']} not found in {example['text']!r}"
    carries = any(example["flag"] in f.flags for f in found)
    assert carries is not example.get("absent", False), [sorted(f.flags) for f in found]


@pytest.mark.parametrize("example", LEXICON.mover_examples, ids=[e["text"][:40] for e in LEXICON.mover_examples])
def test_whose_move_it_is_follows_the_mover_examples(example):
    reading = default_triager().reader.read(example["text"])
    assert reading.mover_other is example["other"]
    assert reading.mover_self is example.get("self", reading.mover_self)


@pytest.mark.parametrize("rule", LEXICON.context, ids=[r.literal for r in LEXICON.context])
def test_a_context_rule_reads_its_own_literal(rule):
    # a pattern whose alternatives swallowed a phrase ("now|again|straight away" asks for a third word) matches nothing
    assert rule.category in default_triager().reader.cues(rule.literal), (rule.literal, rule.pattern)


@pytest.mark.parametrize(("word", "lemma"), [
    ("pissin", "piss"),  # a dropped g reads as the -ing word
    ("shootin", "shoot"),
    ("nastier", "nasty"),  # -ier is the -y word
    ("within", "within"),  # an English word that only looks like a dropped g is itself (lemmas.yaml)
    ("satin", "satin"),
])
def test_the_lemmatiser_reads_casual_word_endings(word, lemma):
    triager = default_triager()
    triager.warm()
    assert triager.reader._lemma(word) == lemma


EXPLAINED = LEXICON.explained_later.get("examples") or []


@pytest.mark.parametrize("example", EXPLAINED, ids=[" / ".join(e["turns"])[:50] for e in EXPLAINED])
def test_a_sign_explained_as_passing_in_the_next_turn_follows_the_explained_later_examples(example):
    earlier, later = example["turns"]
    triager = default_triager()
    assert triager.red_flag(earlier) is not None  # each example starts with a referral
    assert triager.explained_later(earlier, later) is not example["held"]
