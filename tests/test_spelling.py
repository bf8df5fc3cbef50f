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


def test_the_english_words_are_cached_compactly_and_read_back_the_same(tmp_path):
    from spellchecker import SpellChecker

    unpacked = set(SpellChecker().word_frequency.dictionary)
    first = english_words(tmp_path)
    [cached] = tmp_path.glob("english-words-*.npz")
    again = english_words(tmp_path)
    assert set(first) == set(again) == unpacked and len(again) == len(unpacked)
    non_ascii = [w for w in unpacked if not w.isascii()][:50]
    assert "stretch" in again and "spine" in again and non_ascii and all(w in again for w in non_ascii)
    assert "strech" not in again and "" not in again and 42 not in again
    cached.write_bytes(b"damaged")  # a damaged cache is unpacked again, not trusted
    assert set(english_words(tmp_path)) == unpacked


def test_chat_shorthand_is_spelled_out_as_whole_words_before_typos_are_corrected(library):
    from assistant.settings import REPO_ROOT
    from assistant.understanding.clinical import RedFlagLexicon

    shorthand = RedFlagLexicon.load(REPO_ROOT / "lexicon").shorthand
    speller = Speller(vocabulary([p.text for p in library.passages]), english_words(), shorthand=shorthand)
    assert speller.correct("how do u do the one where ur on ur back? steps pls") == \
        "how do you do the one where your on your back? steps please"
    assert speller.correct("theres one where you kneel") == "there's one where you kneel"
    # inside a word, or a word that only starts like one, it is left alone
    assert speller.correct("your turn, run it") == "your turn, run it"


@pytest.mark.parametrize("text, why", [
    ("asdfgh", "unclear"),
    ("qwertyuiop zxcvbnm", "unclear"),
    ("Ich habe Rückenschmerzen, wie mache ich die Übung mit dem Stuhl?", "language"),
    ("¿Cómo hago el estiramiento de rodillas al pecho?", "language"),
    ("heyy", None),
    ("hw 2 do chld pose 4 bak", None),
    ("Ma back's stiff as a poker fae sittin at the computer aw day. How dae ye dae the chair twist?", None),
    ("lol ty", None),
])
def test_a_question_in_no_words_or_not_in_english_is_told_so(speller, text, why):
    assert speller.unreadable(speller.correct(text)) == why


def test_a_question_not_in_english_gets_a_reply_that_says_so(bot):
    reply = bot.ask("Ich habe Rückenschmerzen, wie mache ich die Übung mit dem Stuhl?")
    assert reply.status == "out_of_scope" and "in English" in reply.answer, reply.answer
