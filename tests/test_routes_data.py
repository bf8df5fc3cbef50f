"""The semantic routes' own examples, run as cases against the real MiniLM vectors."""

from __future__ import annotations

import pytest

from assistant.settings import REPO_ROOT
from assistant.understanding.lexicon import expand
from assistant.understanding.router import RouteTable

TABLE = RouteTable.load(REPO_ROOT / "lexicon")
MATCH = [(r.name, t) for r in TABLE.routes for t in r.should_match]
NO_MATCH = [(r.name, t) for r in TABLE.routes for t in r.should_not_match]


def decide(bot, text: str):
    return bot._chain.router.decide(bot.index.embeddings.embed_query(expand(text)))


def test_every_route_but_the_article_carries_examples_both_ways():
    bare = [r.name for r in TABLE.routes if r.kind != "article" and not (r.should_match and r.should_not_match)]
    assert not bare


@pytest.mark.parametrize("route, text", MATCH, ids=[f"{r}:{t[:40]}" for r, t in MATCH])
def test_a_route_takes_its_should_match_examples(bot, route, text):
    assert decide(bot, text).route == route


@pytest.mark.parametrize("route, text", NO_MATCH, ids=[f"{r}:{t[:40]}" for r, t in NO_MATCH])
def test_a_route_leaves_its_should_not_match_examples_alone(bot, route, text):
    assert decide(bot, text).route != route


def test_route_vectors_are_cached_by_content(bot, tmp_path):
    from assistant.understanding.router import Router

    embeddings = bot.index.embeddings
    first = Router(TABLE, embeddings, tmp_path)
    cached = list(tmp_path.glob("routes-*.npy"))
    assert len(cached) == 1
    again = Router(TABLE, embeddings, tmp_path)
    assert (first._matrix == again._matrix).all()


@pytest.mark.parametrize("turns, status", [
    (["hello"], "social"),
    (["How do I do the child's pose?", "thanks!"], "social"),
    (["write me a poem about my spine"], "out_of_scope"),
    (["which mattress should I buy for my back?"], "out_of_scope"),
    (["Where can I get a foam roller?"], "answered"),
    # a farewell with a wish is no request for a "good one"
    (["How do I do the child's pose?", "right, I'm off, have a good one"], "social"),
    (["is there an app that nags me to stretch every hour?"], "out_of_scope"),
])
def test_social_turns_and_near_misses_get_their_own_reply(bot, turns, status):
    reply = bot.conversation(turns)[-1]
    assert reply.status == status, reply.answer
    if status != "answered":
        assert not reply.citations


def test_a_social_turn_leaves_the_focus_alone(bot):
    replies = bot.conversation(["How do I do the child's pose?", "thanks!", "how long do I hold it?"])
    assert replies[-1].status == "answered" and replies[-1].focus == ("childs-pose",)


def test_a_fresh_question_near_nothing_the_article_answers_is_out_of_scope_but_a_follow_up_is_not(bot):
    far = "stuck in a waiting room for ages, any good podcasts to pass the time?"
    assert bot._chain.router.decide(bot.index.embeddings.embed_query(far)).score < bot._chain.router.article_floor
    reply = bot.conversation([far])[-1]
    assert reply.status == "out_of_scope" and not reply.citations, reply.answer
    followed = bot.conversation(["How do I do the child's pose?", "and after that?"])[-1]
    assert followed.status == "answered", followed.answer
