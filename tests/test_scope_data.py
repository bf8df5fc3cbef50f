"""What the article never answers, as data (lexicon/scope.yaml): each kind's examples, run as cases."""

from __future__ import annotations

import pytest

from assistant.understanding.scope import off_topic_reason, out_of_scope_reason, scope_kinds

KINDS = scope_kinds()
MATCH = [(k, t) for k in KINDS for t in k.should_match]
NO_MATCH = [(k, t) for k in KINDS for t in k.should_not_match]


def reason(kind, text: str, library) -> str | None:
    if kind.topic:
        return off_topic_reason(text, library.sections)
    found = out_of_scope_reason(text)
    return found[0] if found else None


def test_every_kind_carries_examples_both_ways():
    assert KINDS and all(k.should_match and k.should_not_match for k in KINDS)


@pytest.mark.parametrize("kind, text", MATCH, ids=[f"{k.reason}:{t[:40]}" for k, t in MATCH])
def test_a_scope_kind_refuses_its_should_match_examples(kind, text, library):
    assert reason(kind, text, library) == kind.reason


@pytest.mark.parametrize("kind, text", NO_MATCH, ids=[f"{k.reason}:{t[:40]}" for k, t in NO_MATCH])
def test_a_scope_kind_leaves_its_should_not_match_examples_alone(kind, text, library):
    assert reason(kind, text, library) != kind.reason


def test_every_kind_has_its_own_line_in_the_reply(bot):
    for kind in KINDS:
        assert bot._chain.composer.p.has(f"out_of_scope_{kind.reason}"), kind.reason


@pytest.mark.parametrize("question", ["pilates or yoga, which is better for your back long term",
                                      "how do i fix my posture when im gaming for hours, my shoulders roll forward"])
def test_a_subject_the_article_never_covers_is_refused_with_its_reason(bot, question):
    reply = bot.ask(question)
    assert reply.status == "out_of_scope" and not reply.citations
