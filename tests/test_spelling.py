"""Typos are corrected towards the article's own words, and known words are left alone."""

from __future__ import annotations

import pytest

from assistant.understanding.spelling import Speller, english_words, vocabulary


@pytest.fixture(scope="module")
def speller(library):
    return Speller(vocabulary([p.text for p in library.passages] + ["lower back", "upper back"]), english_words())


@pytest.mark.parametrize("typed, meant", [
    ("how do i strech my lowr back", "how do i stretch my lower back"),
    ("foam rollr", "foam roller"),
    ("shoulder blaeds", "shoulder blades"),
    ("how do i crack my bak", "how do i crack my back"),
])
def test_near_misses_are_corrected(speller, typed, meant):
    assert speller.correct(typed) == meant


@pytest.mark.parametrize("text", ["What's the capital of France?", "Give me a recipe for banana bread",
                                  "Is the hug from behind safe?", "what are the risks", "which one is gentlest",
                                  "I take prednisone"])
def test_unrelated_words_are_not_bent_into_article_words(speller, text):
    assert speller.correct(text) == text


def test_the_english_words_are_cached_as_text_and_read_back_the_same(tmp_path):
    unpacked = set(english_words())
    first = english_words(tmp_path)
    [cached] = tmp_path.glob("english-words-*.txt")
    assert set(first) == unpacked and set(english_words(tmp_path)) == unpacked
    cached.write_text("cached\nwords", encoding="utf-8")  # what is there is what is read: proof the file is used
    assert english_words(tmp_path) == {"cached", "words"}
