"""Detail kinds as data: each kind's examples, the sidecar's tags, and what a reply says when a detail is missing."""

from __future__ import annotations

import pytest

from assistant.understanding.details import detail_kind, detail_kinds

KINDS = detail_kinds()
MATCH = [(k.name, t) for k in KINDS for t in k.should_match]
NO_MATCH = [(k.name, t) for k in KINDS for t in k.should_not_match]


@pytest.mark.parametrize("kind, text", MATCH, ids=[f"{k}:{t[:40]}" for k, t in MATCH])
def test_a_detail_kind_is_read_from_its_should_match_examples(kind, text):
    assert detail_kind(text.lower()) == kind


@pytest.mark.parametrize("kind, text", NO_MATCH, ids=[f"{k}:{t[:40]}" for k, t in NO_MATCH])
def test_a_detail_kind_leaves_its_should_not_match_examples_alone(kind, text):
    assert detail_kind(text.lower()) != kind


def test_every_tag_in_the_sidecar_is_a_known_kind_and_names_passages_of_its_method(library):
    known = {k.name for k in KINDS}
    for section in library.sections:
        assert set(section.details) <= known, section.id
        ids = {p.id for p in section.passages}
        assert all(i in ids for found in section.details.values() for i in found), section.id


def test_a_detail_the_article_gives_is_quoted_from_its_tagged_sentence(bot):
    reply = bot.ask("Do I need trainers for the seated floor rotation?")
    assert reply.status == "answered" and reply.intent == "detail"
    assert any(c.quote.startswith("Wear runners") for c in reply.citations)


def test_a_detail_the_article_does_not_give_is_said_to_be_missing(bot, library):
    reply = bot.ask("How many times a day should I do the chair rotation?")
    assert reply.status == "answered" and reply.intent == "not_given"
    assert reply.answer.startswith("The article does not say how many times or how often to do it for the Chair")
    assert not any("three to five times" in c.quote for c in reply.citations)
    chair = library.section("chair-rotation")
    assert {c.section_id for c in reply.citations} <= {"chair-rotation", "general"} and chair.passages


def test_the_detail_asked_in_the_asking_sentence_wins_over_one_in_the_story():
    story = "i do yoga once a week and my back gets tight by friday. where do my bum and feet go?"
    assert detail_kind("i do yoga once a week") == "reps"
    assert detail_kind(story) == "feet"
    # ...and a story's detail still counts when the asking sentence asks none ("is that normal?")
    assert detail_kind("did it for a week and not a single crack. is that normal?") == "no_crack"

